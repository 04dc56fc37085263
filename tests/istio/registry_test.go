package istio

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	istiowasm "istio.io/istio/pkg/wasm"
)

// startRegistry runs Debian's docker-registry (distribution) on 127.0.0.1:<free port>.
func startRegistry(t *testing.T) string {
	bin := "/usr/bin/docker-registry"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: run .ci/install-istio.sh", bin)
		}
		t.Skipf("%s missing (apt-get install docker-registry)", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)), 0o644)
	cmd := exec.Command(bin, "serve", cfg)
	logf, _ := os.Create(filepath.Join(dir, "registry.log")) // access log; kept out of test output
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if r, err := http.Get("http://" + addr + "/v2/"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return addr
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("registry did not come up on " + addr)
	return ""
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// wasmUnderTest is $WASM, else build/kafka-filter.wasm, else a minimal stand-in module.
func wasmUnderTest(t *testing.T) string {
	if w := os.Getenv("WASM"); w != "" {
		p, _ := filepath.Abs(w)
		return p
	}
	if p, _ := filepath.Abs(filepath.Join(RepoRoot(), "build", "kafka-filter.wasm")); fileExists(p) {
		return p
	}
	p := filepath.Join(t.TempDir(), "standin.wasm")
	os.WriteFile(p, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestRegistryRoundTripWithIstioFetcher(t *testing.T) {
	addr := startRegistry(t)
	wasmPath := wasmUnderTest(t)
	want, _ := os.ReadFile(wasmPath)
	tmp := t.TempDir()
	ociBin := filepath.Join(tmp, "oci")
	ociDir, _ := filepath.Abs(filepath.Join(RepoRoot(), "tools", "oci"))
	run(t, ociDir, "go", "build", "-o", ociBin, ".")

	for _, variant := range []string{"compat", "artifact"} {
		t.Run(variant, func(t *testing.T) {
			l1, l2 := filepath.Join(tmp, variant+"1"), filepath.Join(tmp, variant+"2")
			d1 := run(t, tmp, ociBin, "build", "-wasm", wasmPath, "-out", l1, "-variant", variant)
			d2 := run(t, tmp, ociBin, "build", "-wasm", wasmPath, "-out", l2, "-variant", variant)
			if d1 != d2 || !strings.HasPrefix(d1, "sha256:") {
				t.Fatalf("not reproducible: %s vs %s", d1, d2)
			}
			ref := fmt.Sprintf("%s/mesh/kafka-filter:%s", addr, variant)
			pushed := run(t, tmp, ociBin, "push", "-layout", l1, "-image", ref)
			if !strings.HasSuffix(pushed, "@"+d1) {
				t.Fatalf("push printed %q, want digest %s", pushed, d1)
			}

			// Media types as stored in the registry.
			r, _ := name.ParseReference(ref)
			img, err := remote.Image(r)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := img.Manifest()
			if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
				t.Fatalf("media types %s / %s", m.MediaType, m.Config.MediaType)
			}
			switch variant {
			case "compat":
				if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
					t.Fatalf("compat layers %+v", m.Layers)
				}
			case "artifact":
				if len(m.Layers) != 2 || m.Layers[0].MediaType != "application/vnd.module.wasm.content.layer.v1+wasm" {
					t.Fatalf("artifact layers %+v", m.Layers)
				}
			}

			// istio-agent's own fetcher (istio.io/istio/pkg/wasm ImageFetcher.PrepareFetch).
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			f := istiowasm.NewImageFetcher(ctx, istiowasm.ImageFetcherOption{Insecure: true})
			fetch, digest, err := f.PrepareFetch(ref)
			if err != nil {
				t.Fatal(err)
			}
			if "sha256:"+digest != d1 {
				t.Fatalf("istio sees manifest digest %s, build printed %s (WasmPlugin.sha256 must be %s)", digest, d1, strings.TrimPrefix(d1, "sha256:"))
			}
			got, err := fetch()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("istio fetched %d bytes, want the %d bytes of %s", len(got), len(want), wasmPath)
			}
		})
	}
}
