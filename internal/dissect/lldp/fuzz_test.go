package lldp

import (
	"path/filepath"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzDissectFrame feeds LLDPDUs (seeded from real frames) to the dissector:
// it must never panic and every value it emits must be valid UTF-8 and bounded.
func FuzzDissectFrame(f *testing.F) {
	for _, name := range []string{"lldp_mudurl", "wireshark-lldp", "lldp-app-priority", "LLDP_and_CDP"} {
		for _, fr := range dissecttest.FramePayloads(f, filepath.Join("testdata", name+".pcap")) {
			if len(fr) > 14 && fr[12] == 0x88 && fr[13] == 0xcc {
				f.Add(fr[14:])
			}
		}
	}
	d := New()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = d.DissectFrame(m, p, observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 4*maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}))
	})
}
