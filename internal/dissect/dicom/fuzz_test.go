package dicom

import (
	"os"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// seedPDUs are real Upper Layer bytes: the client side of a dcmtk store
// (from testdata) and synthetic sessions in every transfer syntax.
func seedPDUs(f *testing.F) {
	ds := canaryDataset()
	for _, s := range []session{
		{tsImplicitLE, enc{}.encode(ds)},
		{tsExplicitBE, enc{explicit: true, be: true}.encode(ds)},
		{tsDeflatedLE, deflate(enc{explicit: true}.encode(ds))},
	} {
		var c2s, s2c []byte
		for _, m := range s.messages() {
			if m.c2s {
				c2s = append(c2s, m.data...)
			} else {
				s2c = append(s2c, m.data...)
			}
		}
		f.Add(c2s, s2c, uint16(1500))
	}
	if b, err := os.ReadFile("testdata/dcmtk_store_ge_ct.pcap"); err == nil {
		f.Add(b, []byte{}, uint16(64)) // not PDUs at all: exercises resync
	}
}

// FuzzPDU drives a whole association: both directions, chunked.
func FuzzPDU(f *testing.F) {
	seedPDUs(f)
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, chunk uint16) {
		n := int(chunk%4096) + 1
		d := New()
		st := d.NewStream()
		var c observe.Collector
		done, first := false, true
		for !done && (len(c2s) > 0 || len(s2c) > 0) {
			a, b := min(n, len(c2s)), min(n, len(s2c))
			if done = st.Data(testMeta(true), true, c2s[:a], &c); done {
				break
			}
			if b > 0 {
				if done = st.Data(testMeta(false), false, s2c[:b], &c); done {
					break
				}
			}
			if first && chunk&0x8000 != 0 { // a hole after the first pieces (lost segments, a snap length)
				st.Gap(true)
				st.Gap(false)
			}
			first = false
			c2s, s2c = c2s[a:], s2c[b:]
		}
		if !done {
			st.(dissect.Ender).End(testMeta(true), &c)
		}
		if d.guard.Dropped != 0 {
			t.Fatalf("guard dropped %d fields", d.guard.Dropped)
		}
	})
}

// FuzzDataset drives the dataset and command parsers directly.
func FuzzDataset(f *testing.F) {
	ds := canaryDataset()
	f.Add(enc{}.encode(ds))
	f.Add(enc{explicit: true}.encode(ds))
	f.Add(enc{explicit: true, be: true}.encode(ds))
	f.Add(commandSet(0x0001, "1.2.840.10008.5.1.4.1.1.2", true))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []syntax{implicitLE, explicitLE, explicitBE, sniffSyntax(b)} {
			var id identity
			_, _ = parseDataset(b, s, &id)
		}
		_, _ = parseCommand(b)
		d := New()
		_ = d.inflate(b)
	})
}
