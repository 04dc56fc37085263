package istioxds

import (
	"fmt"
	"testing"
)

// istioReleases are the Istio releases the suite is built against: go.mod (the newest
// release the Go module proxy serves) and go.floor.mod (the oldest one it serves whole).
// Istio's tags (1.31.0) are not semver module versions, so Go sees them as the commit's
// pseudo-version; `go list -m istio.io/istio@1.31.0` resolves a tag to it.
var istioReleases = map[string]string{
	"v0.0.0-20260827124520-eed52ebb66ad": "1.31.0",
	"v0.0.0-20250808040725-7359d8be2504": "1.27.0",
}

// IstioRelease is the release of the Istio module this binary is built with.
func IstioRelease(t testing.TB) string {
	t.Helper()
	v, _, err := IstioModule()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := istioReleases[v]
	if !ok {
		t.Fatal(fmt.Sprintf("istio.io/istio %s is not a release this suite knows: add it to istioReleases", v))
	}
	return r
}
