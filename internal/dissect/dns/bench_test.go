package dns

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// BenchmarkCapture dissects the DNS datagrams of the test captures, in
// frame order, with one dissector: per-packet cost on real traffic, where
// names recur.
func BenchmarkCapture(b *testing.B) {
	d := New()
	var msgs [][]byte
	for _, name := range []string{"dns_udp.pcap", "medical_dns.pcap"} {
		got := dissecttest.MatchedUDPPayloads(b, filepath.Join("testdata", name), d.MatchUDP)
		frames := make([]int, 0, len(got))
		for f := range got {
			frames = append(frames, f)
		}
		sort.Ints(frames)
		for _, f := range frames {
			msgs = append(msgs, got[f])
		}
	}
	if len(msgs) == 0 {
		b.Fatal("no DNS payloads")
	}
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range msgs {
			_ = d.DissectUDP(m, p, e)
		}
	}
	b.ReportMetric(float64(len(msgs)), "packets/op")
}
