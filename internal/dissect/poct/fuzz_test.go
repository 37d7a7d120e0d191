package poct

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzPOCT drives both directions' tokenizers with input cut at an
// arbitrary point, with a gap now and then: no panic, no field off the
// allowlist, no value over the bound, invalid UTF-8 or non-printable, and
// nothing from a side that sent no Hello root.
func FuzzPOCT(f *testing.F) {
	dev, dm := conversation()
	f.Add(dev, dm, uint16(17), false)
	f.Add([]byte(bloodGasHello), []byte(ack("x")), uint16(3), true)
	f.Add(cat(obs, glucoseHello[:200], bloodGasHello), []byte(opl), uint16(250), false)
	f.Add([]byte(`<HEL.R01><DEV><DEV.name V="&#x41;&amp&#;&#99999999;"/></DEV></HEL.R01>`), []byte(nil), uint16(40), true)
	f.Fuzz(func(t *testing.T, a, b []byte, cut uint16, gap bool) {
		d, err := NewWithConfig(Config{MaxMessage: 512, AfterHello: 1 << 20, MaxMessages: 1 << 20, MaxBytes: 1 << 20})
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
				if !allowed[fl.Key] || len(fl.Value) > maxValue || !utf8.ValidString(fl.Value) {
					t.Fatalf("field %s=%q", fl.Key, fl.Value)
				}
				for _, r := range fl.Value {
					if r < ' ' || r == 0x7f {
						t.Fatalf("field %s=%q", fl.Key, fl.Value)
					}
				}
			}
			sent := a
			if o.SrcPort == meta(false).SrcPort {
				sent = b
			}
			if !bytes.Contains(sent, []byte("HEL.R")) {
				t.Fatalf("an observation from a side that sent no Hello: %v", o.Fields)
			}
		}
	})
}

// FuzzMatchTCP: detection never panics, and whatever it accepts has a
// POCT1-A root within the window.
func FuzzMatchTCP(f *testing.F) {
	f.Add([]byte(glucoseHello))
	f.Add([]byte(bloodGasHello))
	f.Add([]byte(`<?xml version="1.0"?><!-- x --><ACK.R01/>`))
	f.Fuzz(func(t *testing.T, p []byte) {
		if New().MatchTCP(1, 2, true, p) {
			for i := 0; i+8 <= min(len(p), matchWindow+3); i++ {
				if p[i] == '<' && isRoot(p[i+1:i+8]) {
					return
				}
			}
			t.Fatalf("matched %q", p)
		}
	})
}
