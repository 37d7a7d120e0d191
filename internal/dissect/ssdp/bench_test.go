package ssdp

import (
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// BenchmarkCapture dissects the matching datagrams of the test captures, in
// frame order, with one dissector: per-packet cost on real traffic, where
// names and values recur.
func BenchmarkCapture(b *testing.B) {
	d := New()
	var msgs [][]byte
	for _, name := range []string{"ssdp-m-search-ua.pcap", "ssdp-m-search.pcap"} {
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
		b.Fatal("no payloads")
	}
	m := &dissect.Meta{
		Time:  time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP: netip.MustParseAddr("10.0.0.5"), DstIP: netip.MustParseAddr("10.0.0.1"),
		Transport: "udp",
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

// BenchmarkMix is BenchmarkCapture on the first datagrams of a large
// capture named by WARD_BENCH_PCAP (e.g. bench/out/mix.pcap); skipped
// without it.
func BenchmarkMix(b *testing.B) {
	path := os.Getenv("WARD_BENCH_PCAP")
	if path == "" {
		b.Skip("WARD_BENCH_PCAP not set")
	}
	d := New()
	got := dissecttest.MatchedUDPPayloads(b, path, d.MatchUDP)
	frames := make([]int, 0, len(got))
	for f := range got {
		frames = append(frames, f)
	}
	sort.Ints(frames)
	var msgs [][]byte
	for _, f := range frames[:min(len(frames), 20000)] {
		msgs = append(msgs, got[f])
	}
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
