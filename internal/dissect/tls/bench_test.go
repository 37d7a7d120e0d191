package tls

import (
	gotls "crypto/tls"
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// benchHandshake replays a recorded handshake through new streams of one
// dissector, as a sensor sees repeated connections between the same peers:
// the same hellos and certificates come back on every connection.
func benchHandshake(b *testing.B, version uint16) {
	var conv dissecttest.Conversation
	for _, ch := range handshake(b, version) {
		conv = append(conv, dissecttest.Delivery{C2S: ch.c2s, Data: ch.data})
	}
	dissecttest.BenchConversations(b, New(), meta, []dissecttest.Conversation{conv})
}

func BenchmarkHandshake12(b *testing.B) { benchHandshake(b, gotls.VersionTLS12) }
func BenchmarkHandshake13(b *testing.B) { benchHandshake(b, gotls.VersionTLS13) }
