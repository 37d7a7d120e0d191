package sensor

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSharedCapturesNoPanic runs every shared real capture through the
// whole sensor. The decoder recovers a dissector's panic so that one bad
// packet costs one packet; this test makes sure none happens at all, and
// that every capture yields observations.
func TestSharedCapturesNoPanic(t *testing.T) {
	root := testutil.SharedData(t, "pcaps")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng") || strings.HasSuffix(p, ".pcap.gz")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d captures under %s", len(files), root)
	}
	for _, f := range files {
		n := 0
		res, err := ReadFiles(context.Background(), []string{f}, decode.DefaultConfig(), observe.EmitterFunc(func(*observe.Observation) { n++ }), nil)
		rel, _ := filepath.Rel(root, f)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		for _, name := range res.Stats.ProtocolNames() {
			if p := res.Stats.Protocols[name]; p.Panics > 0 {
				t.Errorf("%s: the %s dissector panicked %d times in %d calls", rel, name, p.Panics, p.Calls)
			}
		}
		if n == 0 && res.Packets > 0 {
			t.Logf("%s: %d packets, no observation", rel, res.Packets)
		}
	}
}
