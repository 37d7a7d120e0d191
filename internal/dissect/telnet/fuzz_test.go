package telnet

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds a server and a client direction, cut at an arbitrary
// point, then ends the stream.
func FuzzStream(f *testing.F) {
	f.Add([]byte("\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0Banner\r\nhost login: "), []byte("\xff\xfd\x01user\r\n"), uint16(5))
	f.Fuzz(func(t *testing.T, s2c, c2s []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		done := dissecttest.FeedInTurns(s, meta, false, s2c, c2s, int(cut), &c)
		if !done {
			s.(dissect.Ender).End(meta(true), &c)
		}
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxValue {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}
