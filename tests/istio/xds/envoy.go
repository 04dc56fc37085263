package istioxds

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// EnvoyBinary is $ENVOY_BIN, else the official build tests/envoy/install.sh pinned for
// $ENVOY_VERSION (default: its newest).
func EnvoyBinary(t testing.TB, root string) string {
	t.Helper()
	if b := os.Getenv("ENVOY_BIN"); b != "" {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("ENVOY_BIN: %v (run `bash tests/envoy/install.sh`)", err)
		}
		return b
	}
	script := filepath.Join(root, "tests", "envoy", "install.sh")
	out, err := exec.Command("bash", script, "--path").Output()
	if err != nil {
		t.Fatalf("%s --path: %v (run `bash tests/envoy/install.sh`, or set ENVOY_BIN)", script, err)
	}
	bin := strings.TrimSpace(string(out))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Envoy %s is not installed: run `bash tests/envoy/install.sh`", bin)
	}
	return bin
}

// Envoy is one real Envoy process.
type Envoy struct {
	cmd     *exec.Cmd
	dir     string
	ecds    string
	admin   string
	exited  chan error
	Version string
}

// StartEnvoy writes the configuration and starts Envoy on it. Stop it with Stop.
func StartEnvoy(t testing.TB, bin string, cfg *EnvoyConfig) *Envoy {
	t.Helper()
	dir := t.TempDir()
	ecds, err := protojson.Marshal(cfg.ECDS)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.ECDSPath, ecds, 0o644); err != nil {
		t.Fatal(err)
	}
	bs, err := protojson.MarshalOptions{Indent: "  "}.Marshal(cfg.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(dir, "envoy.json")
	if err := os.WriteFile(bootstrap, bs, 0o644); err != nil {
		t.Fatal(err)
	}
	v, _ := exec.Command(bin, "--version").Output()
	e := &Envoy{dir: dir, ecds: cfg.ECDSPath, exited: make(chan error, 1), Version: envoyVersion(string(v))}
	e.cmd = exec.Command(bin, "-c", bootstrap, "--disable-hot-restart", "--concurrency", "1",
		"--admin-address-path", filepath.Join(dir, "admin"), "--log-path", filepath.Join(dir, "envoy.log"),
		"--log-level", "info", "--file-flush-interval-msec", "100")
	e.cmd.Stdout, e.cmd.Stderr = io.Discard, io.Discard
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { e.exited <- e.cmd.Wait() }()
	t.Cleanup(e.Stop)
	return e
}

// WaitLive waits until Envoy has initialized (listeners and the ECDS resource loaded)
// and returns an error with Envoy's log when it exits or never gets there.
func (e *Envoy) WaitLive(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-e.exited:
			e.exited <- err
			return fmt.Errorf("envoy exited (%v):\n%s", err, e.Log())
		default:
		}
		if e.admin == "" {
			if b, err := os.ReadFile(filepath.Join(e.dir, "admin")); err == nil && len(b) > 0 {
				e.admin = strings.TrimSpace(string(b))
			}
		}
		if e.admin != "" {
			if body, code, err := e.get("/ready"); err == nil && code == http.StatusOK && strings.Contains(body, "LIVE") {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("envoy not LIVE after %s:\n%s", timeout, e.Log())
}

// UpdateECDS replaces the ECDS resources Envoy watches, as a new xDS push would: written
// beside the file and moved over it, the change Envoy's file watch reacts to.
func (e *Envoy) UpdateECDS(resp *discovery.DiscoveryResponse) error {
	b, err := protojson.Marshal(resp)
	if err != nil {
		return err
	}
	tmp := e.ecds + ".next"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, e.ecds)
}

// Stats is /stats/prometheus.
func (e *Envoy) Stats() (string, error) {
	body, code, err := e.get("/stats/prometheus")
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("status %d", code)
	}
	return body, err
}

func (e *Envoy) get(path string) (string, int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	r, err := c.Get("http://" + e.admin + path)
	if err != nil {
		return "", 0, err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	return string(b), r.StatusCode, err
}

// Log is Envoy's log so far.
func (e *Envoy) Log() string {
	b, _ := os.ReadFile(filepath.Join(e.dir, "envoy.log"))
	return string(b)
}

// Stop ends Envoy (it started it, by its pid) and waits for it.
func (e *Envoy) Stop() {
	if e.cmd.Process == nil {
		return
	}
	_ = e.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-e.exited:
		e.exited <- err
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		e.exited <- <-e.exited
	}
}

func envoyVersion(s string) string {
	if i := strings.Index(s, "version: "); i >= 0 {
		f := strings.Fields(s[i+len("version: "):])
		if len(f) > 0 {
			parts := strings.Split(f[0], "/")
			if len(parts) > 1 {
				return parts[1]
			}
			return f[0]
		}
	}
	return strings.TrimSpace(s)
}
