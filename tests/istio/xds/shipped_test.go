package istioxds

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

const records = 25

// TestShippedManifests runs each shipped manifest set through istiod, istio-agent and real
// Envoy, for a broker pod and a client pod.
func TestShippedManifests(t *testing.T) {
	f := newFixture(t)
	envoy := EnvoyBinary(t, f.root)
	listenPort := testenv.FreePort(t)
	broker := StartBroker(t, f.root, listenPort)
	bootstrap := "127.0.0.1:" + strconv.Itoa(listenPort)

	for _, set := range []ManifestSet{WasmPlugins, EnvoyFilterECDS} {
		t.Run(set.Name, func(t *testing.T) {
			rendered := Render(set.Source(t, f.root), f.img)
			istiod := StartIstiod(t, rendered, f.kube, f.mesh)
			for _, side := range []Side{Broker, Client} {
				t.Run(string(side), func(t *testing.T) {
					d := f.deliver(t, istiod, rendered, side)
					if d.Intent.URL != f.img.URL || d.Intent.Sha256 != f.img.Digest {
						t.Fatalf("%s: url %s sha256 %s after rendering, want the pushed image %s and its digest %s (the placeholders `make istio-render` replaces changed?)",
							d.Intent, d.Intent.URL, d.Intent.Sha256, f.img.URL, f.img.Digest)
					}
					for _, c := range d.Placed {
						t.Logf("istiod: %s: %s", c, strings.Join(c.FilterNames(), " -> "))
					}
					t.Logf("istiod: %s", d.Summary())
					if len(d.Problems) > 0 {
						t.Fatalf("%s on the %s sidecar:\n  %s", set.Name, side, strings.Join(d.Problems, "\n  "))
					}
					rewritten := f.rewrite(t, NewAgent(t), d)

					e, err := f.runEnvoy(t, envoy, d, rewritten, listenPort, broker.Port)
					if err != nil {
						t.Fatal(err)
					}
					topic, client := fmt.Sprintf("xds-%s-%s", set.Name, side), fmt.Sprintf("kcat-%s-%s", set.Name, side)
					if err := ProduceConsume(bootstrap, topic, client, records); err != nil {
						t.Fatal(err)
					}
					text, err := e.Stats()
					if err != nil {
						t.Fatal(err)
					}
					e.Stop()
					checkSeries(t, ParsePrometheus(text), d.Intent, topic, client)
					t.Logf("Envoy %s carried %d records through the generated chain", e.Version, records)
				})
			}
		})
	}
}

// checkSeries wants the labelled series of the traffic on Envoy's /stats/prometheus, with
// the labels the plugin configuration asks for.
func checkSeries(t *testing.T, all []Series, in Intent, topic, client string) {
	t.Helper()
	idLabel := pluginFlag(in.PluginConfig, "client_id_label")
	for _, api := range []string{"Produce", "Fetch"} {
		want := map[string]string{"api": api}
		if idLabel {
			want["client_id"] = client
		}
		if v, n := Sum(all, "kafka_requests_total", want); v <= 0 {
			t.Errorf("kafka_requests_total%v: %v over %d series", want, v, n)
		} else {
			t.Logf("series: kafka_requests_total%s = %v", promLabels(want), v)
		}
	}
	want := map[string]string{"topic": topic}
	if v, _ := Sum(all, "kafka_produce_records_total", want); v != records {
		t.Errorf("kafka_produce_records_total{topic=%q} = %v, produced %d", topic, v, records)
	} else {
		t.Logf("series: kafka_produce_records_total%s = %v", promLabels(want), v)
	}
	if !idLabel {
		for _, s := range all {
			_, labelled := s.Labels["client_id"]
			if labelled && (s.Name == "kafka_requests_total" || s.Name == "kafka_produce_records_total") {
				t.Errorf("%s%v has a client_id label, but the plugin configuration sets client_id_label: false", s.Name, s.Labels)
				break
			}
		}
	}
}

func promLabels(m map[string]string) string {
	var kv []string
	for _, k := range []string{"api", "client_id", "topic"} {
		if v, ok := m[k]; ok {
			kv = append(kv, fmt.Sprintf("%s=%q", k, v))
		}
	}
	return "{" + strings.Join(kv, ",") + "}"
}
