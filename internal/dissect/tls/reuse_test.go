package tls

import (
	gotls "crypto/tls"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/observe"
)

// TestStreamReuse: a finished stream is reused by the next NewStream and
// reads the next connection exactly as a fresh one; called again after it
// finished, it stays done and is not handed out twice.
func TestStreamReuse(t *testing.T) {
	chunks := handshake(t, gotls.VersionTLS12)
	want, done := replay(chunks, 1<<20)
	if !done {
		t.Fatal("setup: handshake did not finish the stream")
	}
	d := New()
	run := func() (*stream, []observe.Observation) {
		s := d.NewStream().(*stream)
		var c observe.Collector
		for _, ch := range chunks {
			if s.Data(meta(ch.c2s), ch.c2s, ch.data, &c) {
				break
			}
		}
		return s, c.Obs
	}
	first, got := run()
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Fatalf("first stream (-fresh +got):\n%s", diff)
	}
	var c observe.Collector
	if !first.Data(meta(true), true, chunks[0].data, &c) || len(c.Obs) != 0 {
		t.Errorf("finished stream: not done, or emitted %d observations", len(c.Obs))
	}
	if n := len(d.sc.free); n != 1 {
		t.Errorf("free list holds %d streams, want 1", n)
	}
	second, got := run()
	if second != first {
		t.Error("finished stream not reused")
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("reused stream (-fresh +got):\n%s", diff)
	}
}
