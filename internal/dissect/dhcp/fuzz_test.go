package dhcp

import (
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	for _, name := range []string{"wireshark-dhcp", "dhcp-rfc3004", "dhcp-mud", "android_dhcp"} {
		for _, p := range dissecttest.UDPPayloads(f, "testdata/"+name+".pcap") {
			f.Add(p)
		}
	}
	f.Add(message(2, mac, [4]byte{10, 0, 0, 9}, cat(opt(53, 5), opt(52, 3), opt(82, 1, 2, 'a', 'b', 2, 1, 0))...))
	d := New()
	m := testMeta()
	f.Fuzz(func(t *testing.T, p []byte) {
		e := observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if !utf8.ValidString(fl.Value) {
					t.Fatalf("%s not UTF-8: %q", fl.Key, fl.Value)
				}
				if len(fl.Value) > 4*maxText {
					t.Fatalf("%s too long: %d", fl.Key, len(fl.Value))
				}
			}
		})
		if d.MatchUDP(68, 67, p) {
			_ = d.DissectUDP(m, p, e)
		}
		_ = d.DissectUDP(m, p, e)
	})
}
