package mqtt

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, cut at an arbitrary point.
func FuzzStream(f *testing.F) {
	f.Add(connect(4, 0xc2, "id", 0, 1, 'u', 0, 1, 'p'), []byte{0x20, 2, 0, 0}, uint16(3))
	f.Add(connect(5, 0x02, "id"), []byte{0x20, 3, 0, 0, 0}, uint16(1))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		k := int(cut)
		for i, p := range [][]byte{c2s[:min(k, len(c2s))], s2c[:min(k, len(s2c))], c2s[min(k, len(c2s)):], s2c[min(k, len(s2c)):]} {
			if s.Data(meta(i%2 == 0), i%2 == 0, p, &c) {
				break
			}
		}
		for _, o := range c.Obs {
			if v, ok := o.Get("mqtt.cleartext_password"); ok && v != "seen" {
				t.Fatalf("password value: %q", v)
			}
		}
	})
}
