package decode

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/observe"
)

var innerEth = append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00}, 0x45, 0, 0, 20)

func TestTunnelHeaders(t *testing.T) {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	gre := func(flags, proto uint16, extra ...byte) []byte {
		return append([]byte{byte(flags >> 8), byte(flags), byte(proto >> 8), byte(proto)}, extra...)
	}
	erspan2 := []byte{0x10, 0x05, 0x00, 0x2a, 0, 0, 0, 0}
	erspan3 := []byte{0x20, 0x05, 0x00, 0x2a, 1, 2, 3, 4, 0, 0, 0, 0}
	erspan3IP := []byte{0x20, 0x05, 0x00, 0x2a, 1, 2, 3, 4, 0, 0, 2 << 2, 0}
	ip := []byte{0x45, 0, 0, 20}
	tests := []struct {
		name string
		gre  bool
		port uint16
		in   []byte
		want []byte // nil: not a tunnel
		link layers.LinkType
	}{
		{"teb", true, 0, cat(gre(0, greTEB), innerEth), innerEth, layers.LinkTypeEthernet},
		{"teb with checksum, key, sequence", true, 0, cat(gre(0xb000, greTEB, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2), innerEth), innerEth, layers.LinkTypeEthernet},
		{"erspan I", true, 0, cat(gre(0, greERSPAN2), innerEth), innerEth, layers.LinkTypeEthernet},
		{"erspan II", true, 0, cat(gre(0x1000, greERSPAN2, 0, 0, 0, 1), erspan2, innerEth), innerEth, layers.LinkTypeEthernet},
		{"erspan II, wrong version", true, 0, cat(gre(0x1000, greERSPAN2, 0, 0, 0, 1), erspan3[:8], innerEth), nil, 0},
		{"erspan III", true, 0, cat(gre(0x1000, greERSPAN3, 0, 0, 0, 1), erspan3, innerEth), innerEth, layers.LinkTypeEthernet},
		{"erspan III carrying IP", true, 0, cat(gre(0x1000, greERSPAN3, 0, 0, 0, 1), erspan3IP, ip), ip, layers.LinkTypeRaw},
		{"erspan III cut in its header", true, 0, cat(gre(0x1000, greERSPAN3, 0, 0, 0, 1), erspan3[:7]), nil, 0},
		{"ip in gre", true, 0, cat(gre(0, greIPv4), ip), ip, layers.LinkTypeRaw},
		{"pptp (gre version 1)", true, 0, cat(gre(0x3001, 0x880b, 0, 0, 0, 0, 0, 0, 0, 0), innerEth), nil, 0},
		{"gre cut before its key", true, 0, gre(0x2000, greTEB, 0, 0), nil, 0},
		{"unknown gre payload", true, 0, cat(gre(0, 0x8847), innerEth), nil, 0},
		{"frame shorter than an ethernet header", true, 0, cat(gre(0, greTEB), innerEth[:10]), nil, 0},
		{"vxlan", false, vxlanPort, cat([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, innerEth), innerEth, layers.LinkTypeEthernet},
		{"vxlan without a VNI", false, vxlanPort, cat([]byte{0, 0, 0, 0, 0, 0, 1, 0}, innerEth), nil, 0},
		{"geneve with an option", false, genevePort, cat([]byte{0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 3, 4}, innerEth), innerEth, layers.LinkTypeEthernet},
		{"geneve option longer than the datagram", false, genevePort, []byte{0x3f, 0, 0x65, 0x58, 0, 0, 1, 0}, nil, 0},
		{"other udp port", false, 53, cat([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, innerEth), nil, 0},
	}
	for _, tt := range tests {
		var got []byte
		var link layers.LinkType
		var ok bool
		if tt.gre {
			got, link, ok = greInner(tt.in)
		} else {
			got, link, ok = udpInner(tt.port, tt.in)
		}
		if ok != (tt.want != nil) || ok && (!bytes.Equal(got, tt.want) || link != tt.link) {
			t.Errorf("%s: %x %v %v, want %x %v", tt.name, got, link, ok, tt.want, tt.link)
		}
	}
}

// tunnelFrame is frame inside ERSPAN II inside GRE inside IPv4, nested n times.
func tunnelFrame(tb testing.TB, frame []byte, n int) []byte {
	tb.Helper()
	for range n {
		gre := append([]byte{0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7, 0x10, 0x05, 0x00, 0x2a, 0, 0, 0, 0}, frame...)
		buf := gopacket.NewSerializeBuffer()
		err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
			&layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv4},
			&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: ipB, DstIP: ipA}, gopacket.Payload(gre))
		if err != nil {
			tb.Fatal(err)
		}
		frame = append([]byte(nil), buf.Bytes()...)
	}
	return frame
}

// Tunnels are unwrapped twice at most, and a tunnel's inner frame is not
// counted as another packet read.
func TestTunnelDepth(t *testing.T) {
	syn := tcpFrame(t, pktOpt{syn: true, seq: 1})
	for n, wantSYN := range map[int]bool{0: true, 1: true, 2: true, 3: false} {
		rec := &recorder{}
		d, err := New(DefaultConfig(), Split(rec, &udpRec{}), &observe.Collector{})
		if err != nil {
			t.Fatal(err)
		}
		f := tunnelFrame(t, syn, n)
		d.Packet(f, gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet)
		st := d.Stats()
		if got := st.FlowsCreated > 0; got != wantSYN || st.Packets != 1 || st.Decapsulated != uint64(min(n, maxTunnelDepth)) {
			t.Errorf("%d tunnels: flow %v (want %v), %d packets, %d decapsulated", n, got, wantSYN, st.Packets, st.Decapsulated)
		}
	}
}
