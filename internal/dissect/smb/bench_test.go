package smb

import (
	"path/filepath"
	"testing"

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

// BenchmarkCapture replays the TCP conversations of the test captures, as
// the decoder delivered them, into new streams of one dissector.
func BenchmarkCapture(b *testing.B) {
	var streams [][]delivery
	for _, name := range []string{"smb-smb1-ascii.pcap", "smb-smbclient.pcap", "smbv1.pcap", "wireshark-smb-on-windows10.pcap"} {
		dissecttest.RunPcap(b, filepath.Join("testdata", name), recordingTCP{New(), &streams})
	}
	if len(streams) == 0 {
		b.Fatal("no SMB conversations")
	}
	d := New()
	mc, ms := meta(true), meta(false)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	for b.Loop() {
		for _, st := range streams {
			s := d.NewStream()
			for _, dl := range st {
				m := ms
				if dl.c2s {
					m = mc
				}
				if s.Data(m, dl.c2s, dl.data, e) {
					break
				}
			}
		}
	}
	b.ReportMetric(float64(len(streams)), "streams/op")
}
