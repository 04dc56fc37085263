package istioxds

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"istio.io/istio/pkg/util/sets"
	"istio.io/istio/pkg/wasm"
)

// Agent is istio-agent's Wasm module handling: the ECDS rewrite of pkg/istio-agent's xDS
// proxy (pkg/wasm MaybeConvertWasmExtensionConfig) over its local file cache.
type Agent struct{ cache *wasm.LocalFileCache }

// NewAgent makes a module cache in a temporary directory. The suite's registry is plain
// HTTP on loopback, so every registry is insecure (istio-agent: WASM_INSECURE_REGISTRIES=*).
func NewAgent(t testing.TB) *Agent {
	c := wasm.NewLocalFileCache(t.TempDir(), wasm.Options{InsecureRegistries: sets.New("*")})
	t.Cleanup(c.Cleanup)
	return &Agent{cache: c}
}

// Rewrite returns the ECDS resource as istio-agent forwards it to Envoy.
func (a *Agent) Rewrite(res *anypb.Any) (*anypb.Any, error) {
	out := []*anypb.Any{proto.Clone(res).(*anypb.Any)}
	if err := wasm.MaybeConvertWasmExtensionConfig(out, a.cache); err != nil {
		return nil, err
	}
	return out[0], nil
}

// LocalModule is the module file of a rewritten ECDS resource. When the agent could not
// fetch the module it substitutes an RBAC filter (allow-all for FAIL_OPEN, deny-all
// otherwise: pkg/wasm/convert.go createNetworkDefaultFilter); that is an error here.
func LocalModule(res *anypb.Any) (string, error) {
	ec, c, typ, err := wasmOf(res)
	if err != nil {
		return "", err
	}
	if c == nil {
		return "", fmt.Errorf("ECDS %s became %s: istio-agent could not fetch the module and put its fallback filter in place", ec.GetName(), typ)
	}
	for k := range c.GetVmConfig().GetEnvironmentVariables().GetKeyValues() {
		if strings.HasPrefix(k, "ISTIO_META_") {
			return "", fmt.Errorf("ECDS %s: istio-agent left %s in the VM environment", ec.GetName(), k)
		}
	}
	f := c.GetVmConfig().GetCode().GetLocal().GetFilename()
	if f == "" {
		return "", fmt.Errorf("ECDS %s: code is not a local file after the rewrite: %v", ec.GetName(), c.GetVmConfig().GetCode())
	}
	return f, nil
}
