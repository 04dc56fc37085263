package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OCITool builds tools/oci (the program behind `make image` and `make push`) into a
// temporary directory and returns the binary. tools/oci is its own module: a -modfile in
// GOFLAGS (the floor build of these tests) is not for it.
func OCITool(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oci")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(RepoRoot(t), "tools", "oci")
	cmd.Env = append(os.Environ(), "GOFLAGS="+withoutModfile(os.Getenv("GOFLAGS")))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("building tools/oci: %v\n%s", err, errb.String())
	}
	return bin
}

func withoutModfile(goflags string) string {
	var keep []string
	for _, f := range strings.Fields(goflags) {
		if !strings.HasPrefix(f, "-modfile=") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// PushImage builds the image of wasm as `make image` does (variant compat or artifact),
// pushes it to ref and returns the manifest digest without "sha256:", the value a
// WasmPlugin's sha256 must carry.
func PushImage(t testing.TB, tool, wasm, variant, ref string) string {
	t.Helper()
	layout := filepath.Join(t.TempDir(), "layout")
	built := Run(t, "", tool, "build", "-wasm", wasm, "-out", layout, "-variant", variant)
	pushed := Run(t, "", tool, "push", "-layout", layout, "-image", ref)
	if !strings.HasPrefix(built, "sha256:") || !strings.HasSuffix(pushed, "@"+built) {
		t.Fatalf("push of %s printed %q, build printed %q", ref, pushed, built)
	}
	return strings.TrimPrefix(built, "sha256:")
}
