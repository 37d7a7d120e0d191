package tls

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// delivery is one Data call: direction and a copy of the bytes.
type delivery struct {
	c2s  bool
	data []byte
}

// recordingTCP records what the decoder delivers to each stream d matches.
type recordingTCP struct {
	d       dissect.TCPDissector
	streams *[][]delivery
}

func (r recordingTCP) Name() string { return r.d.Name() }
func (r recordingTCP) MatchTCP(sp, dp uint16, c2s bool, p []byte) bool {
	return r.d.MatchTCP(sp, dp, c2s, p)
}
func (r recordingTCP) NewStream() dissect.Stream {
	*r.streams = append(*r.streams, nil)
	return &recordingStream{all: r.streams, i: len(*r.streams) - 1, s: r.d.NewStream()}
}

type recordingStream struct {
	all *[][]delivery
	i   int
	s   dissect.Stream
}

func (r *recordingStream) Data(m *dissect.Meta, c2s bool, data []byte, e observe.Emitter) bool {
	(*r.all)[r.i] = append((*r.all)[r.i], delivery{c2s, append([]byte(nil), data...)})
	return r.s.Data(m, c2s, data, e)
}
func (r *recordingStream) Gap(c2s bool) { r.s.Gap(c2s) }

// TestOneDissectorLikeFresh replays every conversation of the test
// captures through one dissector, whose caches and reused streams carry
// over from conversation to conversation, and through a fresh dissector
// each: the observations must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	var streams [][]delivery
	for _, name := range []string{"openssl-tls1_2.pcap", "tls13.pcap", "selfsigned.pcap"} {
		dissecttest.RunPcap(t, filepath.Join("testdata", name), recordingTCP{New(), &streams})
	}
	if len(streams) == 0 {
		t.Fatal("no conversations")
	}
	replay := func(d *Dissector, st []delivery) []observe.Observation {
		s := d.NewStream()
		var c observe.Collector
		for _, dl := range st {
			if s.Data(meta(dl.c2s), dl.c2s, dl.data, &c) {
				break
			}
		}
		return c.Obs
	}
	one := New()
	for round := 0; round < 2; round++ { // the second round hits every cache
		for i, st := range streams {
			want := replay(New(), st)
			got := replay(one, st)
			if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("round %d conversation %d (-fresh +shared):\n%s", round, i, diff)
			}
		}
	}
}
