package build

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardiomt/ward/internal/feeds/snapshot"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSnapshotUpToDate fails when the committed snapshot differs from what
// the generator makes of the shared data (run go generate ./internal/feeds/snapshot).
func TestSnapshotUpToDate(t *testing.T) {
	data := testutil.SharedData(t, "feeds")
	got, summary, err := Build(data)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "data", "snapshot.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("committed snapshot is stale; regenerate with: go run ./internal/feeds/snapshot/gen -data %s (%s)", data, summary)
	}
}

func TestEmbeddedSnapshot(t *testing.T) {
	f, err := snapshot.Load()
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	for _, a := range f.Advisories {
		bySource[string(a.Source)]++
	}
	if f.Date == "" || bySource["csaf"] != 183 || bySource["nvd"] != 96 || bySource["cve5"] != 40 || len(f.KEV) < 1662 || len(f.EPSS) < 500 {
		t.Errorf("snapshot %s: %v advisories, %d KEV, %d EPSS", f.Date, bySource, len(f.KEV), len(f.EPSS))
	}
}
