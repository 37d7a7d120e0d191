package rdp

import (
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, cut at an arbitrary point, through the
// negotiation and into TLS or the MCS connect exchange, then ends the
// stream.
func FuzzStream(f *testing.F) {
	f.Add(tpkt(x224CR, block(negReq, 11)), append(tpkt(x224CC, block(negRsp, 8)), 0x16, 3, 3, 0, 4, 2, 0, 0, 0), uint16(5))
	f.Add(tpkt(x224CR, []byte("Cookie: mstshash=a\r\n")), tpkt(x224CC, nil), uint16(30))
	// Standard security: the MCS Connect Initial and Response follow in
	// cleartext (mcs.go); the first seed ends the first turn after the request.
	c2s, s2c := stdExchange(clientCore(0x0008000c, 19045, 0x0409, utf16z("WS-1", coreNameSize), ""))
	f.Add(c2s, s2c, uint16(len(tpkt(x224CR, cookie))))
	f.Add(c2s, s2c, uint16(5))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		done := dissecttest.FeedInTurns(s, meta, true, c2s, s2c, int(cut), &c)
		if !done {
			s.(dissect.Ender).End(meta(true), &c)
		}
		for _, o := range c.Obs {
			if v, ok := o.Get("rdp.client_name"); ok && (v == "" || len(v) > maxName || !utf8.ValidString(v)) {
				t.Errorf("client name %q", v)
			}
		}
	})
}
