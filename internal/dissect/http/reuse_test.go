package http

import (
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
	req := []byte("GET /a HTTP/1.1\r\nHost: pump.local\r\nUser-Agent: probe/1\r\n\r\n")
	// No length: the body runs to the close, so the stream is finished.
	resp := []byte("HTTP/1.1 200 OK\r\nServer: lighttpd\r\n\r\nbody")
	ms := meta()
	ms.SrcPort, ms.DstPort = ms.DstPort, ms.SrcPort
	run := func(d *Dissector) (*stream, []observe.Observation, bool) {
		s := d.NewStream().(*stream)
		var c observe.Collector
		s.Data(meta(), true, req, &c)
		done := s.Data(ms, false, resp, &c)
		return s, c.Obs, done
	}
	_, want, done := run(New())
	if !done {
		t.Fatal("setup: exchange did not finish the stream")
	}
	d := New()
	first, got, _ := run(d)
	eq := cmpopts.EquateComparable(netip.Addr{})
	if diff := cmp.Diff(want, got, eq); diff != "" {
		t.Fatalf("first stream (-fresh +got):\n%s", diff)
	}
	var c observe.Collector
	if !first.Data(meta(), true, req, &c) || len(c.Obs) != 0 {
		t.Errorf("finished stream: not done, or emitted %d observations", len(c.Obs))
	}
	if n := d.sc.free.Len(); n != 1 {
		t.Errorf("free list holds %d streams, want 1", n)
	}
	second, got, _ := run(d)
	if second != first {
		t.Error("finished stream not reused")
	}
	if diff := cmp.Diff(want, got, eq); diff != "" {
		t.Errorf("reused stream (-fresh +got):\n%s", diff)
	}
}

// TestEndedStreamReused: a keep-alive conversation never reports done; when
// the decoder ends it, the stream emits nothing and serves the next one.
func TestEndedStreamReused(t *testing.T) {
	d := New()
	s := d.NewStream().(*stream)
	var c observe.Collector
	if s.Data(meta(), true, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), &c) {
		t.Fatal("setup: keep-alive request finished the stream")
	}
	n := len(c.Obs)
	s.End(meta(), &c)
	if len(c.Obs) != n {
		t.Errorf("End emitted %d observations", len(c.Obs)-n)
	}
	if d.NewStream().(*stream) != s {
		t.Error("ended stream not reused")
	}
}
