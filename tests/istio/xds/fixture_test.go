package istioxds

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"

	meshconfig "istio.io/api/mesh/v1alpha1"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

// fixture is what every test starts from: the module pushed to a real registry, the pods
// and cluster of istio/kafka, the mesh settings of istio/mesh.
type fixture struct {
	root     string
	release  string // the Istio release this binary is built with
	img      Image
	module   []byte
	tool     string // tools/oci
	registry string
	pods     map[Side]Workload
	kube     string
	mesh     *meshconfig.MeshConfig
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{root: testenv.RepoRoot(t), release: IstioRelease(t)}
	wasm := filepath.Join(f.root, "build", "kafka-filter.wasm")
	var err error
	if f.module, err = os.ReadFile(wasm); err != nil {
		t.Fatalf("%v: run `make build`", err)
	}
	f.registry = testenv.StartRegistry(t)
	f.tool = testenv.OCITool(t)
	ref := f.registry + "/mesh/kafka-filter:0.1.0"
	f.img = Image{URL: "oci://" + ref, Digest: testenv.PushImage(t, f.tool, wasm, "compat", ref), Wasm: wasm}
	f.pods = Workloads(t, f.root)
	f.kube = KubernetesObjects(t, f.root, f.pods)
	f.mesh = MeshConfig(t, f.root)
	v, _, _ := IstioModule()
	t.Logf("Istio %s (istio.io/istio %s), image %s@sha256:%s", f.release, v, f.img.URL, f.img.Digest)
	return f
}

// deliver serves the manifests from istiod, connects the side's sidecar and checks what
// it received.
func (f *fixture) deliver(t *testing.T, istiod *Istiod, rendered string, side Side) *Delivery {
	t.Helper()
	in, ok := Intents(t, rendered)[side]
	if !ok {
		t.Fatalf("no manifest for the %s side", side)
	}
	return Check(istiod.Connect(t, f.pods[side], f.release), in)
}

// rewrite runs every ECDS resource of the delivery through istio-agent's module cache and
// checks that each became a local file holding our module.
func (f *fixture) rewrite(t *testing.T, agent *Agent, d *Delivery) map[string]*anypb.Any {
	t.Helper()
	out := map[string]*anypb.Any{}
	for name := range d.ECDS {
		res, err := agent.Rewrite(d.Sidecar.Extensions[name])
		if err != nil {
			t.Fatalf("istio-agent rewrite of %s: %v", name, err)
		}
		path, err := LocalModule(res)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(f.module) {
			t.Fatalf("%s: istio-agent's file %s has %d bytes, not the %d of build/kafka-filter.wasm", name, path, len(got), len(f.module))
		}
		t.Logf("istio-agent: ECDS %s now loads %s (%d bytes, our module)", name, path, len(got))
		out[name] = res
	}
	return out
}

// envoyChain picks the generated chain the upstream-Envoy run uses: the broker's plaintext
// inbound chain (mTLS needs Istio's certificates), the client's listener for the kafka
// ClusterIP Service (the bootstrap address clients use).
func envoyChain(t *testing.T, d *Delivery) Chain {
	t.Helper()
	for _, c := range d.Placed {
		switch d.Sidecar.Workload.Side {
		case Broker:
			if c.FilterChain.GetFilterChainMatch().GetTransportProtocol() == "raw_buffer" {
				return c
			}
		case Client:
			if c.Listener.GetAddress().GetSocketAddress().GetAddress() == kafkaClusterIP {
				return c
			}
		}
	}
	t.Fatalf("no chain for the Envoy run among %d placed chains", len(d.Placed))
	return Chain{}
}

// runEnvoy starts real Envoy on the chain; the error says what Envoy rejected.
func (f *fixture) runEnvoy(t *testing.T, bin string, d *Delivery, rewritten map[string]*anypb.Any, listenPort, brokerPort int) (*Envoy, error) {
	t.Helper()
	w := d.Sidecar.Workload
	cfg, err := AssembleEnvoy(envoyChain(t, d), rewritten, IstioStatsConfig(t, f.mesh, w),
		listenPort, brokerPort, filepath.Join(t.TempDir(), "ecds.json"), w.NodeID())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Changes {
		t.Logf("for upstream Envoy: %s", c)
	}
	t.Logf("Envoy runs the chain: %s", strings.Join(cfg.Kept, " -> "))
	e := StartEnvoy(t, bin, cfg)
	err = e.WaitLive(60 * time.Second)
	if r := Refusal(e.Log()); r != "" {
		return e, RefusedConfig(d.Intent, r)
	}
	return e, err
}

// pluginFlag reads a boolean of the plugin configuration's metrics section (default true).
func pluginFlag(cfg, name string) bool {
	var c struct {
		Metrics map[string]any `json:"metrics"`
	}
	_ = json.Unmarshal([]byte(cfg), &c)
	v, ok := c.Metrics[name].(bool)
	return !ok || v
}
