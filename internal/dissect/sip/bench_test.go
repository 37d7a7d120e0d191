package sip

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

func newTCP() dissect.TCPDissector { return New() }

// BenchmarkUDP replays the SIP datagrams of the UDP test capture.
func BenchmarkUDP(b *testing.B) {
	dissecttest.BenchUDP(b, New(), dissecttest.UDPMeta(), dissecttest.Testdata("phone_pbx_udp.pcap")...)
}

// BenchmarkTCP replays the TCP test conversation.
func BenchmarkTCP(b *testing.B) {
	dissecttest.BenchTCP(b, newTCP, meta, dissecttest.Testdata("phone_pbx_tcp.pcap")...)
}
