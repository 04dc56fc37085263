// Package istio validates the Istio/Envoy manifests under istio/ against the real API
// types (istio.io/api, Envoy go-control-plane) with strict protojson decoding (unknown
// fields fail) plus the protoc-gen-validate rules (ValidateAll), and round-trips the
// Wasm OCI image through a real registry and istio-agent's own image fetcher.
package istio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	// Envoy types, and every package an "@type" in our manifests refers to.
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	wasmnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/wasm/v3"
	_ "google.golang.org/protobuf/types/known/wrapperspb"

	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
)

// TagNames are the metric tag names fixed by docs/conventions.md.
var TagNames = []string{"api", "api_version", "topic", "client_id", "error", "direction",
	"client_software_name", "client_software_version", "partition", "reason"}

const (
	KafkaPort       = 9092
	WasmRuntime     = "envoy.wasm.runtime.v8"
	TCPProxyFilter  = "envoy.filters.network.tcp_proxy"
	WasmNetworkType = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm"
	StatsPrefix     = "wasmcustom.kafka."
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Doc is one YAML document of a manifest file.
type Doc struct {
	File string
	Raw  []byte // the document as JSON
	Kind string
}

// strict is the protojson decoder: unknown fields are errors, Any types resolve through
// the global registry filled by the imports above.
var strict = protojson.UnmarshalOptions{DiscardUnknown: false}

// LoadDocs splits a YAML file into documents converted to JSON.
func LoadDocs(path string) ([]Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return SplitDocs(path, b)
}

func SplitDocs(name string, b []byte) ([]Doc, error) {
	var docs []Doc
	for _, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(part)) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(part))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(j, &head)
		docs = append(docs, Doc{File: name, Raw: j, Kind: head.Kind})
	}
	return docs, nil
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// object is the Kubernetes envelope; DisallowUnknownFields makes typos at this level fail too.
type object struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
}

func decodeEnvelope(raw []byte) (*object, error) {
	var o object
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&o); err != nil {
		return nil, err
	}
	return &o, nil
}

type validator interface{ ValidateAll() error }

// UnmarshalStrict decodes JSON into m, rejecting unknown fields, then runs ValidateAll
// when the type has protoc-gen-validate rules (Envoy types do).
func UnmarshalStrict(raw []byte, m proto.Message) error {
	if err := strict.Unmarshal(raw, m); err != nil {
		return err
	}
	if v, ok := m.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return err
		}
	}
	return nil
}

// PluginConfig is the plugin configuration shape of docs/conventions.md.
type PluginConfig struct {
	Metrics *struct {
		TopicLabel      *bool `json:"topic_label"`
		ClientIDLabel   *bool `json:"client_id_label"`
		APIVersionLabel *bool `json:"api_version_label"`
		MaxTopics       *int  `json:"max_topics"`
		MaxClientIDs    *int  `json:"max_client_ids"`
	} `json:"metrics"`
	MaxInFlightPerConnection *int           `json:"max_in_flight_per_connection"`
	Policy                   map[string]any `json:"policy"`
}

func CheckPluginConfig(js []byte) error {
	var pc PluginConfig
	d := json.NewDecoder(bytes.NewReader(js))
	d.DisallowUnknownFields()
	if err := d.Decode(&pc); err != nil {
		return fmt.Errorf("plugin configuration: %w", err)
	}
	return nil
}

