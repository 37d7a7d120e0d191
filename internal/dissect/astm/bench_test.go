package astm

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// TestNoAllocsSteadyState: once a side's Header is reported, further
// messages (same Header, patient and result records) allocate nothing.
func TestNoAllocsSteadyState(t *testing.T) {
	d, _ := NewWithConfig(Config{MaxRecord: 8 << 10, MaxMessages: 1 << 30, MaxRecords: 1 << 30})
	st := d.NewStream()
	msg := e1381(64, message(instrumentHeader)...)
	rawMsg := raw("\r\n", message(instrumentHeader)...)
	var e observe.EmitterFunc = func(*observe.Observation) {}
	mc, ms := meta(true), meta(false)
	garbage := []byte("garbage\r\n")
	st.Data(mc, true, msg, e)
	st.Data(ms, false, rawMsg, e)
	if n := testing.AllocsPerRun(200, func() {
		st.Data(mc, true, msg[:100], e)
		st.Data(mc, true, msg[100:], e)
		st.Data(ms, false, rawMsg, e)
		st.Gap(true)
		st.Data(mc, true, garbage, e)
	}); n != 0 {
		t.Errorf("%.1f allocations, want 0", n)
	}
}

// BenchmarkMessage parses whole framed messages (Header, patient, order,
// result, comment, terminator) on a stream that already reported its
// Header: the cost of the traffic Ward reads before it stops inspecting.
func BenchmarkMessage(b *testing.B) {
	d, _ := NewWithConfig(Config{MaxRecord: 8 << 10, MaxMessages: 1 << 30, MaxRecords: 1 << 30})
	msg := e1381(240, message(instrumentHeader)...)
	var e observe.EmitterFunc = func(*observe.Observation) {}
	st := d.NewStream()
	m := meta(true)
	st.Data(m, true, msg, e)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		st.Data(m, true, msg, e)
	}
}

// BenchmarkConnection is a new connection up to its first Header reported
// (an observation made, strings allocated).
func BenchmarkConnection(b *testing.B) {
	d := New()
	inst, lis := conversation()
	var e observe.EmitterFunc = func(*observe.Observation) {}
	b.ReportAllocs()
	for b.Loop() {
		st := d.NewStream()
		st.Data(meta(true), true, inst, e)
		st.Data(meta(false), false, lis, e)
	}
}

// BenchmarkMatchTCP is detection on a payload of another protocol.
func BenchmarkMatchTCP(b *testing.B) {
	d := New()
	p := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		d.MatchTCP(49152, 80, true, p)
	}
}
