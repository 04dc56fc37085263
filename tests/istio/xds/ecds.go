package istioxds

import (
	"encoding/json"
	"fmt"
	"reflect"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmhttp "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	wasmnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/wasm/v3"
	wasmext "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	wasmNetworkType = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm"
	wasmHTTPType    = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
	v8Runtime       = "envoy.wasm.runtime.v8"
	// Set by istiod on the VM (pilot/pkg/model/extensions.go buildVMConfig), read and
	// stripped by istio-agent (pkg/wasm/convert.go rewriteVMConfig).
	pullPolicyEnv = "ISTIO_META_WASM_IMAGE_PULL_POLICY"
)

// wasmOf decodes an ECDS resource into its Wasm plugin configuration and filter type
// (network or HTTP); nil when the resource is not a Wasm filter.
func wasmOf(res *anypb.Any) (*core.TypedExtensionConfig, *wasmext.PluginConfig, string, error) {
	ec := &core.TypedExtensionConfig{}
	if err := res.UnmarshalTo(ec); err != nil {
		return nil, nil, "", err
	}
	switch t := ec.GetTypedConfig().GetTypeUrl(); t {
	case wasmNetworkType:
		w := &wasmnet.Wasm{}
		err := ec.GetTypedConfig().UnmarshalTo(w)
		return ec, w.GetConfig(), t, err
	case wasmHTTPType:
		w := &wasmhttp.Wasm{}
		err := ec.GetTypedConfig().UnmarshalTo(w)
		return ec, w.GetConfig(), t, err
	default:
		return ec, nil, t, nil
	}
}

// moduleURL is the remote code source of a Wasm plugin configuration.
func moduleURL(c *wasmext.PluginConfig) string {
	return c.GetVmConfig().GetCode().GetRemote().GetHttpUri().GetUri()
}

// checkECDS compares the ECDS resource istiod sent with what the manifest asks for.
func checkECDS(name string, res *anypb.Any, in Intent) []string {
	ec, c, typ, err := wasmOf(res)
	if err != nil {
		return []string{fmt.Sprintf("ECDS %s: %v", name, err)}
	}
	var p []string
	bad := func(format string, a ...any) { p = append(p, fmt.Sprintf("ECDS %s: ", name)+fmt.Sprintf(format, a...)) }
	if typ != wasmNetworkType {
		bad("typed_config is %s; Kafka is not HTTP, the module must be %s: set `type: NETWORK`", typ, wasmNetworkType)
		return p
	}
	if ec.GetName() != name {
		bad("resource named %q", ec.GetName())
	}
	vm := c.GetVmConfig()
	if vm.GetRuntime() != v8Runtime {
		bad("vm_config.runtime %q, want %s", vm.GetRuntime(), v8Runtime)
	}
	if got := moduleURL(c); got != in.URL {
		bad("module URL %q, want %q", got, in.URL)
	}
	sha := vm.GetCode().GetRemote().GetSha256()
	if sha == "nil" { // istiod's placeholder for "not set" (pkg/wasm/convert.go)
		sha = ""
	}
	policy := vm.GetEnvironmentVariables().GetKeyValues()[pullPolicyEnv]
	switch {
	case sha == "" && policy != "Always":
		bad("no sha256 while the pull policy is %s: istio-agent keeps the module it first pulled for %s "+
			"and serves it even after that tag is pushed again, so pods run different modules; "+
			"set sha256 to the image digest `make image` prints (`make istio-render IMAGE=...` fills it in)",
			orDefault(policy, "IfNotPresent (the default)"), in.URL)
	case sha != in.Sha256:
		bad("sha256 %q, the manifest says %q", sha, in.Sha256)
	}
	if c.GetRootId() != in.RootID {
		bad("root_id %q, the manifest's pluginName is %q", c.GetRootId(), in.RootID)
	}
	if got := effectiveFailurePolicy(c); got != in.FailurePolicy {
		bad("failure policy %s, the manifest asks for %s", got, in.FailurePolicy)
	}
	sv := &wrapperspb.StringValue{}
	if c.GetConfiguration() != nil && c.GetConfiguration().GetTypeUrl() != "" {
		if err := c.GetConfiguration().UnmarshalTo(sv); err != nil {
			bad("configuration: %v", err)
		}
	}
	if !sameJSON(sv.GetValue(), in.PluginConfig) {
		bad("plugin configuration %s, the manifest has %s", sv.GetValue(), in.PluginConfig)
	}
	return p
}

func sameJSON(a, b string) bool {
	var x, y any
	if a == "" || b == "" {
		return a == b
	}
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
