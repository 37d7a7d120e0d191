package rdp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, cut at an arbitrary point, through the
// negotiation and into TLS, then ends the stream.
func FuzzStream(f *testing.F) {
	f.Add(tpkt(x224CR, block(negReq, 11)), append(tpkt(x224CC, block(negRsp, 8)), 0x16, 3, 3, 0, 4, 2, 0, 0, 0), uint16(5))
	f.Add(tpkt(x224CR, []byte("Cookie: mstshash=a\r\n")), tpkt(x224CC, nil), uint16(30))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		done := dissecttest.FeedInTurns(s, meta, true, c2s, s2c, int(cut), &c)
		if !done {
			s.(dissect.Ender).End(meta(true), &c)
		}
	})
}
