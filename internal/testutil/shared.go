// Package testutil holds helpers for tests only: locating the shared real
// data and comparing against golden files.
package testutil

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// SharedData returns the path of rel under ../shared/data beside the repo.
// Without it the test skips, except under CI=true, where its absence fails.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	root := RepoRoot(t)
	candidates := []string{filepath.Join(root, "..", "shared", "data")}
	if env := os.Getenv("WARD_SHARED_DATA"); env != "" {
		candidates = append([]string{env}, candidates...)
	}
	for _, c := range candidates {
		p := filepath.Join(c, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared data %s not found (looked in %v); CI must have ../shared", rel, candidates)
	}
	t.Skipf("shared data %s not found beside the repo; skipping", rel)
	return ""
}

// Golden compares got (marshalled as indented JSON) with testdata/<name>.golden.json,
// rewriting it under -update.
func Golden(t testing.TB, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create): %v", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
