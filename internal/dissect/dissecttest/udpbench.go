package dissecttest

import (
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// mixLimit bounds BenchUDPMix to the first datagrams of the capture, so a
// run stays short whatever the capture's size.
const mixLimit = 20000

// OrderedUDPPayloads returns the UDP payloads that the decoder hands to a
// dissector matching as match does, capture after capture in the order
// given and by frame number within each: the order a sensor sees them in.
func OrderedUDPPayloads(tb testing.TB, match func(sp, dp uint16, p []byte) bool, paths ...string) [][]byte {
	tb.Helper()
	var msgs [][]byte
	for _, path := range paths {
		got := MatchedUDPPayloads(tb, path, match)
		frames := make([]int, 0, len(got))
		for f := range got {
			frames = append(frames, f)
		}
		sort.Ints(frames)
		for _, f := range frames {
			msgs = append(msgs, got[f])
		}
	}
	return msgs
}

// UDPMeta is the metadata the capture tests and benchmarks give every
// datagram: one client talking to one server.
func UDPMeta() *dissect.Meta {
	return &dissect.Meta{
		Time:  time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP: netip.MustParseAddr("10.0.0.5"), DstIP: netip.MustParseAddr("10.0.0.1"),
		Transport: "udp",
	}
}

// Testdata names files in the package's testdata folder.
func Testdata(names ...string) []string {
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join("testdata", n)
	}
	return paths
}

// BenchUDP dissects the datagrams d matches in the captures at paths, in
// order (OrderedUDPPayloads), with the one dissector d per iteration: the
// per-packet cost on real traffic, where names and values recur. It fails
// when nothing matches, since the captures are part of the repository.
func BenchUDP(b *testing.B, d dissect.UDPDissector, m *dissect.Meta, paths ...string) {
	b.Helper()
	msgs := OrderedUDPPayloads(b, d.MatchUDP, paths...)
	if len(msgs) == 0 {
		b.Fatal("no payloads")
	}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range msgs {
			_ = d.DissectUDP(m, p, e)
		}
	}
	b.ReportMetric(float64(len(msgs)), "packets/op")
}

// BenchUDPMix is BenchUDP on the first datagrams d matches in the large
// capture named by WARD_BENCH_PCAP (e.g. bench/out/mix.pcap), reporting
// ns/packet; skipped without it, or when nothing in it matches.
func BenchUDPMix(b *testing.B, d dissect.UDPDissector) {
	b.Helper()
	path := os.Getenv("WARD_BENCH_PCAP")
	if path == "" {
		b.Skip("WARD_BENCH_PCAP not set")
	}
	msgs := OrderedUDPPayloads(b, d.MatchUDP, path)
	msgs = msgs[:min(len(msgs), mixLimit)]
	if len(msgs) == 0 {
		b.Skip("no payloads")
	}
	m := &dissect.Meta{Time: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), Transport: "udp"}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range msgs {
			_ = d.DissectUDP(m, p, e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(msgs)), "ns/packet")
	b.ReportMetric(float64(len(msgs)), "packets/op")
}
