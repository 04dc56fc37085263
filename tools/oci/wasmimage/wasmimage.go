// Package wasmimage packages a Proxy-Wasm module as an OCI image that
// istio-agent's Wasm image fetcher (istio/istio pkg/wasm/imagefetcher.go,
// ImageFetcher.PrepareFetch) accepts, and writes it to an OCI image layout.
//
// Two variants are supported, both read by PrepareFetch:
//
//   - VariantCompat (default): OCI manifest, one layer of media type
//     application/vnd.oci.image.layer.v1.tar+gzip holding a single file
//     "plugin.wasm" (read by extractOCIStandardImage / extractWasmPluginBinary).
//   - VariantArtifact: OCI manifest with exactly two layers, the raw module as
//     application/vnd.module.wasm.content.layer.v1+wasm plus a small
//     application/vnd.module.wasm.config.v1+json layer (read by
//     extractOCIArtifactImage, which insists on len(layers) == 2).
//
// Builds are reproducible: the same .wasm bytes give the same manifest digest
// (fixed epoch timestamps, uid/gid 0, a single sorted tar entry, gzip with no
// name and no mtime in its header, fixed config).
package wasmimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Variant selects the image layout.
type Variant string

const (
	VariantCompat   Variant = "compat"
	VariantArtifact Variant = "artifact"

	// PluginFileName is the file name istio-agent looks for in the compat layer.
	PluginFileName = "plugin.wasm"
	// WasmContentMediaType is the layer media type of the raw module (artifact variant).
	WasmContentMediaType types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	// WasmConfigMediaType is the media type of the artifact variant's second layer.
	WasmConfigMediaType types.MediaType = "application/vnd.module.wasm.config.v1+json"
	// AnnotationWasmSHA256 records the sha256 of the packaged .wasm in the manifest.
	AnnotationWasmSHA256 = "dev.kafka-envoy-wasm-filter.wasm.sha256"
	// RefNameAnnotation is the OCI layout annotation naming the image in index.json.
	RefNameAnnotation = "org.opencontainers.image.ref.name"
)

// epoch is the fixed timestamp used everywhere a time is recorded.
var epoch = time.Unix(0, 0).UTC()

var wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d}

// CheckWasm applies the same sanity check as istio-agent's isValidWasmBinary
// (pkg/wasm/cache.go): at least 8 bytes starting with "\0asm".
func CheckWasm(b []byte) error {
	if len(b) < 8 || !bytes.Equal(b[:4], wasmMagic) {
		return errors.New("not a Wasm module: want at least 8 bytes starting with \\0asm")
	}
	return nil
}

// CompatLayerBytes returns the deterministic tar.gz holding plugin.wasm.
func CompatLayerBytes(wasm []byte) ([]byte, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     PluginFileName,
		Mode:     0o444,
		Size:     int64(len(wasm)),
		ModTime:  epoch,
		Uid:      0,
		Gid:      0,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(wasm); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gzBuf bytes.Buffer
	gw, err := gzip.NewWriterLevel(&gzBuf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// Header: no Name, no Comment, zero ModTime (written as 0), OS left at
	// Go's fixed default: nothing host- or time-dependent.
	if _, err := gw.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := gw.Close(); err != nil {
		return nil, err
	}
	return gzBuf.Bytes(), nil
}

// Build returns the image for wasm in the given variant.
func Build(wasm []byte, variant Variant) (v1.Image, error) {
	if err := CheckWasm(wasm); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(wasm)
	wasmHex := hex.EncodeToString(sum[:])

	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)

	var adds []mutate.Addendum
	switch variant {
	case VariantCompat, "":
		gz, err := CompatLayerBytes(wasm)
		if err != nil {
			return nil, err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(gz)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: layer, History: history("COPY " + PluginFileName)})
	case VariantArtifact:
		cfgLayer := static.NewLayer([]byte(`{"type":"envoy_proxy","abiVersions":["v0.2.1"]}`), WasmConfigMediaType)
		adds = append(adds,
			mutate.Addendum{Layer: static.NewLayer(wasm, WasmContentMediaType), History: history("wasm module")},
			mutate.Addendum{Layer: cfgLayer, History: history("wasm module config")},
		)
	default:
		return nil, fmt.Errorf("unknown variant %q (want %q or %q)", variant, VariantCompat, VariantArtifact)
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = "wasm"
	cfg.OS = "wasip1"
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config = v1.Config{Labels: map[string]string{AnnotationWasmSHA256: wasmHex}}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	img = mutate.Annotations(img, map[string]string{AnnotationWasmSHA256: wasmHex}).(v1.Image)
	return img, nil
}

func history(createdBy string) v1.History {
	return v1.History{Created: v1.Time{Time: epoch}, CreatedBy: createdBy, Comment: "kafka-envoy-wasm-filter tools/oci"}
}

// WriteLayout replaces dir with an OCI image layout holding img, tagged tag.
func WriteLayout(dir string, img v1.Image, tag string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: tag}))
	}
	return p.AppendImage(img, opts...)
}

// ReadLayout returns the single image stored in the OCI layout dir.
func ReadLayout(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("%s: want exactly one manifest in index.json, got %d", dir, len(m.Manifests))
	}
	return idx.Image(m.Manifests[0].Digest)
}
