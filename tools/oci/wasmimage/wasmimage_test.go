package wasmimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

var testWasm = []byte("\x00asm\x01\x00\x00\x00kafka-filter-test-payload")

func TestBuildIsReproducible(t *testing.T) {
	for _, v := range []Variant{VariantCompat, VariantArtifact} {
		dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
		var digests []string
		for _, dir := range []string{dirA, dirB} {
			img, err := Build(append([]byte(nil), testWasm...), v)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteLayout(dir, img, "latest"); err != nil {
				t.Fatal(err)
			}
			back, err := ReadLayout(dir)
			if err != nil {
				t.Fatal(err)
			}
			d, err := back.Digest()
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, d.String())
		}
		if digests[0] != digests[1] {
			t.Fatalf("%s: same wasm gave different digests %v", v, digests)
		}
		other, err := Build(append(append([]byte(nil), testWasm...), 0), v)
		if err != nil {
			t.Fatal(err)
		}
		od, _ := other.Digest()
		if od.String() == digests[0] {
			t.Fatalf("%s: different wasm gave the same digest", v)
		}
	}
}

func TestCompatLayout(t *testing.T) {
	img, err := Build(testWasm, VariantCompat)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
		t.Fatalf("manifest/config media types: %s / %s", m.MediaType, m.Config.MediaType)
	}
	layers, _ := img.Layers()
	if len(layers) != 1 {
		t.Fatalf("want 1 layer, got %d", len(layers))
	}
	mt, _ := layers[0].MediaType()
	if mt != types.OCILayer {
		t.Fatalf("layer media type %s", mt)
	}
	rc, _ := layers[0].Compressed()
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Fatalf("gzip header carries name/mtime: %q %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != PluginFileName || h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 {
		t.Fatalf("tar header %+v", h)
	}
	got, _ := io.ReadAll(tr)
	if !bytes.Equal(got, testWasm) {
		t.Fatal("plugin.wasm differs from input")
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("want a single tar entry, next: %v", err)
	}
	// diff_id in the config must be the uncompressed tar digest.
	cfg, _ := img.ConfigFile()
	diff, _ := layers[0].DiffID()
	if len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != diff {
		t.Fatalf("rootfs diff_ids %v, layer diff id %v", cfg.RootFS.DiffIDs, diff)
	}
}

func TestArtifactLayout(t *testing.T) {
	img, err := Build(testWasm, VariantArtifact)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	if len(layers) != 2 {
		t.Fatalf("istio's extractOCIArtifactImage needs exactly 2 layers, got %d", len(layers))
	}
	mt, _ := layers[0].MediaType()
	if mt != WasmContentMediaType {
		t.Fatalf("layer 0 media type %s", mt)
	}
	rc, _ := layers[0].Compressed()
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, testWasm) {
		t.Fatal("wasm layer differs from input")
	}
}

func TestRejectsNonWasm(t *testing.T) {
	if _, err := Build([]byte("not wasm at all"), VariantCompat); err == nil {
		t.Fatal("want error for non-wasm input")
	}
	if _, err := Build(testWasm, "tarball"); err == nil {
		t.Fatal("want error for unknown variant")
	}
}
