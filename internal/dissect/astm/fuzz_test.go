package astm

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzASTM drives both directions' framers and the Header parser with
// input cut at an arbitrary point, with a gap now and then: no panic, no
// field off the allowlist, no value over the bound or invalid UTF-8, and
// nothing from a side that sent no Header.
func FuzzASTM(f *testing.F) {
	inst, lis := conversation()
	f.Add(inst, lis, uint16(17), false)
	f.Add(raw("\r\n", message(instrumentHeader)...), []byte{ack}, uint16(3), true)
	f.Add(e1381(240, `H!@#$!CTL!!XN-1000#00-20$S$A#11223!!!!!HOST!!P!1`, `L!1!N`), []byte(nil), uint16(40), false)
	f.Add([]byte("\x05\x021H|\\^&\x17"), []byte("\x021\x03zz\r\n"), uint16(1), true)
	f.Fuzz(func(t *testing.T, a, b []byte, cut uint16, gap bool) {
		d, err := NewWithConfig(Config{MaxRecord: 256, MaxMessages: 1 << 20, MaxRecords: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		st := d.NewStream()
		var c observe.Collector
		if !dissecttest.FeedInTurns(st, meta, true, a, b, int(cut), &c) {
			if gap {
				st.Gap(true)
				st.Data(meta(true), true, a, &c)
			}
			st.(dissect.Ender).End(meta(true), &c)
		}
		if d.Dropped != 0 {
			t.Fatalf("guard dropped %d fields", d.Dropped)
		}
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if !allowed[fl.Key] || len(fl.Value) > 3*maxValue || !utf8.ValidString(fl.Value) {
					t.Fatalf("field %s=%q", fl.Key, fl.Value)
				}
			}
			// Only a Header record is read: a side that sent no 'H'
			// has nothing to report. (The canary tests are deterministic:
			// TestTable, TestSplitEverywhere, TestGapResync, TestNoPHIKept;
			// here the fuzzer may well put a canary into a Header.)
			sent := a
			if o.SrcPort == meta(false).SrcPort {
				sent = b
			}
			if bytes.IndexByte(sent, 'H') < 0 {
				t.Fatalf("an observation from a side that sent no H: %v", o.Fields)
			}
		}
	})
}
