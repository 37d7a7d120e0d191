package cdp

import (
	"path/filepath"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzDissectFrame: no panic, bounded output, on real CDP frames mutated.
func FuzzDissectFrame(f *testing.F) {
	for _, name := range []string{"3560_CDP", "LLDP_and_CDP"} {
		for _, fr := range dissecttest.FramePayloads(f, filepath.Join("testdata", name+".pcap")) {
			if len(fr) > 22 && fr[12] < 0x06 {
				f.Add(fr[14:])
			}
		}
	}
	d := New()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = d.DissectFrame(m, p, observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 4*maxVersion {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}))
	})
}
