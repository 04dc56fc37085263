package istioxds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/bootstrap"
	"istio.io/istio/pkg/config/mesh"
)

// IstioStatsConfig renders the sidecar bootstrap the way pilot-agent does — Istio's own
// template (tools/packaging/common/envoy_bootstrap.json of the Istio module under test),
// the mesh's defaultConfig with the pod's proxy.istio.io/config over it, the pod's
// annotations — and returns its stats_config: the tag extraction for our extraStatTags, the
// stats matcher and the histogram buckets.
func IstioStatsConfig(t testing.TB, mc *meshconfig.MeshConfig, w Workload) *metricsv3.StatsConfig {
	t.Helper()
	if pc, ok := w.Annotations["proxy.istio.io/config"]; ok {
		var err error
		if mc, err = mesh.ApplyProxyConfig(pc, proto.Clone(mc).(*meshconfig.MeshConfig)); err != nil {
			t.Fatalf("%s proxy.istio.io/config: %v", w.Name, err)
		}
	}
	pc := proto.Clone(mc.GetDefaultConfig()).(*meshconfig.ProxyConfig)
	node, err := bootstrap.GetNodeMetaData(bootstrap.MetadataOptions{
		ID:          w.NodeID(),
		InstanceIPs: []string{w.IP},
		ProxyConfig: pc,
		Envs:        []string{"ISTIO_META_CLUSTER_ID=Kubernetes", "ISTIO_META_NAMESPACE=" + namespace, "POD_NAME=" + w.Name},
	})
	if err != nil {
		t.Fatal(err)
	}
	node.Metadata.Annotations = w.Annotations
	var out bytes.Buffer
	if err := bootstrap.New(bootstrap.Config{Node: node}).WriteTo(istioTemplate(t), &out); err != nil {
		t.Fatalf("rendering Istio's bootstrap: %v", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("Istio's rendered bootstrap: %v", err)
	}
	sc := &metricsv3.StatsConfig{}
	if err := protojson.Unmarshal(doc["stats_config"], sc); err != nil {
		t.Fatalf("Istio's stats_config: %v", err)
	}
	if err := sc.ValidateAll(); err != nil {
		t.Fatalf("Istio's stats_config: %v", err)
	}
	return sc
}

// istioTemplate is the bootstrap template shipped in the Istio module this test is built
// with (the file the proxyv2 image holds at /var/lib/istio/envoy/envoy_bootstrap_tmpl.json).
func istioTemplate(t testing.TB) string {
	t.Helper()
	_, dir, err := IstioModule()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tools", "packaging", "common", "envoy_bootstrap.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// IstioModule is the istio.io/istio version this test binary is built with and its
// directory in the module cache. go test's binaries carry no dependency list, so this asks
// the go command, which sees the same module file (GOFLAGS=-modfile=go.floor.mod for the
// floor build reaches it through the environment).
func IstioModule() (version, dir string, err error) {
	moduleOnce.Do(func() {
		out, e := exec.Command("go", "list", "-m", "-f", "{{.Version}}|{{.Dir}}", "istio.io/istio").Output()
		if e != nil {
			moduleErr = fmt.Errorf("go list -m istio.io/istio: %v", e)
			return
		}
		moduleVersion, moduleDir, _ = strings.Cut(strings.TrimSpace(string(out)), "|")
	})
	return moduleVersion, moduleDir, moduleErr
}

var (
	moduleOnce               sync.Once
	moduleVersion, moduleDir string
	moduleErr                error
)
