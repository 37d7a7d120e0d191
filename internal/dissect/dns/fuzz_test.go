package dns

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzDissectUDP checks that no datagram panics the dissector, that every
// emitted value is valid UTF-8 within the cap, and that names survive
// arbitrary compression pointers.
func FuzzDissectUDP(f *testing.F) {
	for _, name := range []string{"dns_udp", "medical_dns"} {
		for _, p := range dissecttest.UDPPayloads(f, "testdata/"+name+".pcap") {
			f.Add(p)
		}
	}
	f.Add(newMsg(0x0100, 1, 0, 0, 0).question("time.philips.com", TypeA).b)
	f.Add(newMsg(0x8180, 1, 2, 0, 0).question("api.vendor.example", TypeA).
		rr(12, TypeCNAME, []byte{3, 'e', 'd', 'g', 0xc0, 16}).rr(12, TypeA, []byte{192, 0, 2, 7}).b)
	f.Add(newMsg(0x8180, 1, 1, 0, 0).question("loop.example", TypePTR).rr(12, TypePTR, []byte{0xc0, 36}).b)
	d := New()
	m := testMeta()
	f.Fuzz(func(t *testing.T, p []byte) {
		e := observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 4*MaxText {
					t.Fatalf("%s too long: %d", fl.Key, len(fl.Value))
				}
			}
		})
		_ = d.DissectUDP(m, p, e)
		var msg Message
		if msg.Parse(p) == nil {
			for _, r := range msg.Records {
				_, _ = AppendName(nil, p, r.Name)
				_ = r.RData(p)
			}
		}
	})
}
