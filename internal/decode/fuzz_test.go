package decode

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/observe"
)

// FuzzDecoder feeds arbitrary frames (as Ethernet and raw IP) through the
// decoder and a recording dissector: no input may panic or hang, tunnels
// (ERSPAN, GRE, VXLAN, Geneve, CAPWAP with 802.11, GTP-U) included.
func FuzzDecoder(f *testing.F) {
	f.Add(tcpFrame(f, pktOpt{syn: true, seq: 1}))
	f.Add(tcpFrame(f, pktOpt{ack: true, seq: 1, payload: []byte("GET / HTTP/1.1\r\n")}))
	f.Add([]byte{})
	f.Add(tunnelFrame(f, tcpFrame(f, pktOpt{syn: true, seq: 1}), 1)) // ERSPAN II
	f.Add(tunnelFrame(f, tcpFrame(f, pktOpt{syn: true, seq: 1}), 3)) // nested past the limit
	f.Add(capwapFrame(f, tcpFrame(f, pktOpt{syn: true, seq: 1})))    // 802.11 QoS data in CAPWAP
	f.Add(gtpuFrame(f, tcpFrame(f, pktOpt{syn: true, seq: 1})))      // GTP-U with an extension header
	f.Add(nflogRecord(binary.LittleEndian, tcpFrame(f, pktOpt{syn: true, seq: 1})[14:]))
	// IPv6: a first fragment behind destination options, and an atomic fragment.
	u6 := udp6Datagram(f, []byte("0123456789abcdef0123456789abcdef"))
	f.Add(ip6Frame(f, ip6DestOpts, cat(destOpts(ip6Fragment), fragHdr(uint8(layers.IPProtocolUDP), 0, true, 1), u6[:16])))
	f.Add(ip6Frame(f, ip6Fragment, cat(fragHdr(uint8(layers.IPProtocolUDP), 0, false, 2), u6)))
	if plain := tcpFrame(f, pktOpt{syn: true, seq: 1}); len(plain) > 14 { // the same in a PPPoE session
		n := len(plain) - 14 + 2
		pppoe := append(append([]byte{}, plain[:12]...), 0x88, 0x64, 0x11, 0, 0, 1, byte(n>>8), byte(n), 0, 0x21)
		f.Add(append(pppoe, plain[14:]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := New(DefaultConfig(), Split(&recorder{}, &udpRec{}), &observe.Collector{})
		if err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(data), Length: len(data)}
		d.Packet(data, ci, layers.LinkTypeEthernet)
		d.Packet(data, ci, layers.LinkTypeRaw)
		d.Packet(data, ci, layers.LinkTypeLinuxSLL)
		d.Packet(data, ci, linkTypeNFLOG)
		d.Flush()
	})
}
