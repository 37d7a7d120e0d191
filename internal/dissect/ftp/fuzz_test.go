package ftp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds a server and a client direction, each cut at an
// arbitrary point: no panic, no value past the bound, no password value.
func FuzzStream(f *testing.F) {
	f.Add([]byte("220-a\r\n220 b\r\n331 x\r\n215 UNIX\r\n"), []byte("USER anonymous\r\nPASS x\r\nSYST\r\n"), uint16(9))
	f.Fuzz(func(t *testing.T, s2c, c2s []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		dissecttest.FeedInTurns(s, meta, false, s2c, c2s, int(cut), &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxText*4 {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
				if (fl.Key == "ftp.cleartext_password" || fl.Key == "ftp.anonymous_login") && fl.Value != "seen" {
					t.Fatalf("%s = %q", fl.Key, fl.Value)
				}
			}
		}
	})
}
