// Package testenv holds the fixtures the Istio suites share: the repository layout, a real
// OCI registry on loopback (Debian's docker-registry) and the project's OCI tool (tools/oci)
// that builds and pushes the module image.
package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const registryBin = "/usr/bin/docker-registry"

// StartRegistry runs docker-registry on 127.0.0.1:<free port> until the test ends and
// returns its host:port.
func StartRegistry(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(registryBin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: run .ci/install-istio.sh", registryBin)
		}
		t.Skipf("%s missing (apt-get install docker-registry)", registryBin)
	}
	addr := FreeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	body := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(registryBin, "serve", cfg)
	logf, err := os.Create(filepath.Join(dir, "registry.log")) // access log, kept out of test output
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = logf.Close() })
	for i := 0; i < 100; i++ {
		if r, err := http.Get("http://" + addr + "/v2/"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return addr
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("registry did not come up on " + addr)
	return ""
}

// FreeAddr returns 127.0.0.1:<a port the OS just handed out and released>.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(FreeAddr(t))
	var n int
	fmt.Sscan(p, &n)
	return n
}
