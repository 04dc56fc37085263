package istio

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	istiowasm "istio.io/istio/pkg/wasm"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

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
	addr := testenv.StartRegistry(t)
	wasmPath := wasmUnderTest(t)
	want, _ := os.ReadFile(wasmPath)
	tmp := t.TempDir()
	ociBin := testenv.OCITool(t)
	run := testenv.Run

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
