package istioxds

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/types/known/anypb"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
	pilotxds "istio.io/istio/pilot/pkg/xds"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/mesh"
)

// Istiod is Istio's discovery server (pilot/test/xds: the real config translation and xDS
// generators over an in-memory gRPC connection) fed with our manifests and cluster.
type Istiod struct{ s *xds.FakeDiscoveryServer }

// installedMesh is what a default Istio install writes into the mesh ConfigMap beyond
// Istio's built-in defaults and that shapes listeners
// (manifests/charts/istio-control/istio-discovery/templates/configmap.yaml): Prometheus as
// the default metrics provider, which puts Istio's stats filter on every chain.
const installedMesh = `
trustDomain: cluster.local
rootNamespace: istio-system
defaultProviders:
  metrics:
  - prometheus
`

// MeshConfig is istio/mesh/meshconfig.yaml over a default install's mesh ConfigMap, as
// istiod reads it.
func MeshConfig(t testing.TB, root string) *meshconfig.MeshConfig {
	t.Helper()
	mc, err := mesh.ApplyMeshConfigDefaults(installedMesh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "istio", "mesh", "meshconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if mc, err = mesh.ApplyMeshConfig(string(b), mc); err != nil {
		t.Fatalf("istio/mesh/meshconfig.yaml: %v", err)
	}
	return mc
}

// StartIstiod serves istioConfig (Istio resources as YAML) for the cluster kubeObjects.
func StartIstiod(t *testing.T, istioConfig, kubeObjects string, mc *meshconfig.MeshConfig) *Istiod {
	t.Helper()
	return &Istiod{s: xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		ConfigString:           istioConfig,
		KubernetesObjectString: kubeObjects,
		MeshConfig:             mc,
	})}
}

// Sidecar is what one sidecar received from istiod.
type Sidecar struct {
	Workload  Workload
	Listeners []*listener.Listener
	// ECDS resources by name, as sent (istio-agent rewrites these before Envoy sees them).
	Extensions map[string]*anypb.Any
}

// Connect opens the sidecar's ADS streams as Envoy would, through istio-agent: its node id
// and metadata, LDS first, then ECDS for every config_discovery name its listeners use.
func (i *Istiod) Connect(t *testing.T, w Workload, istioVersion string) *Sidecar {
	t.Helper()
	md := model.NodeMetadata{
		ClusterID:    "Kubernetes",
		Namespace:    namespace,
		Labels:       w.Labels,
		Annotations:  w.Annotations,
		InstanceIPs:  []string{w.IP},
		IstioVersion: istioVersion,
		WorkloadName: w.Name,
	}
	stream := func(typeURL string) *adsStream {
		return &adsStream{i.s.ConnectADS().WithID(w.NodeID()).WithMetadata(md).WithType(typeURL).WithTimeout(20 * time.Second)}
	}
	sc := &Sidecar{Workload: w, Extensions: map[string]*anypb.Any{}}
	for _, r := range stream(v3.ListenerType).get(t, nil) {
		l := &listener.Listener{}
		if err := r.UnmarshalTo(l); err != nil {
			t.Fatal(err)
		}
		sc.Listeners = append(sc.Listeners, l)
	}
	if names := discoveredNames(sc.Listeners); len(names) > 0 {
		for _, r := range stream(v3.ExtensionConfigurationType).get(t, names) {
			ec := &core.TypedExtensionConfig{}
			if err := r.UnmarshalTo(ec); err != nil {
				t.Fatal(err)
			}
			sc.Extensions[ec.GetName()] = r
		}
	}
	return sc
}

// adsStream is one ADS stream for one resource type.
type adsStream struct{ a *pilotxds.AdsTest }

func (s *adsStream) get(t *testing.T, names []string) []*anypb.Any {
	t.Helper()
	return s.a.RequestResponseAck(t, &discovery.DiscoveryRequest{ResourceNames: names}).GetResources()
}
