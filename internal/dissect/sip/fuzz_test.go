package sip

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	f.Add([]byte("REGISTER sip:pbx SIP/2.0\r\nVia: a, b\r\nUser-Agent: X\r\nl: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nServer: Y\r\n\r\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		var c observe.Collector
		_ = New().DissectUDP(dissecttest.UDPMeta(), p, &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}

// FuzzStream cuts each direction at an arbitrary point.
func FuzzStream(f *testing.F) {
	f.Add([]byte("INVITE sip:x SIP/2.0\r\nUser-Agent: A\r\nContent-Length: 4\r\n\r\nbody\r\n\r\nBYE sip:x SIP/2.0\r\n\r\n"), []byte("SIP/2.0 200 OK\r\nServer: B\r\n\r\n"), uint16(20))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		dissecttest.FeedInTurns(s, meta, true, c2s, s2c, int(cut), &c)
	})
}
