package mdns

import (
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	for _, name := range []string{"iphone_mdns", "android_mdns"} {
		for _, p := range dissecttest.UDPPayloads(f, "testdata/"+name+".pcap") {
			f.Add(p)
		}
	}
	f.Add(printerAnnouncement())
	d := New()
	m := testMeta()
	f.Fuzz(func(t *testing.T, p []byte) {
		e := observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if !utf8.ValidString(fl.Value) {
					t.Fatalf("%s not UTF-8: %q", fl.Key, fl.Value)
				}
				if len(fl.Value) > 4*maxTXT {
					t.Fatalf("%s too long: %d", fl.Key, len(fl.Value))
				}
			}
		})
		_ = d.DissectUDP(m, p, e)
	})
}
