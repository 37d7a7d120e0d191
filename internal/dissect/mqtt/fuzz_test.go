package mqtt

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, cut at an arbitrary point.
func FuzzStream(f *testing.F) {
	f.Add(connect(4, 0xc2, "id", 0, 1, 'u', 0, 1, 'p'), []byte{0x20, 2, 0, 0}, uint16(3))
	f.Add(connect(5, 0x02, "id"), []byte{0x20, 3, 0, 0, 0}, uint16(1))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		dissecttest.FeedInTurns(s, meta, true, c2s, s2c, int(cut), &c)
		for _, o := range c.Obs {
			if v, ok := o.Get("mqtt.cleartext_password"); ok && v != "seen" {
				t.Fatalf("password value: %q", v)
			}
		}
	})
}
