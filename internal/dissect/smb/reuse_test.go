package smb

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// TestOneDissectorLikeFresh replays every SMB conversation of the test
// captures through one dissector, whose caches and reused streams carry
// over from conversation to conversation, and through a fresh dissector
// each: the observations must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	var streams [][]delivery
	for _, name := range []string{"smb-smb1-ascii.pcap", "smb-smbclient.pcap", "smbv1.pcap", "wireshark-smb-on-windows10.pcap"} {
		dissecttest.RunPcap(t, filepath.Join("testdata", name), recordingTCP{New(), &streams})
	}
	replay := func(d *Dissector, st []delivery) ([]observe.Observation, bool) {
		s := d.NewStream()
		var c observe.Collector
		for _, dl := range st {
			if s.Data(meta(dl.c2s), dl.c2s, dl.data, &c) {
				return c.Obs, true
			}
		}
		return c.Obs, false
	}
	one := New()
	finished := 0
	for i, st := range streams {
		want, _ := replay(New(), st)
		got, done := replay(one, st)
		if done {
			finished++
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("conversation %d (-fresh +shared):\n%s", i, diff)
		}
	}
	if finished < 2 {
		t.Errorf("only %d of %d conversations finished: reuse not exercised", finished, len(streams))
	}
}
