package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot is the repository root: the nearest parent of the working directory that holds
// both the Makefile and tools/oci.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "Makefile")) && fileExists(filepath.Join(d, "tools", "oci")) {
			return d
		}
	}
	t.Fatalf("no repository root above %s", dir)
	return ""
}

// Run runs a command in dir and returns its trimmed stdout; a failure ends the test with stderr.
func Run(t testing.TB, dir string, name string, args ...string) string {
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

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
