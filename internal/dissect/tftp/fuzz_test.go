package tftp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	f.Add([]byte("\x00\x01SEP001122334455.cnf.xml\x00octet\x00"))
	f.Add([]byte("\x00\x02x\x00netascii\x00blksize\x001432\x00"))
	f.Fuzz(func(t *testing.T, p []byte) {
		d := New()
		if !d.MatchUDP(40000, Port, p) {
			return
		}
		var c observe.Collector
		_ = d.DissectUDP(dissecttest.UDPMeta(), p, &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}