// CheckWasmPlugin validates a WasmPlugin document.
func CheckWasmPlugin(raw []byte) (*extensionsv1alpha1.WasmPlugin, error) {
	o, err := decodeEnvelope(raw)
	if err != nil {
		return nil, err
	}
	if o.APIVersion != "extensions.istio.io/v1alpha1" {
		return nil, fmt.Errorf("apiVersion %q", o.APIVersion)
	}
	wp := &extensionsv1alpha1.WasmPlugin{}
	if err := UnmarshalStrict(o.Spec, wp); err != nil {
		return nil, fmt.Errorf("WasmPlugin spec: %w", err)
	}
	if wp.Type != extensionsv1alpha1.PluginType_NETWORK {
		return nil, fmt.Errorf("type %v, want NETWORK", wp.Type)
	}
	if !strings.HasPrefix(wp.Url, "oci://") {
		return nil, fmt.Errorf("url %q: want oci://", wp.Url)
	}
	if !sha256Hex.MatchString(wp.Sha256) {
		return nil, fmt.Errorf("sha256 %q: want 64 lowercase hex digits (image manifest digest)", wp.Sha256)
	}
	if wp.Phase != extensionsv1alpha1.PluginPhase_STATS {
		return nil, fmt.Errorf("phase %v, want STATS (before Istio's TCP stats)", wp.Phase)
	}
	if wp.FailStrategy != extensionsv1alpha1.FailStrategy_FAIL_OPEN && wp.FailStrategy != extensionsv1alpha1.FailStrategy_FAIL_CLOSE {
		return nil, fmt.Errorf("failStrategy %v", wp.FailStrategy)
	}
	if len(wp.GetSelector().GetMatchLabels()) == 0 {
		return nil, fmt.Errorf("selector.matchLabels empty: would apply to every workload")
	}
	found := false
	for _, m := range wp.Match {
		for _, p := range m.Ports {
			if p.Number == KafkaPort {
				found = true
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("match does not select port %d", KafkaPort)
	}
	js, err := protojson.Marshal(wp.PluginConfig)
	if err != nil {
		return nil, err
	}
	return wp, CheckPluginConfig(js)
}

// CheckWasmFilter checks the Envoy Wasm network filter config.
func CheckWasmFilter(w *wasmnetv3.Wasm) error {
	// Typed configs inside an Any are not reached by the outer ValidateAll.
	if err := w.ValidateAll(); err != nil {
		return err
	}
	vm := w.GetConfig().GetVmConfig()
	if vm.GetRuntime() != WasmRuntime {
		return fmt.Errorf("vm_config.runtime %q, want %s", vm.GetRuntime(), WasmRuntime)
	}
	if vm.GetCode().GetLocal() == nil && vm.GetCode().GetRemote() == nil {
		return fmt.Errorf("vm_config.code has neither local nor remote")
	}
	if r := vm.GetCode().GetRemote(); r != nil && !sha256Hex.MatchString(r.GetSha256()) {
		return fmt.Errorf("remote sha256 %q", r.GetSha256())
	}
	sv := &wrapperString{}
	if c := w.GetConfig().GetConfiguration(); c != nil {
		if err := c.UnmarshalTo(&sv.StringValue); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		if err := CheckPluginConfig([]byte(sv.GetValue())); err != nil {
			return err
		}
	}
	return nil
}

// CheckEnvoyFilter validates an EnvoyFilter and each patch value against Envoy's types.
// It returns the listener contexts patched.
func CheckEnvoyFilter(raw []byte) (map[networkingv1alpha3.EnvoyFilter_PatchContext]bool, error) {
	o, err := decodeEnvelope(raw)
	if err != nil {
		return nil, err
	}
	ef := &networkingv1alpha3.EnvoyFilter{}
	if err := UnmarshalStrict(o.Spec, ef); err != nil {
		return nil, fmt.Errorf("EnvoyFilter spec: %w", err)
	}
	contexts := map[networkingv1alpha3.EnvoyFilter_PatchContext]bool{}
	ecds := map[string]bool{}
	var discovered []string
	for i, cp := range ef.ConfigPatches {
		val, err := protojson.Marshal(cp.GetPatch().GetValue())
		if err != nil {
			return nil, err
		}
		switch cp.ApplyTo {
		case networkingv1alpha3.EnvoyFilter_EXTENSION_CONFIG:
			ec := &corev3.TypedExtensionConfig{}
			if err := UnmarshalStrict(val, ec); err != nil {
				return nil, fmt.Errorf("patch %d (EXTENSION_CONFIG): %w", i, err)
			}
			w := &wasmnetv3.Wasm{}
			if err := ec.GetTypedConfig().UnmarshalTo(w); err != nil {
				return nil, fmt.Errorf("patch %d: typed_config is not a Wasm network filter: %w", i, err)
			}
			if err := CheckWasmFilter(w); err != nil {
				return nil, fmt.Errorf("patch %d: %w", i, err)
			}
			ecds[ec.GetName()] = true
		case networkingv1alpha3.EnvoyFilter_NETWORK_FILTER:
			f := &listenerv3.Filter{}
			if err := UnmarshalStrict(val, f); err != nil {
				return nil, fmt.Errorf("patch %d (NETWORK_FILTER): %w", i, err)
			}
			if cp.GetPatch().GetOperation() != networkingv1alpha3.EnvoyFilter_Patch_INSERT_BEFORE {
				return nil, fmt.Errorf("patch %d: operation %v, want INSERT_BEFORE", i, cp.GetPatch().GetOperation())
			}
			l := cp.GetMatch().GetListener()
			if l.GetPortNumber() != KafkaPort || l.GetFilterChain().GetFilter().GetName() != TCPProxyFilter {
				return nil, fmt.Errorf("patch %d: must match port %d before %s", i, KafkaPort, TCPProxyFilter)
			}
			contexts[cp.GetMatch().GetContext()] = true
			if tc := f.GetTypedConfig(); tc != nil {
				w := &wasmnetv3.Wasm{}
				if err := tc.UnmarshalTo(w); err != nil {
					return nil, fmt.Errorf("patch %d: %w", i, err)
				}
				if err := CheckWasmFilter(w); err != nil {
					return nil, fmt.Errorf("patch %d: %w", i, err)
				}
			} else if cd := f.GetConfigDiscovery(); cd != nil {
				ok := false
				for _, u := range cd.GetTypeUrls() {
					ok = ok || u == WasmNetworkType
				}
				if !ok {
					return nil, fmt.Errorf("patch %d: config_discovery type_urls lack %s", i, WasmNetworkType)
				}
				discovered = append(discovered, f.GetName())
			}
		default:
			return nil, fmt.Errorf("patch %d: unexpected applyTo %v", i, cp.ApplyTo)
		}
	}
	for _, n := range discovered {
		if !ecds[n] {
			return nil, fmt.Errorf("config_discovery name %q has no EXTENSION_CONFIG patch", n)
		}
	}
	return contexts, nil
}

// CheckProxyConfigStats validates a ProxyConfig's metric settings.
func CheckProxyConfigStats(pc *meshv1alpha1.ProxyConfig) error {
	ok := false
	for _, p := range pc.GetProxyStatsMatcher().GetInclusionPrefixes() {
		ok = ok || strings.HasPrefix(StatsPrefix, p)
	}
	for _, r := range pc.GetProxyStatsMatcher().GetInclusionRegexps() {
		re, err := regexp.Compile(r)
		if err != nil {
			return err
		}
		ok = ok || re.MatchString(StatsPrefix+"api=.=Produce;.;requests_total")
	}
	if !ok {
		return fmt.Errorf("proxyStatsMatcher does not include %s*", StatsPrefix)
	}
	have := map[string]bool{}
	for _, t := range pc.GetExtraStatTags() {
		have[t] = true
	}
	for _, t := range TagNames {
		if !have[t] {
			return fmt.Errorf("extraStatTags lacks %q", t)
		}
	}
	return nil
}

// CheckMeshConfig validates a MeshConfig document.
func CheckMeshConfig(raw []byte) error {
	mc := &meshv1alpha1.MeshConfig{}
	if err := UnmarshalStrict(raw, mc); err != nil {
		return fmt.Errorf("MeshConfig: %w", err)
	}
	return CheckProxyConfigStats(mc.GetDefaultConfig())
}

// CheckPodAnnotations validates the Istio annotations of a pod template.
func CheckPodAnnotations(ann map[string]string) error {
	pcYAML, ok := ann["proxy.istio.io/config"]
	if !ok {
		return fmt.Errorf("missing proxy.istio.io/config")
	}
	js, err := yaml.YAMLToJSON([]byte(pcYAML))
	if err != nil {
		return err
	}
	pc := &meshv1alpha1.ProxyConfig{}
	if err := UnmarshalStrict(js, pc); err != nil {
		return fmt.Errorf("proxy.istio.io/config: %w", err)
	}
	if err := CheckProxyConfigStats(pc); err != nil {
		return fmt.Errorf("proxy.istio.io/config: %w", err)
	}
	b, ok := ann["sidecar.istio.io/statsHistogramBuckets"]
	if !ok {
		return fmt.Errorf("missing sidecar.istio.io/statsHistogramBuckets")
	}
	// Same parsing as istio pkg/bootstrap/config.go getStatsOptions.
	var buckets map[string][]float64
	if err := json.Unmarshal([]byte(b), &buckets); err != nil {
		return fmt.Errorf("statsHistogramBuckets: %w", err)
	}
	return CheckBuckets(buckets[StatsPrefix])
}

// CheckBuckets wants increasing microsecond buckets from 100us to 60s.
func CheckBuckets(bs []float64) error {
	if len(bs) == 0 || bs[0] != 100 || bs[len(bs)-1] != 60e6 {
		return fmt.Errorf("buckets %v: want 100 (us) .. 60000000 (60 s)", bs)
	}
	for i := 1; i < len(bs); i++ {
		if bs[i] <= bs[i-1] {
			return fmt.Errorf("buckets not increasing at %d", i)
		}
	}
	return nil
}

// CheckBootstrap validates envoy.yaml as an Envoy v3 Bootstrap.
func CheckBootstrap(raw []byte) (*bootstrapv3.Bootstrap, error) {
	bs := &bootstrapv3.Bootstrap{}
	if err := UnmarshalStrict(raw, bs); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	for _, l := range bs.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			wasmAt, tcpAt := -1, -1
			for i, f := range fc.GetFilters() {
				inner, err := f.GetTypedConfig().UnmarshalNew()
				if err != nil {
					return nil, fmt.Errorf("listener %s filter %s: %w", l.GetName(), f.GetName(), err)
				}
				if v, ok := inner.(validator); ok {
					if err := v.ValidateAll(); err != nil {
						return nil, fmt.Errorf("listener %s filter %s: %w", l.GetName(), f.GetName(), err)
					}
				}
				switch f.GetTypedConfig().GetTypeUrl() {
				case WasmNetworkType:
					w := &wasmnetv3.Wasm{}
					if err := f.GetTypedConfig().UnmarshalTo(w); err != nil {
						return nil, err
					}
					if err := CheckWasmFilter(w); err != nil {
						return nil, fmt.Errorf("listener %s: %w", l.GetName(), err)
					}
					wasmAt = i
				case "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":
					tcpAt = i
				}
			}
			if wasmAt < 0 || tcpAt < 0 || wasmAt > tcpAt {
				return nil, fmt.Errorf("listener %s: want the Wasm filter before tcp_proxy (wasm %d, tcp_proxy %d)", l.GetName(), wasmAt, tcpAt)
			}
		}
	}
	have := map[string]bool{}
	for _, t := range bs.GetStatsConfig().GetStatsTags() {
		have[t.GetTagName()] = true
		if !regexp.MustCompile(t.GetRegex()).MatchString(t.GetTagName() + "=.=x;.;") {
			return nil, fmt.Errorf("stats tag %s regex %q does not match its fragment", t.GetTagName(), t.GetRegex())
		}
	}
	for _, t := range TagNames {
		if !have[t] {
			return nil, fmt.Errorf("stats_tags lacks %q", t)
		}
	}
	return bs, nil
}

// RepoRoot is the repository root relative to this package.
func RepoRoot() string { return filepath.Join("..", "..") }
