package istioxds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The placeholders our manifests ship with; `make istio-render` replaces them.
const (
	shippedURL    = "oci://registry.example.com/mesh/kafka-filter:0.1.0"
	shippedSha256 = `"0000000000000000000000000000000000000000000000000000000000000000"`
)

// Image is the module as the suite pushed it to the local registry.
type Image struct {
	URL    string // oci://127.0.0.1:PORT/mesh/kafka-filter:0.1.0
	Digest string // image manifest digest, hex, what sha256 must carry
	Wasm   string // the module file the image holds
}

// ManifestSet is one of the ways we ship to install the filter.
type ManifestSet struct {
	Name  string
	Files []string // under istio/
	// Kind of the documents that select workloads, for messages.
	Kind string
}

var (
	WasmPlugins = ManifestSet{Name: "wasmplugin", Kind: "WasmPlugin",
		Files: []string{"wasmplugin/kafka-filter-broker.yaml", "wasmplugin/kafka-filter-client.yaml"}}
	EnvoyFilterECDS = ManifestSet{Name: "envoyfilter-ecds", Kind: "EnvoyFilter",
		Files: []string{"envoyfilter/kafka-filter-ecds.yaml"}}
)

// Source is the shipped YAML of the set, documents joined.
func (m ManifestSet) Source(t testing.TB, root string) string {
	t.Helper()
	var docs []string
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(root, "istio", f))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "\n---\n")
}

// Render fills in the image reference and digest, the substitution `make istio-render` does.
func Render(src string, img Image) string {
	src = strings.ReplaceAll(src, shippedURL, img.URL)
	return strings.ReplaceAll(src, shippedSha256, `"`+img.Digest+`"`)
}
