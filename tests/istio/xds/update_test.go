package istioxds

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

// TestRefusedUpdateKeepsRunningSidecars: the same refused plugin configuration, pushed to a
// sidecar that already runs the filter (a WasmPlugin edited in place), is refused by Envoy
// but leaves the running configuration in place: connections keep flowing through the
// filter. Only sidecars that start with the bad configuration reset their connections
// (TestManifestMistakes).
func TestRefusedUpdateKeepsRunningSidecars(t *testing.T) {
	f := newFixture(t)
	good := Render(WasmPlugins.Source(t, f.root), f.img)
	d := f.deliver(t, StartIstiod(t, good, f.kube, f.mesh), good, Broker)
	if len(d.Problems) > 0 {
		t.Fatalf("shipped manifests: %s", strings.Join(d.Problems, "; "))
	}
	agent := NewAgent(t)
	upstream := echoServer(t)
	port := testenv.FreePort(t)
	e, err := f.runEnvoy(t, EnvoyBinary(t, f.root), d, f.rewrite(t, agent, d), port, upstream)
	if err != nil {
		t.Fatal(err)
	}
	if err := echoThrough(port); err != nil {
		t.Fatalf("before the update: %v", err)
	}

	bad := strings.Replace(good, "      max_topics: 500", "      max_topic: 500", 1)
	bd := f.deliver(t, StartIstiod(t, bad, f.kube, f.mesh), bad, Broker)
	update := &discovery.DiscoveryResponse{VersionInfo: "2", TypeUrl: "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"}
	for _, res := range f.rewrite(t, agent, bd) {
		update.Resources = append(update.Resources, res)
	}
	if err := e.UpdateECDS(update); err != nil {
		t.Fatal(err)
	}
	refusal := waitFor(10*time.Second, func() string { return Refusal(e.Log()) })
	if refusal == "" {
		t.Fatal("Envoy did not try the update (no refusal in its log)")
	}
	before := connections(t, e)
	if err := echoThrough(port); err != nil {
		t.Fatalf("after the refused update: %v", err)
	}
	if after := connections(t, e); after <= before {
		t.Fatalf("kafka_connections_total %v -> %v: the filter no longer sees connections after the refused update", before, after)
	}
	t.Logf("refused update (%s): Envoy kept the running configuration, connections still go through the filter", refusal)
}

// echoServer echoes every connection until the test ends; it returns the port.
func echoServer(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// echoThrough sends bytes that are not Kafka (the filter passes them through) and wants
// them back.
func echoThrough(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := "hello through envoy"
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("no echo: %v", err)
	}
	return nil
}

func connections(t *testing.T, e *Envoy) float64 {
	t.Helper()
	text, err := e.Stats()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Sum(ParsePrometheus(text), "kafka_connections_total", nil)
	return v
}

func waitFor(d time.Duration, f func() string) string {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s := f(); s != "" {
			return s
		}
	}
	return ""
}
