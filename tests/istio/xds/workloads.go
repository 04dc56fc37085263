package istioxds

import (
	"encoding/json"
	"path/filepath"
	"testing"

	shipped "kafka-envoy-wasm-filter/tests/istio"
)

// Side is where a sidecar sits relative to Kafka.
type Side string

const (
	Broker Side = "broker" // Kafka's own pod: the filter belongs on the inbound 9092 chains
	Client Side = "client" // a Kafka client pod: the filter belongs on the outbound 9092 chains
)

const (
	namespace = "kafka"
	kafkaPort = 9092
)

// Workload is one pod of istio/kafka as the cluster would run it: the name, labels and
// annotations of the shipped pod template, and an address.
type Workload struct {
	Side        Side
	Name        string
	IP          string
	Labels      map[string]string
	Annotations map[string]string
	template    map[string]any // pod template spec
}

// NodeID is the sidecar's Envoy node id as istio-agent builds it.
func (w Workload) NodeID() string {
	return "sidecar~" + w.IP + "~" + w.Name + "." + namespace + "~" + namespace + ".svc.cluster.local"
}

// Workloads reads the broker StatefulSet and the client Deployment of istio/kafka.
func Workloads(t testing.TB, root string) map[Side]Workload {
	t.Helper()
	out := map[Side]Workload{}
	for _, f := range []struct {
		file, kind string
		w          Workload
	}{
		{"broker.yaml", "StatefulSet", Workload{Side: Broker, Name: "kafka-0", IP: "10.40.0.10"}},
		{"client.yaml", "Deployment", Workload{Side: Client, Name: "kafka-client-5d8f7c9b4-x2x7k", IP: "10.40.0.20"}},
	} {
		docs, err := shipped.LoadDocs(filepath.Join(root, "istio", "kafka", f.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Kind != f.kind {
				continue
			}
			var owner struct {
				Spec struct {
					Template struct {
						Metadata struct {
							Labels      map[string]string `json:"labels"`
							Annotations map[string]string `json:"annotations"`
						} `json:"metadata"`
						Spec map[string]any `json:"spec"`
					} `json:"template"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(d.Raw, &owner); err != nil {
				t.Fatal(err)
			}
			w := f.w
			w.Labels = owner.Spec.Template.Metadata.Labels
			w.Annotations = owner.Spec.Template.Metadata.Annotations
			w.template = owner.Spec.Template.Spec
			out[w.Side] = w
		}
		if _, ok := out[f.w.Side]; !ok {
			t.Fatalf("istio/kafka/%s has no %s", f.file, f.kind)
		}
	}
	return out
}
