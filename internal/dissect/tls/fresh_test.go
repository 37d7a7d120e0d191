package tls

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// TestOneDissectorLikeFresh replays every conversation of the test
// captures through one dissector, whose caches and reused streams carry
// over from conversation to conversation, and through a fresh dissector
// each, twice over (the second round hits every cache): the observations
// must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	dissecttest.AssertTCPLikeFresh(t, func() dissect.TCPDissector { return New() }, meta, 2,
		dissecttest.Testdata("openssl-tls1_2.pcap", "tls13.pcap", "selfsigned.pcap")...)
}
