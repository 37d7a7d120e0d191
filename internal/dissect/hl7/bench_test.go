package hl7

import (
	"bytes"
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// TestNoAllocsWithoutObservation: bytes that complete no message (a frame
// cut before its MSH segment ends, garbage between frames) allocate nothing
// once buffers are warm. (A cut frame with a whole MSH is reported: see
// TestGapCutsFrame.)
func TestNoAllocsWithoutObservation(t *testing.T) {
	d := New()
	st := d.NewStream()
	var e observe.EmitterFunc = func(*observe.Observation) { t.Fatal("unexpected observation") }
	part := mllp(pcd01("\r", '|', '^', '~', '\\', '&'))
	part = part[:bytes.IndexByte(part, '\r')] // inside MSH, no end block
	garbage := []byte("garbage without a start block")
	m := meta(true)
	st.Data(m, true, part, e)
	st.Gap(true)
	if n := testing.AllocsPerRun(200, func() {
		st.Data(m, true, part[:60], e)
		st.Data(m, true, part[60:], e)
		st.Gap(true)
		st.Data(m, true, garbage, e)
	}); n != 0 {
		t.Errorf("%.1f allocations, want 0", n)
	}
}

// BenchmarkPCD01 parses a PCD-01 report with its device rows (emits).
func BenchmarkPCD01(b *testing.B) {
	d := New()
	msg := mllp(pcd01("\r", '|', '^', '~', '\\', '&'))
	var e observe.EmitterFunc = func(*observe.Observation) {}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	st := d.NewStream().(*stream)
	m := meta(true)
	for b.Loop() {
		st.messages = 0
		st.Data(m, true, msg, e)
	}
}
