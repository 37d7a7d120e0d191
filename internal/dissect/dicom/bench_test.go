package dicom

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
)

// openAssociation returns a stream past RQ/AC with nothing else pending.
func openAssociation(tb testing.TB, d *Dissector) *stream {
	tb.Helper()
	st := d.NewStream().(*stream)
	pcs := []pc{{id: 1, abstract: "1.2.840.10008.5.1.4.1.2.2.1", ts: []string{tsImplicitLE}}}
	var c observe.Collector
	st.Data(testMeta(true), true, associateRQ("A", "B", pcs), &c)
	st.Data(testMeta(false), false, associateAC("A", "B", pcs), &c)
	return st
}

// TestNoAllocsWithoutObservation: P-DATA that yields nothing (a dataset Ward
// does not read, like C-FIND identifiers or pixel data) allocates nothing.
func TestNoAllocsWithoutObservation(t *testing.T) {
	d := New()
	st := openAssociation(t, d)
	frag := pdv(1, false, false, make([]byte, 16000))
	var e observe.EmitterFunc = func(*observe.Observation) { t.Fatal("unexpected observation") }
	m := testMeta(true)
	if n := testing.AllocsPerRun(200, func() { st.Data(m, true, frag, e) }); n != 0 {
		t.Errorf("%.1f allocations per P-DATA-TF, want 0", n)
	}
	for _, size := range []int{1, 100, 1460} {
		if n := testing.AllocsPerRun(50, func() {
			for b := frag; len(b) > 0; b = b[min(size, len(b)):] {
				st.Data(m, true, b[:min(size, len(b))], e)
			}
		}); n != 0 {
			t.Errorf("chunk %d: %.1f allocations, want 0", size, n)
		}
	}
}

// BenchmarkPData: a bulk transfer that Ward does not read (16 KiB PDUs).
func BenchmarkPData(b *testing.B) {
	d := New()
	st := openAssociation(b, d)
	frag := pdv(1, false, false, make([]byte, 16378))
	var e observe.EmitterFunc = func(*observe.Observation) {}
	m := testMeta(true)
	b.ReportAllocs()
	b.SetBytes(int64(len(frag)))
	for b.Loop() {
		st.Data(m, true, frag, e)
	}
}

// BenchmarkStoreAssociation: a whole association with a C-STORE, delivered
// in 1460-byte segments, until the identity is emitted.
func BenchmarkStoreAssociation(b *testing.B) {
	s := session{tsExplicitLE, enc{explicit: true}.encode(canaryDataset())}
	msgs := s.messages()
	d := New()
	var e observe.EmitterFunc = func(*observe.Observation) {}
	toServer, toClient := testMeta(true), testMeta(false)
	metaFor := func(c2s bool) *dissect.Meta {
		if c2s {
			return toServer
		}
		return toClient
	}
	b.ReportAllocs()
	for b.Loop() {
		st := d.NewStream()
	assoc:
		for _, m := range msgs {
			for p := m.data; len(p) > 0; p = p[min(1460, len(p)):] {
				if st.Data(metaFor(m.c2s), m.c2s, p[:min(1460, len(p))], e) {
					break assoc
				}
			}
		}
	}
}

// TestEndCountsAssociation: an association that ends before any identity
// was read (here: RQ, AC, then the connection closes) is still counted
// once, and its buffers serve the next association.
func TestEndCountsAssociation(t *testing.T) {
	d := New()
	st := openAssociation(t, d)
	var c observe.Collector
	st.End(testMeta(true), &c)
	if u := medtest.Values(c.Obs, "dicom.associations"); len(u) != 1 || u[0] != "1" {
		t.Fatalf("associations %v after End, want [1]", u)
	}
	if len(d.bufs.Get()) != 0 {
		t.Error("a recycled buffer was not emptied")
	}
	next := openAssociation(t, d) // reuses what the first one released
	next.End(testMeta(true), &c)
	if u := medtest.Values(c.Obs, "dicom.associations"); len(u) != 2 {
		t.Fatalf("second association: %d association counts, want 2", len(u))
	}
}
