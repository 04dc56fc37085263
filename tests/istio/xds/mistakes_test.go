package istioxds

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

// mistake is a manifest error a user could make, and the fix the suite must name.
type mistake struct {
	name     string
	set      ManifestSet
	side     Side
	old, new string // the edit, applied once to the rendered manifests
	fix      string // the report must contain this
	envoy    bool   // only Envoy can tell (the module refuses the configuration)
}

var mistakes = []mistake{
	{name: "type HTTP", set: WasmPlugins, side: Broker,
		old: "\n  type: NETWORK\n", new: "\n  type: HTTP\n", fix: "set `type: NETWORK`"},
	{name: "type unset", set: WasmPlugins, side: Client,
		old: "  type: NETWORK\n  selector:\n    matchLabels:\n      kafka-filter.io/client", new: "  selector:\n    matchLabels:\n      kafka-filter.io/client",
		fix: "set `type: NETWORK`"},
	{name: "port not matched", set: WasmPlugins, side: Broker,
		old: "        - number: 9092", new: "        - number: 9094", fix: "do not include 9092, the Kafka port"},
	{name: "selector matches nothing", set: WasmPlugins, side: Client,
		old: `kafka-filter.io/client: "true"`, new: `kafka-filter.io/client: "enabled"`, fix: "matches no pod like"},
	{name: "client mode on the broker", set: WasmPlugins, side: Broker,
		old: "    - mode: SERVER", new: "    - mode: CLIENT", fix: "use mode SERVER"},
	{name: "no sha256 with IfNotPresent", set: WasmPlugins, side: Broker,
		old: "  sha256: \"@DIGEST@\"\n", new: "", fix: "set sha256 to the image digest `make image` prints"},
	{name: "EnvoyFilter on the controller port", set: EnvoyFilterECDS, side: Broker,
		old: "portNumber: 9092", new: "portNumber: 9093", fix: "set match.listener.portNumber: 9092"},
	{name: "plugin configuration the module rejects", set: WasmPlugins, side: Broker,
		old: "      max_topics: 500", new: "      max_topic: 500", fix: `field \"metrics.max_topic\"`, envoy: true},
}

// TestManifestMistakes makes each mistake in the shipped manifests and wants the suite to
// catch it with a message that says what to fix.
func TestManifestMistakes(t *testing.T) {
	f := newFixture(t)
	for _, m := range mistakes {
		t.Run(m.name, func(t *testing.T) {
			good := Render(m.set.Source(t, f.root), f.img)
			old := strings.ReplaceAll(m.old, "@DIGEST@", f.img.Digest)
			if !strings.Contains(good, old) {
				t.Fatalf("the shipped manifests no longer contain %q", old)
			}
			bad := strings.Replace(good, old, m.new, 1)
			d := f.deliver(t, StartIstiod(t, bad, f.kube, f.mesh), bad, m.side)
			report := d.Problems
			if m.envoy {
				if len(report) > 0 {
					t.Fatalf("istiod's output should be fine, the module alone refuses this:\n  %s", strings.Join(report, "\n  "))
				}
				port := testenv.FreePort(t)
				_, err := f.runEnvoy(t, EnvoyBinary(t, f.root), d, f.rewrite(t, NewAgent(t), d), port, testenv.FreePort(t))
				if err != nil {
					report = []string{err.Error()}
				}
				if err := connectionReset(port); err != nil {
					t.Fatal(err)
				}
			}
			if len(report) == 0 {
				t.Fatalf("the suite accepted the mistake %q", m.name)
			}
			if !strings.Contains(strings.Join(report, "\n"), m.fix) {
				t.Fatalf("the report does not say %q:\n  %s", m.fix, strings.Join(report, "\n  "))
			}
			for _, p := range report {
				t.Logf("caught: %s", p)
			}
		})
	}
}

// TestNoSha256ServesStaleModule shows what the "no sha256 with IfNotPresent" message
// warns about, with istio-agent's own cache: after the tag is pushed again, the agent
// keeps serving the module it pulled first.
func TestNoSha256ServesStaleModule(t *testing.T) {
	f := newFixture(t)
	good := Render(WasmPlugins.Source(t, f.root), f.img)
	bad := strings.Replace(good, "  sha256: \""+f.img.Digest+"\"\n", "", 1)
	istiod := StartIstiod(t, bad, f.kube, f.mesh)
	d := f.deliver(t, istiod, bad, Broker)
	agent := NewAgent(t)
	first := localBytes(t, agent, d)

	other := filepath.Join(t.TempDir(), "other.wasm")
	if err := os.WriteFile(other, []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	moved := testenv.PushImage(t, f.tool, other, "compat", strings.TrimPrefix(f.img.URL, "oci://"))
	again := localBytes(t, agent, f.deliver(t, istiod, bad, Broker))
	if string(again) != string(first) {
		t.Fatalf("the agent fetched the moved tag; the stale-module warning would be wrong")
	}
	t.Logf("tag %s moved from sha256:%s to sha256:%s; istio-agent still serves the first module (%d bytes)",
		f.img.URL, f.img.Digest, moved, len(again))
}

// connectionReset wants Envoy to drop a connection on the listener without reaching the
// upstream: what a chain without its filter configuration does.
func connectionReset(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return fmt.Errorf("dial the listener: %v", err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("\x00\x00\x00\x00"))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("Envoy kept the connection open (read: %v); a refused configuration should close it", err)
	}
	return nil
}

func localBytes(t *testing.T, agent *Agent, d *Delivery) []byte {
	t.Helper()
	for name := range d.ECDS {
		res, err := agent.Rewrite(d.Sidecar.Extensions[name])
		if err != nil {
			t.Fatal(err)
		}
		p, err := LocalModule(res)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatal("no ECDS resource with the module")
	return nil
}
