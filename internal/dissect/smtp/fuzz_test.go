package smtp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds a server and a client direction, cut at an arbitrary point.
func FuzzStream(f *testing.F) {
	f.Add([]byte("220 a ESMTP\r\n250 ok\r\n220 go\r\n"), []byte("EHLO h\r\nAUTH LOGIN x\r\nSTARTTLS\r\n"), uint16(9))
	f.Fuzz(func(t *testing.T, s2c, c2s []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		dissecttest.FeedInTurns(s, meta, false, s2c, c2s, int(cut), &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxValue {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}
