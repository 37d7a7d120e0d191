package poct

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// TestNoAllocsSteadyState: once the Hello is reported, further messages
// (the same Hello, observations, acknowledgements, a gap) allocate nothing.
func TestNoAllocsSteadyState(t *testing.T) {
	d, _ := NewWithConfig(Config{MaxMessage: 16 << 10, AfterHello: 1 << 30, MaxMessages: 1 << 30, MaxBytes: 1 << 30})
	st := d.NewStream()
	dev, dm := conversation()
	var e observe.EmitterFunc = func(*observe.Observation) {}
	mc, ms := meta(true), meta(false)
	st.Data(mc, true, dev, e)
	st.Data(ms, false, dm, e)
	if n := testing.AllocsPerRun(200, func() {
		st.Data(mc, true, dev[:100], e)
		st.Data(mc, true, dev[100:], e)
		st.Data(ms, false, dm, e)
		st.Gap(true)
		st.Data(mc, true, []byte(bloodGasHello[:50]), e)
		st.Gap(true)
	}); n != 0 {
		t.Errorf("%.1f allocations, want 0", n)
	}
}

// BenchmarkMessages parses the device's side of a conversation (Hello,
// status, observations, end of topic) on a stream that already reported
// its Hello: the cost of the traffic Ward reads before it stops.
func BenchmarkMessages(b *testing.B) {
	d, _ := NewWithConfig(Config{MaxMessage: 16 << 10, AfterHello: 1 << 30, MaxMessages: 1 << 30, MaxBytes: 1 << 30})
	dev, _ := conversation()
	var e observe.EmitterFunc = func(*observe.Observation) {}
	st := d.NewStream()
	m := meta(true)
	st.Data(m, true, dev, e)
	b.ReportAllocs()
	b.SetBytes(int64(len(dev)))
	for b.Loop() {
		st.Data(m, true, dev, e)
	}
}

// BenchmarkConnection is a new connection up to its Hello reported and
// inspection stopped.
func BenchmarkConnection(b *testing.B) {
	d := New()
	dev, dm := conversation()
	var e observe.EmitterFunc = func(*observe.Observation) {}
	b.ReportAllocs()
	for b.Loop() {
		st := d.NewStream()
		st.Data(meta(true), true, dev, e)
		st.Data(meta(false), false, dm, e)
	}
}

// BenchmarkMatchTCP is detection on payloads of other protocols.
func BenchmarkMatchTCP(b *testing.B) {
	d := New()
	p := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	x := []byte(`<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">`)
	b.ReportAllocs()
	for b.Loop() {
		d.MatchTCP(49152, 80, true, p)
		d.MatchTCP(49152, 80, true, x)
	}
}
