package istioxds

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	shipped "kafka-envoy-wasm-filter/tests/istio"
)

// The addresses Kubernetes would allocate; nothing listens on them.
const (
	kafkaClusterIP = "10.96.0.20"
	webClusterIP   = "10.96.0.30"
	webPodIP       = "10.40.0.30"
	webPort        = 8080
)

// KubernetesObjects is the cluster the fake discovery server watches, as YAML documents:
// the kafka Namespace and Services of istio/kafka as shipped, the broker and client pods
// made from the shipped pod templates, the EndpointSlices Kubernetes would create for them,
// and an unrelated HTTP service on port 8080 (a chain the filter must stay off).
func KubernetesObjects(t testing.TB, root string, pods map[Side]Workload) string {
	t.Helper()
	var objs []any
	for _, f := range []string{"namespace.yaml", "broker.yaml"} {
		docs, err := shipped.LoadDocs(filepath.Join(root, "istio", "kafka", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Kind != "Namespace" && d.Kind != "Service" {
				continue
			}
			var o map[string]any
			if err := json.Unmarshal(d.Raw, &o); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, o)
			if d.Kind != "Service" {
				continue
			}
			if spec := o["spec"].(map[string]any); spec["clusterIP"] == nil {
				spec["clusterIP"] = kafkaClusterIP
			}
			objs = append(objs, endpointSlice(o, pods[Broker]))
		}
	}
	for _, side := range []Side{Broker, Client} {
		objs = append(objs, pod(pods[side]))
	}
	web := Workload{Name: "web-0", IP: webPodIP, Labels: map[string]string{"app": "web"},
		template: map[string]any{"containers": []any{map[string]any{"name": "web", "image": "web"}}}}
	webSvc := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": namespace},
		"spec": map[string]any{"clusterIP": webClusterIP, "selector": web.Labels,
			"ports": []any{map[string]any{"name": "http-web", "port": webPort, "targetPort": webPort}}},
	}
	objs = append(objs, pod(web), webSvc, endpointSlice(webSvc, web))

	var docs []string
	for _, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "\n---\n")
}

func pod(w Workload) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": w.Name, "namespace": namespace, "labels": w.Labels, "annotations": w.Annotations},
		"spec":     w.template,
		"status": map[string]any{
			"phase": "Running", "podIP": w.IP, "podIPs": []any{map[string]any{"ip": w.IP}},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}},
		},
	}
}

// endpointSlice is what Kubernetes' EndpointSlice controller makes for svc with one ready pod.
func endpointSlice(svc map[string]any, w Workload) map[string]any {
	name := svc["metadata"].(map[string]any)["name"].(string)
	var ports []any
	for _, p := range svc["spec"].(map[string]any)["ports"].([]any) {
		pm := p.(map[string]any)
		port := pm["targetPort"]
		if port == nil {
			port = pm["port"]
		}
		ports = append(ports, map[string]any{"name": pm["name"], "port": port, "protocol": "TCP"})
	}
	return map[string]any{
		"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata": map[string]any{"name": fmt.Sprintf("%s-%s", name, "abcde"), "namespace": namespace,
			"labels": map[string]any{"kubernetes.io/service-name": name}},
		"addressType": "IPv4",
		"endpoints": []any{map[string]any{
			"addresses":  []any{w.IP},
			"conditions": map[string]any{"ready": true},
			"targetRef":  map[string]any{"kind": "Pod", "name": w.Name, "namespace": namespace},
		}},
		"ports": ports,
	}
}
