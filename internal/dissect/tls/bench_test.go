package tls

import (
	gotls "crypto/tls"
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// benchHandshake replays a recorded handshake through new streams of one
// dissector, as a sensor sees repeated connections between the same peers:
// the same hellos and certificates come back on every connection.
func benchHandshake(b *testing.B, version uint16) {
	chunks := handshake(b, version)
	d := New()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	mc, ms := meta(true), meta(false)
	b.ReportAllocs()
	for b.Loop() {
		s := d.NewStream()
		for _, ch := range chunks {
			m := ms
			if ch.c2s {
				m = mc
			}
			if s.Data(m, ch.c2s, ch.data, e) {
				break
			}
		}
	}
}

func BenchmarkHandshake12(b *testing.B) { benchHandshake(b, gotls.VersionTLS12) }
func BenchmarkHandshake13(b *testing.B) { benchHandshake(b, gotls.VersionTLS13) }
