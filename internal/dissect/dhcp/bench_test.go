package dhcp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// benchCaptures are the test captures the capture benchmark and the
// like-fresh test read, in this order.
var benchCaptures = dissecttest.Testdata("android_dhcp.pcap", "dhcp-mud.pcap", "dhcp-rfc3004.pcap", "leasequery.pcap", "wireshark-dhcp.pcap")

// BenchmarkCapture dissects the matching datagrams of the test captures, in
// frame order, with one dissector: per-packet cost on real traffic, where
// names and values recur.
func BenchmarkCapture(b *testing.B) {
	dissecttest.BenchUDP(b, New(), dissecttest.UDPMeta(), benchCaptures...)
}

// BenchmarkMix is BenchmarkCapture on the first datagrams of a large
// capture named by WARD_BENCH_PCAP (e.g. bench/out/mix.pcap); skipped
// without it.
func BenchmarkMix(b *testing.B) { dissecttest.BenchUDPMix(b, New()) }
