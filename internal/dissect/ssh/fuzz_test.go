package ssh

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, each cut at an arbitrary point, and
// ends the stream: no panic, no value past the line bound.
func FuzzStream(f *testing.F) {
	f.Add([]byte("SSH-2.0-OpenSSH_5.3\r\n"+string(kexInit(algs...))), []byte("SSH-2.0-dropbear_2012.55\r\n"+string(kexInit(algs...))), uint16(30))
	f.Add([]byte("SSH-1.5-1.2.27\r\n"), []byte("banner\r\nSSH-1.99-Cisco-1.25 x\n\x00\x00\x00\x10"), uint16(3))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		done := dissecttest.FeedInTurns(s, meta, true, c2s, s2c, int(cut), &c)
		if !done {
			s.(dissect.Ender).End(meta(true), &c)
		}
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxLine {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}
