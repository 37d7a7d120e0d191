package sensor

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
)

// udpFrame is an Ethernet/IPv4/UDP frame between two phones.
func udpFrame(t testing.TB, sport, dport uint16, payload []byte) []byte {
	t.Helper()
	udp := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	udp = append(udp, payload...)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0x15, 0x65, 1, 2, 3}, DstMAC: net.HardwareAddr{0, 0x15, 0x65, 4, 5, 6}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.IP{10, 8, 0, 21}, DstIP: net.IP{10, 8, 0, 22}, Protocol: layers.IPProtocolUDP}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, gopacket.Payload(udp)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rtp is a voice packet: binary, no dissector's.
var rtp = append([]byte{0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef}, make([]byte, 160)...)

// TestUnmatchedUDPAllocatesNothing: with every default dissector asked, a
// datagram none of them reads (RTP media, here also on the SIP and syslog
// ports) costs no allocation once its flow exists.
func TestUnmatchedUDPAllocatesNothing(t *testing.T) {
	for _, ports := range [][2]uint16{{16384, 16386}, {5060, 5060}, {40000, 514}, {40000, 3702}} {
		d, err := NewDecoder(decode.DefaultConfig(), observe.EmitterFunc(func(o *observe.Observation) {
			if o.Protocol != "flow" {
				t.Fatalf("ports %v: a %s observation from RTP", ports, o.Protocol)
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		frame := udpFrame(t, ports[0], ports[1], rtp)
		ci := gopacket.CaptureInfo{Timestamp: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), CaptureLength: len(frame), Length: len(frame)}
		d.Packet(frame, ci, layers.LinkTypeEthernet) // creates the flow
		if n := testing.AllocsPerRun(1000, func() { d.Packet(frame, ci, layers.LinkTypeEthernet) }); n != 0 {
			t.Errorf("ports %v: %.1f allocations per datagram", ports, n)
		}
	}
}

func BenchmarkUnmatchedUDP(b *testing.B) {
	d, err := NewDecoder(decode.DefaultConfig(), observe.EmitterFunc(func(*observe.Observation) {}))
	if err != nil {
		b.Fatal(err)
	}
	frame := udpFrame(b, 16384, 16386, rtp)
	ci := gopacket.CaptureInfo{Timestamp: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), CaptureLength: len(frame), Length: len(frame)}
	d.Packet(frame, ci, layers.LinkTypeEthernet)
	b.ReportAllocs()
	for b.Loop() {
		d.Packet(frame, ci, layers.LinkTypeEthernet)
	}
}
