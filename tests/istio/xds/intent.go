package istioxds

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/wasm/v3"
	wasmext "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/wrapperspb"

	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"

	shipped "kafka-envoy-wasm-filter/tests/istio"
)

// Intent is what one manifest document asks Istio to deliver to one side.
type Intent struct {
	Kind, Name    string // WasmPlugin kafka-filter-broker
	URL, Sha256   string
	PluginConfig  string // the JSON the module is configured with
	FailurePolicy wasmext.FailurePolicy
	RootID        string

	WasmPlugin  *extensions.WasmPlugin
	EnvoyFilter *networking.EnvoyFilter
}

func (in Intent) String() string { return in.Kind + " " + namespace + "/" + in.Name }

var lenient = protojson.UnmarshalOptions{DiscardUnknown: true}

// Intents reads the rendered manifests; documents are matched to sides by name
// (kafka-filter-broker, kafka-filter-client).
func Intents(t testing.TB, rendered string) map[Side]Intent {
	t.Helper()
	docs, err := shipped.SplitDocs("manifests", []byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	out := map[Side]Intent{}
	for _, d := range docs {
		var o struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec json.RawMessage `json:"spec"`
		}
		if err := json.Unmarshal(d.Raw, &o); err != nil {
			t.Fatal(err)
		}
		side := Broker
		if strings.HasSuffix(o.Metadata.Name, "-client") {
			side = Client
		}
		in := Intent{Kind: d.Kind, Name: o.Metadata.Name}
		switch d.Kind {
		case "WasmPlugin":
			err = in.fromWasmPlugin(o.Spec)
		case "EnvoyFilter":
			err = in.fromEnvoyFilter(o.Spec)
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out[side] = in
	}
	return out
}

func (in *Intent) fromWasmPlugin(spec []byte) error {
	wp := &extensions.WasmPlugin{}
	if err := lenient.Unmarshal(spec, wp); err != nil {
		return err
	}
	in.WasmPlugin = wp
	in.URL, in.Sha256, in.RootID = wp.GetUrl(), wp.GetSha256(), wp.GetPluginName()
	if wp.GetPluginConfig() != nil {
		b, err := protojson.Marshal(wp.GetPluginConfig())
		if err != nil {
			return err
		}
		in.PluginConfig = string(b)
	}
	// pilot/pkg/model/extensions.go buildWasmConfig: FAIL_OPEN and FAIL_RELOAD map to the
	// Envoy policy of that name, FAIL_CLOSE (the default) to FAIL_CLOSED.
	switch wp.GetFailStrategy() {
	case extensions.FailStrategy_FAIL_OPEN:
		in.FailurePolicy = wasmext.FailurePolicy_FAIL_OPEN
	case extensions.FailStrategy_FAIL_RELOAD:
		in.FailurePolicy = wasmext.FailurePolicy_FAIL_RELOAD
	default:
		in.FailurePolicy = wasmext.FailurePolicy_FAIL_CLOSED
	}
	return nil
}

func (in *Intent) fromEnvoyFilter(spec []byte) error {
	ef := &networking.EnvoyFilter{}
	if err := lenient.Unmarshal(spec, ef); err != nil {
		return err
	}
	in.EnvoyFilter = ef
	for _, cp := range ef.GetConfigPatches() {
		if cp.GetApplyTo() != networking.EnvoyFilter_EXTENSION_CONFIG {
			continue
		}
		b, err := protojson.Marshal(cp.GetPatch().GetValue())
		if err != nil {
			return err
		}
		ec := &core.TypedExtensionConfig{}
		if err := protojson.Unmarshal(b, ec); err != nil {
			return err
		}
		w := &wasmnet.Wasm{}
		if err := ec.GetTypedConfig().UnmarshalTo(w); err != nil {
			return fmt.Errorf("EXTENSION_CONFIG %s is not a network Wasm filter: %w", ec.GetName(), err)
		}
		c := w.GetConfig()
		in.URL = c.GetVmConfig().GetCode().GetRemote().GetHttpUri().GetUri()
		in.Sha256 = c.GetVmConfig().GetCode().GetRemote().GetSha256()
		in.RootID, in.FailurePolicy = c.GetRootId(), effectiveFailurePolicy(c)
		sv := &wrapperspb.StringValue{}
		if c.GetConfiguration() != nil {
			if err := c.GetConfiguration().UnmarshalTo(sv); err != nil {
				return err
			}
		}
		in.PluginConfig = sv.GetValue()
	}
	return nil
}

// effectiveFailurePolicy is what Envoy does on a VM failure: failure_policy, else the
// deprecated fail_open, else fail closed.
func effectiveFailurePolicy(c *wasmext.PluginConfig) wasmext.FailurePolicy {
	if p := c.GetFailurePolicy(); p != wasmext.FailurePolicy_UNSPECIFIED {
		return p
	}
	if c.GetFailOpen() { //nolint:staticcheck // older Istio sets the deprecated field
		return wasmext.FailurePolicy_FAIL_OPEN
	}
	return wasmext.FailurePolicy_FAIL_CLOSED
}
