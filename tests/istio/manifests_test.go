package istio

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"
)

func istioDir() string { return filepath.Join(RepoRoot(), "istio") }

func mustDocs(t *testing.T, rel string) []Doc {
	t.Helper()
	docs, err := LoadDocs(filepath.Join(istioDir(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestWasmPlugins(t *testing.T) {
	for _, f := range []string{"wasmplugin/kafka-filter-broker.yaml", "wasmplugin/kafka-filter-client.yaml"} {
		for _, d := range mustDocs(t, f) {
			if _, err := CheckWasmPlugin(d.Raw); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}

func TestEnvoyFilters(t *testing.T) {
	for _, f := range []string{"envoyfilter/kafka-filter-ecds.yaml", "envoyfilter/kafka-filter-local-file.yaml"} {
		all := map[networkingv1alpha3.EnvoyFilter_PatchContext]bool{}
		for _, d := range mustDocs(t, f) {
			ctx, err := CheckEnvoyFilter(d.Raw)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			for k := range ctx {
				all[k] = true
			}
		}
		if !all[networkingv1alpha3.EnvoyFilter_SIDECAR_INBOUND] || !all[networkingv1alpha3.EnvoyFilter_SIDECAR_OUTBOUND] {
			t.Errorf("%s: want both SIDECAR_INBOUND (broker) and SIDECAR_OUTBOUND (client) patches, got %v", f, all)
		}
	}
}

func TestMeshConfig(t *testing.T) {
	for _, d := range mustDocs(t, "mesh/meshconfig.yaml") {
		if err := CheckMeshConfig(d.Raw); err != nil {
			t.Error(err)
		}
	}
}

type podOwner struct {
	Kind string `json:"kind"`
	Spec struct {
		Template struct {
			Metadata struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

func TestKafkaManifests(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range []string{"kafka/broker.yaml", "kafka/client.yaml"} {
		for _, d := range mustDocs(t, f) {
			if d.Kind != "StatefulSet" && d.Kind != "Deployment" {
				continue
			}
			var p podOwner
			if err := json.Unmarshal(d.Raw, &p); err != nil {
				t.Fatal(err)
			}
			seen[d.Kind] = true
			if err := CheckPodAnnotations(p.Spec.Template.Metadata.Annotations); err != nil {
				t.Errorf("%s %s: %v", f, d.Kind, err)
			}
		}
	}
	if !seen["StatefulSet"] || !seen["Deployment"] {
		t.Errorf("want a broker StatefulSet and a client Deployment, saw %v", seen)
	}
	// Every kustomization resource exists.
	for _, k := range []string{"kafka/kustomization.yaml", "wasmplugin/kustomization.yaml"} {
		var kz struct {
			APIVersion string   `json:"apiVersion"`
			Kind       string   `json:"kind"`
			Resources  []string `json:"resources"`
		}
		b, err := os.ReadFile(filepath.Join(istioDir(), k))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(b, &kz); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, r := range kz.Resources {
			if _, err := os.Stat(filepath.Join(istioDir(), filepath.Dir(k), r)); err != nil {
				t.Errorf("%s: resource %s: %v", k, r, err)
			}
		}
	}
}

func TestLocalEnvoyBootstrap(t *testing.T) {
	docs := mustDocs(t, "local/envoy.yaml")
	if len(docs) != 1 {
		t.Fatalf("want one document, got %d", len(docs))
	}
	bs, err := CheckBootstrap(docs[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	for _, h := range bs.GetStatsConfig().GetHistogramBucketSettings() {
		if h.GetMatch().GetPrefix() == StatsPrefix {
			ok = CheckBuckets(h.GetBuckets()) == nil
		}
	}
	if !ok {
		t.Error("no 100us..60s histogram_bucket_settings for " + StatsPrefix)
	}
	if bs.GetAdmin().GetAddress().GetSocketAddress().GetPortValue() != 19901 {
		t.Error("admin port is not ADMIN_PORT 19901")
	}
}

func TestDockerCompose(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(istioDir(), "local/docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string            `json:"image"`
			Volumes     []string          `json:"volumes"`
			Environment map[string]string `json:"environment"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if img := c.Services["kafka"].Image; img != "apache/kafka:4.1.1" {
		t.Errorf("kafka image %q", img)
	}
	// Istio 1.30.3 ships Envoy from release/v1.38 (istio/proxy WORKSPACE ENVOY_SHA 4f1e006e).
	if img := c.Services["envoy"].Image; !strings.HasPrefix(img, "envoyproxy/envoy:v1.38.") {
		t.Errorf("envoy image %q, want the v1.38 line Istio 1.30 ships", img)
	}
	mounted := false
	for _, v := range c.Services["envoy"].Volumes {
		mounted = mounted || strings.HasPrefix(v, "../../build/kafka-filter.wasm:")
	}
	if !mounted {
		t.Error("envoy does not mount build/kafka-filter.wasm")
	}
	if adv := c.Services["kafka"].Environment["KAFKA_ADVERTISED_LISTENERS"]; !strings.Contains(adv, "envoy:19092") {
		t.Errorf("Kafka does not advertise Envoy: %q", adv)
	}
}

// Negative tests: the validator must catch typos and rule violations.
func TestValidatorCatchesMistakes(t *testing.T) {
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(istioDir(), rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mutate := func(src, old, new string) []Doc {
		t.Helper()
		if !strings.Contains(src, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		docs, err := SplitDocs("mutated", []byte(strings.Replace(src, old, new, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return docs
	}
	wp := read("wasmplugin/kafka-filter-broker.yaml")
	ef := read("envoyfilter/kafka-filter-ecds.yaml")
	lf := read("envoyfilter/kafka-filter-local-file.yaml")
	env := read("local/envoy.yaml")
	broker := read("kafka/broker.yaml")
	mesh := read("mesh/meshconfig.yaml")

	cases := []struct {
		name string
		run  func() error
	}{
		{"WasmPlugin field typo", func() error { _, err := CheckWasmPlugin(mutate(wp, "failStrategy:", "failStrategie:")[0].Raw); return err }},
		{"WasmPlugin envelope typo", func() error { _, err := CheckWasmPlugin(mutate(wp, "metadata:", "metdata:")[0].Raw); return err }},
		{"WasmPlugin enum typo", func() error { _, err := CheckWasmPlugin(mutate(wp, "\n  type: NETWORK", "\n  type: NETWROK")[0].Raw); return err }},
		{"WasmPlugin sha256 not hex", func() error {
			_, err := CheckWasmPlugin(mutate(wp, `sha256: "0000000000000000000000000000000000000000000000000000000000000000"`, `sha256: "latest"`)[0].Raw)
			return err
		}},
		{"WasmPlugin pluginConfig unknown key", func() error { _, err := CheckWasmPlugin(mutate(wp, "max_topics:", "max_topic:")[0].Raw); return err }},
		{"EnvoyFilter Istio field typo", func() error { _, err := CheckEnvoyFilter(mutate(ef, "workloadSelector:", "workloadSelecter:")[0].Raw); return err }},
		{"EnvoyFilter Wasm typed config typo", func() error { _, err := CheckEnvoyFilter(mutate(ef, "vm_config:", "vm_confg:")[0].Raw); return err }},
		{"EnvoyFilter listener filter typo", func() error { _, err := CheckEnvoyFilter(mutate(ef, "config_discovery:", "config_discovry:")[0].Raw); return err }},
		{"WasmPlugin unquoted sha256 (YAML number)", func() error {
			_, err := CheckWasmPlugin(mutate(wp, `sha256: "0000000000000000000000000000000000000000000000000000000000000000"`, "sha256: 0000000000000000000000000000000000000000000000000000000000000000")[0].Raw)
			return err
		}},
		{"EnvoyFilter empty runtime", func() error {
			_, err := CheckEnvoyFilter(mutate(lf, "runtime: envoy.wasm.runtime.v8", `runtime: ""`)[0].Raw)
			return err
		}},
		{"EnvoyFilter unknown @type", func() error {
			_, err := CheckEnvoyFilter(mutate(lf, "filters.network.wasm.v3.Wasm", "filters.network.wasm.v3.Wasmm")[0].Raw)
			return err
		}},
		{"bootstrap typo", func() error { _, err := CheckBootstrap(mutate(env, "stat_prefix: kafka_internal", "stat_prefx: kafka_internal")[0].Raw); return err }},
		{"bootstrap tcp_proxy without cluster (ValidateAll)", func() error {
			_, err := CheckBootstrap(mutate(env, "cluster: kafka_internal\n", "\n")[0].Raw)
			return err
		}},
		{"ProxyConfig annotation typo", func() error {
			docs := mutate(broker, "proxyStatsMatcher:", "proxyStatMatcher:")
			for _, d := range docs {
				if d.Kind == "StatefulSet" {
					var p podOwner
					_ = json.Unmarshal(d.Raw, &p)
					return CheckPodAnnotations(p.Spec.Template.Metadata.Annotations)
				}
			}
			return nil
		}},
		{"MeshConfig typo", func() error { return CheckMeshConfig(mutate(mesh, "defaultConfig:", "defaultConfg:")[0].Raw) }},
		{"MeshConfig missing tag", func() error { return CheckMeshConfig(mutate(mesh, "    - partition\n", "")[0].Raw) }},
	}
	for _, c := range cases {
		if err := c.run(); err == nil {
			t.Errorf("%s: validator accepted a broken manifest", c.name)
		} else {
			t.Logf("%s: rejected: %v", c.name, err)
		}
	}
}
