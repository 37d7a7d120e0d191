package decode

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/dissect"
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
			var buf []byte
			got, link, ok = udpInner(&buf, 40000, tt.port, tt.in)
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

// capwapHdr is a CAPWAP data header (RFC 5415 section 4.3): T and WBID,
// flags, and n words of optional fields (radio MAC, wireless info) after
// the 8 fixed bytes.
func capwapHdr(native bool, wbid, flags byte, n int) []byte {
	hlen := byte(2 + n)
	t := byte(0)
	if native {
		t = 1
	}
	const rid = 1
	h := []byte{0, hlen<<3 | rid>>2, rid&3<<6 | wbid<<1 | t, flags, 0, 0, 0, 0}
	for i := range n * 4 {
		h = append(h, byte(0x40+i))
	}
	return h
}

var (
	wlA     = []byte{0x02, 0xaa, 0, 0, 0, 1} // addresses 1 to 4 of an 802.11 header
	wlB     = []byte{0x02, 0xbb, 0, 0, 0, 2}
	wlC     = []byte{0x02, 0xcc, 0, 0, 0, 3}
	wlD     = []byte{0x02, 0xdd, 0, 0, 0, 4}
	rfc1042 = []byte{0xaa, 0xaa, 0x03, 0, 0, 0}
)

// dot11 is an 802.11 header: Frame Control (fc, flags; byte-swapped as
// Cisco sends it when swap), duration, three addresses, sequence control,
// the fourth address when both DS bits are set, then extra (QoS control,
// HT control).
func dot11(fc, flags byte, swap bool, extra ...byte) []byte {
	h := []byte{fc, flags, 0x2c, 0}
	if swap {
		h[0], h[1] = flags, fc
	}
	h = bytes.Join([][]byte{h, wlA, wlB, wlC, {0x10, 0x01}}, nil)
	if flags&3 == 3 {
		h = append(h, wlD...)
	}
	return append(h, extra...)
}

func TestCAPWAP(t *testing.T) {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	ip := []byte{0x45, 0, 0, 20, 1, 2, 3}
	llcIP := cat(rfc1042, []byte{0x08, 0x00}, ip)
	eth := func(da, sa []byte) []byte { return cat(da, sa, []byte{0x08, 0x00}, ip) }
	hdr := capwapHdr(true, 1, 0, 0)
	cisco := capwapHdr(true, 1, 0x20, 2) // W: wireless info (RSSI, SNR, rate), as Cisco sends
	tests := []struct {
		name   string
		sp, dp uint16
		in     []byte
		want   []byte // nil: no frame
	}{
		{"to DS", 12380, capwapPort, cat(hdr, dot11(0x08, 0x01, false), llcIP), eth(wlC, wlB)},
		{"to DS, Cisco byte order", 12380, capwapPort, cat(cisco, dot11(0x08, 0x01, true), llcIP), eth(wlC, wlB)},
		{"from DS (controller to AP)", capwapPort, 12380, cat(hdr, dot11(0x08, 0x02, false), llcIP), eth(wlA, wlC)},
		{"from DS, Cisco byte order", capwapPort, 12380, cat(cisco, dot11(0x08, 0x02, true), llcIP), eth(wlA, wlC)},
		{"from DS, retry and more data", capwapPort, 12380, cat(hdr, dot11(0x08, 0x2a, true), llcIP), eth(wlA, wlC)},
		{"ad hoc", 12380, capwapPort, cat(hdr, dot11(0x08, 0, false), llcIP), eth(wlA, wlB)},
		{"WDS, four addresses", 12380, capwapPort, cat(hdr, dot11(0x08, 0x03, false), llcIP), eth(wlC, wlD)},
		{"WDS, Cisco byte order", 12380, capwapPort, cat(hdr, dot11(0x08, 0x03, true), llcIP), eth(wlC, wlD)},
		{"QoS data", 12380, capwapPort, cat(hdr, dot11(0x88, 0x01, false, 0x05, 0), llcIP), eth(wlC, wlB)},
		{"QoS data, Cisco byte order", 12380, capwapPort, cat(hdr, dot11(0x88, 0x01, true, 0x05, 0), llcIP), eth(wlC, wlB)},
		{"QoS data with HT control", 12380, capwapPort, cat(hdr, dot11(0x88, 0x81, false, 0x05, 0, 1, 2, 3, 4), llcIP), eth(wlC, wlB)},
		{"QoS data with HT control, Cisco byte order", capwapPort, 12380, cat(hdr, dot11(0x88, 0x82, true, 0x05, 0, 1, 2, 3, 4), llcIP), eth(wlA, wlC)},
		{"QoS WDS with HT control", 12380, capwapPort, cat(hdr, dot11(0x88, 0x83, false, 0x05, 0, 1, 2, 3, 4), llcIP), eth(wlC, wlD)},
		{"order bit without QoS: no HT control", 12380, capwapPort, cat(hdr, dot11(0x08, 0x81, false), llcIP), eth(wlC, wlB)},
		{"bridge-tunnel SNAP", 12380, capwapPort, cat(hdr, dot11(0x08, 0x01, false), []byte{0xaa, 0xaa, 0x03, 0, 0, 0xf8, 0x08, 0x00}, ip), eth(wlC, wlB)},
		{"802.3 payload (T=0)", 12380, capwapPort, cat(capwapHdr(false, 1, 0, 1), innerEth), innerEth},
		{"802.3 payload, controller to AP", capwapPort, 12380, cat(capwapHdr(false, 0, 0, 0), innerEth), innerEth},

		{"protected", 12380, capwapPort, cat(hdr, dot11(0x08, 0x41, false), llcIP), nil},
		{"protected, Cisco byte order", 12380, capwapPort, cat(hdr, dot11(0x08, 0x41, true), llcIP), nil},
		{"null function", 12380, capwapPort, cat(hdr, dot11(0x48, 0x01, false), llcIP), nil},
		{"QoS null", 12380, capwapPort, cat(hdr, dot11(0xc8, 0x01, true, 0, 0), llcIP), nil},
		{"data + CF-Ack", 12380, capwapPort, cat(hdr, dot11(0x18, 0x01, false), llcIP), nil},
		{"management (association request)", 12380, capwapPort, cat(hdr, dot11(0x00, 0, true), llcIP), nil},
		{"management (beacon)", 12380, capwapPort, cat(hdr, dot11(0x80, 0, false), llcIP), nil},
		{"control (ack)", 12380, capwapPort, cat(hdr, dot11(0xd4, 0, false), llcIP), nil},
		{"802.11 version 1", 12380, capwapPort, cat(hdr, dot11(0x09, 0x01, false), llcIP), nil},
		{"more fragments", 12380, capwapPort, cat(hdr, dot11(0x08, 0x05, false), llcIP), nil},
		{"A-MSDU", 12380, capwapPort, cat(hdr, dot11(0x88, 0x01, false, 0x80, 0), llcIP), nil},
		{"Cisco SNAP OUI (WLCCP)", capwapPort, 12380, cat(hdr, dot11(0x08, 0x02, true), []byte{0xaa, 0xaa, 0x03, 0x00, 0x40, 0x96, 0, 0}, ip), nil},
		{"not SNAP", 12380, capwapPort, cat(hdr, dot11(0x08, 0x01, false), []byte{0x42, 0x42, 0x03, 0, 0, 0, 0x08, 0x00}, ip), nil},
		{"keep-alive", 12380, capwapPort, cat(capwapHdr(false, 1, capwapK, 0), innerEth), nil},
		{"CAPWAP fragment", 12380, capwapPort, cat(capwapHdr(true, 1, capwapF, 0), dot11(0x08, 0x01, false), llcIP), nil},
		{"last CAPWAP fragment", 12380, capwapPort, cat(capwapHdr(true, 1, capwapF|0x40, 0), dot11(0x08, 0x01, false), llcIP), nil},
		{"DTLS", 12380, capwapPort, cat([]byte{0x01, 0, 0, 0}, hdr, dot11(0x08, 0x01, false), llcIP), nil},
		{"CAPWAP version 1", 12380, capwapPort, cat([]byte{0x10}, hdr[1:], dot11(0x08, 0x01, false), llcIP), nil},
		{"HLEN below the fixed header", 12380, capwapPort, cat([]byte{0, 1 << 3, 3, 0, 0, 0, 0, 0}, dot11(0x08, 0x01, false), llcIP), nil},
		{"HLEN past the datagram", 12380, capwapPort, []byte{0, 31 << 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, nil},
		{"other binding (EPCGlobal)", 12380, capwapPort, cat(capwapHdr(true, 3, 0, 0), dot11(0x08, 0x01, false), llcIP), nil},
		{"port 5247 talking to a well-known port", capwapPort, 53, cat(hdr, dot11(0x08, 0x02, false), llcIP), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf []byte
			got, link, ok := udpInner(&buf, tt.sp, tt.dp, tt.in)
			if ok != (tt.want != nil) || ok && (!bytes.Equal(got, tt.want) || link != layers.LinkTypeEthernet) {
				t.Fatalf("%x %v %v, want %x", got, link, ok, tt.want)
			}
			if tt.want == nil {
				return
			}
			// Cut anywhere before the end of the EtherType, no frame; the
			// header alone gives one with no payload.
			need := len(tt.in) - (len(tt.want) - ethHeaderSz)
			for n := range need {
				if got, _, ok := udpInner(&buf, tt.sp, tt.dp, tt.in[:n]); ok {
					t.Fatalf("cut to %d of %d bytes: %x", n, need, got)
				}
			}
			if got, _, ok := udpInner(&buf, tt.sp, tt.dp, tt.in[:need]); !ok || !bytes.Equal(got, tt.want[:ethHeaderSz]) {
				t.Fatalf("cut after the EtherType: %x %v", got, ok)
			}
		})
	}
}

// The buffer a rebuilt frame is written to is reused, not reallocated.
func TestCAPWAPBufferReused(t *testing.T) {
	in := bytes.Join([][]byte{capwapHdr(true, 1, 0, 0), dot11(0x08, 0x01, true), rfc1042, {0x08, 0x00, 0x45, 0, 0, 20}}, nil)
	buf := make([]byte, 0, 64)
	got, _, ok := udpInner(&buf, 12380, capwapPort, in)
	if !ok || &got[0] != &buf[:1][0] {
		t.Fatalf("frame not built in the buffer given: %v", ok)
	}
}

func TestGTPU(t *testing.T) {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	ip4 := []byte{0x45, 0, 0, 20, 1, 2, 3}
	ip6 := []byte{0x60, 0, 0, 0, 0, 8, 17, 64}
	gtp := func(flags, msg byte, extra ...byte) []byte {
		return append([]byte{flags, msg, 0, 0, 0, 0, 0x12, 0x34}, extra...)
	}
	pduSession := []byte{1, 0x10, 0x05, 0} // PDU session container (5G N3): QFI 5, no further extension
	tests := []struct {
		name   string
		sp, dp uint16
		in     []byte
		want   []byte
	}{
		{"G-PDU", gtpuPort, gtpuPort, cat(gtp(0x30, 0xff), ip4), ip4},
		{"G-PDU carrying IPv6", gtpuPort, gtpuPort, cat(gtp(0x30, 0xff), ip6), ip6},
		{"sequence number", gtpuPort, gtpuPort, cat(gtp(0x32, 0xff, 0, 7, 0, 0), ip4), ip4},
		{"N-PDU number", gtpuPort, gtpuPort, cat(gtp(0x31, 0xff, 0, 0, 9, 0), ip4), ip4},
		{"next type ignored without E", gtpuPort, gtpuPort, cat(gtp(0x32, 0xff, 0, 7, 0, 0x85), ip4), ip4},
		{"PDU session container", gtpuPort, gtpuPort, cat(gtp(0x34, 0xff, 0, 0, 0, 0x85), pduSession, ip4), ip4},
		{"two extension headers", gtpuPort, gtpuPort, cat(gtp(0x36, 0xff, 0, 1, 0, 0x40), []byte{2, 1, 2, 3, 4, 5, 6, 0x85}, pduSession, ip6), ip6},
		{"uplink from an ephemeral port", 40000, gtpuPort, cat(gtp(0x30, 0xff), ip4), ip4},
		{"downlink to an ephemeral port", gtpuPort, 40000, cat(gtp(0x30, 0xff), ip4), ip4},

		{"extension header of length 0", gtpuPort, gtpuPort, cat(gtp(0x34, 0xff, 0, 0, 0, 0x85), []byte{0, 0x10, 5, 0}, ip4), nil},
		{"extension header past the datagram", gtpuPort, gtpuPort, cat(gtp(0x34, 0xff, 0, 0, 0, 0x85), []byte{9, 0x10, 5, 0}, ip4), nil},
		{"echo request", gtpuPort, gtpuPort, gtp(0x32, 0x01, 0, 1, 0, 0), nil},
		{"end marker", gtpuPort, gtpuPort, gtp(0x30, 0xfe), nil},
		{"GTPv2-C", gtpuPort, gtpuPort, cat(gtp(0x48, 0xff), ip4), nil},
		{"GTP'", gtpuPort, gtpuPort, cat(gtp(0x20, 0xff), ip4), nil},
		{"not IP inside", gtpuPort, gtpuPort, cat(gtp(0x30, 0xff), innerEth), nil},
		{"port 2152 talking to a well-known port", gtpuPort, 53, cat(gtp(0x30, 0xff), ip4), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf []byte
			got, link, ok := udpInner(&buf, tt.sp, tt.dp, tt.in)
			if ok != (tt.want != nil) || ok && (!bytes.Equal(got, tt.want) || link != layers.LinkTypeRaw) {
				t.Fatalf("%x %v %v, want %x", got, link, ok, tt.want)
			}
			if tt.want == nil {
				return
			}
			need := len(tt.in) - len(tt.want) + 1 // the headers and the IP version
			for n := range need {
				if got, _, ok := udpInner(&buf, tt.sp, tt.dp, tt.in[:n]); ok {
					t.Fatalf("cut to %d of %d bytes: %x", n, need, got)
				}
			}
		})
	}
}

// udpFrame is payload in UDP in IPv4 in Ethernet, from sp to dp.
func udpFrame(tb testing.TB, sp, dp uint16, payload []byte) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ipA, DstIP: ipB}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(payload))
	if err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// capwapFrame is frame's IP packet (frame is Ethernet/IPv4) as a wireless
// client sent it: 802.11 QoS data, Frame Control byte-swapped as Cisco
// sends it, in CAPWAP from an access point to its controller.
func capwapFrame(tb testing.TB, frame []byte) []byte {
	tb.Helper()
	h := []byte{0x01, 0x88, 0x2c, 0} // QoS data, to DS, swapped
	h = bytes.Join([][]byte{h, wlA, frame[6:12], frame[0:6], {0, 0}, {0, 0}, rfc1042, frame[12:]}, nil)
	return udpFrame(tb, 12380, capwapPort, append(capwapHdr(true, 1, 0x20, 2), h...))
}

// gtpuFrame is frame's IP packet in a GTP-U G-PDU with a PDU session
// container, as on a 5G N3 link.
func gtpuFrame(tb testing.TB, frame []byte) []byte {
	tb.Helper()
	n := len(frame) - ethHeaderSz + 8
	h := []byte{0x34, 0xff, byte(n >> 8), byte(n), 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x05, 0}
	return udpFrame(tb, gtpuPort, gtpuPort, append(h, frame[ethHeaderSz:]...))
}

// A wireless client's conversation inside CAPWAP, or a phone's inside
// GTP-U, reaches the dissectors as if captured directly, and costs no
// allocation per packet once its flow is known.
func TestWirelessTunnelsDecoded(t *testing.T) {
	for name, wrap := range map[string]func(testing.TB, []byte) []byte{"capwap": capwapFrame, "gtpu": gtpuFrame} {
		t.Run(name, func(t *testing.T) {
			r := &recorder{stop: 1}
			cfg := DefaultConfig()
			cfg.Flows = false
			d, _ := newTest(t, cfg, r)
			feed(d, wrap(t, tcpFrame(t, pktOpt{syn: true, seq: 0})), wrap(t, tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("x")})))
			if r.got[0].String() != "x" || d.Stats().Decapsulated != 2 {
				t.Fatalf("delivered %q, %d decapsulated", r.got[0].String(), d.Stats().Decapsulated)
			}
			frame := wrap(t, tcpFrame(t, pktOpt{ack: true, seq: 2, payload: bytes.Repeat([]byte{'y'}, 1200)}))
			ci := gopacket.CaptureInfo{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CaptureLength: len(frame), Length: len(frame)}
			if allocs := testing.AllocsPerRun(1000, func() { d.Packet(frame, ci, layers.LinkTypeEthernet) }); allocs != 0 {
				t.Fatalf("steady-state packet allocates %.1f times, want 0", allocs)
			}
		})
	}
}

// metaRec records the addressing of the UDP datagrams to port 67 and the
// ARP frames it is given.
type metaRec struct {
	udp, arp []dissect.Meta
	dhcp     [][]byte
}

func (r *metaRec) Name() string                                            { return "metarec" }
func (r *metaRec) MatchUDP(_, dp uint16, _ []byte) bool                    { return dp == 67 }
func (r *metaRec) MatchFrame(et uint16, _ net.HardwareAddr, _ []byte) bool { return et == 0x0806 }
func (r *metaRec) DissectUDP(m *dissect.Meta, p []byte, _ observe.Emitter) error {
	r.udp = append(r.udp, *m)
	r.dhcp = append(r.dhcp, append([]byte(nil), p...))
	return nil
}
func (r *metaRec) DissectFrame(m *dissect.Meta, _ []byte, _ observe.Emitter) error {
	r.arp = append(r.arp, *m)
	return nil
}

func readPcap(t *testing.T, path string, d *Decoder) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := rd.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d.Packet(data, ci, rd.LinkType())
	}
	d.Flush()
}

// A Cisco access point's CAPWAP data channel, both quirks included (Frame
// Control and Sequence Control byte-swapped): the iPad's DHCP discovers
// and ARP probe come out from the iPad's own MAC; management frames and the
// controller's WLCCP frame give nothing (see testdata/README.md).
func TestCAPWAPCapture(t *testing.T) {
	r := &metaRec{}
	d, _ := newTest(t, DefaultConfig(), r)
	readPcap(t, "testdata/capwap.pcap", d)
	const ipad = "1c:ab:a7:f2:13:9d"
	if n := d.Stats().Decapsulated; n != 4 { // 2 DHCP, ICMPv6, ARP
		t.Errorf("%d frames unwrapped, want 4", n)
	}
	if len(r.udp) != 2 {
		t.Fatalf("%d DHCP datagrams, want 2", len(r.udp))
	}
	for i, m := range r.udp {
		if m.SrcMAC.String() != ipad || m.DstMAC.String() != "ff:ff:ff:ff:ff:ff" || m.SrcPort != 68 ||
			m.DstIP != netip.MustParseAddr("255.255.255.255") || !bytes.Contains(r.dhcp[i], []byte("kawai-iPad3")) {
			t.Errorf("DHCP %d: %s -> %s %v:%d, %q", i, m.SrcMAC, m.DstMAC, m.DstIP, m.SrcPort, r.dhcp[i])
		}
	}
	if len(r.arp) != 1 || r.arp[0].SrcMAC.String() != ipad {
		t.Errorf("ARP: %v", r.arp)
	}
}

// A TLS connection inside GTP-U: the client hello reaches the TCP
// dissector as it does tshark, which reads JA3
// 50221ef5bde0fcee8864bbcea5211d51 from it (see testdata/README.md).
func TestGTPUCapture(t *testing.T) {
	r := &recorder{}
	d, _ := newTest(t, DefaultConfig(), r)
	readPcap(t, "testdata/gtpu-tls.pcap", d)
	st := d.Stats()
	if st.Decapsulated != 27 || st.FlowsCreated != 1 {
		t.Errorf("%d unwrapped, %d flows; want 27, 1", st.Decapsulated, st.FlowsCreated)
	}
	c2s := r.got[0].Bytes()
	if len(c2s) < 6 || c2s[0] != 0x16 || c2s[5] != 1 { // handshake record, client hello
		t.Fatalf("client sent %x", c2s[:min(len(c2s), 16)])
	}
	if hello := int(c2s[3])<<8 | int(c2s[4]); len(c2s) < 5+hello {
		t.Errorf("client hello of %d bytes, %d delivered", hello, len(c2s)-5)
	}
}

// FuzzTunnelHeaders feeds arbitrary tunnel headers to the parsers
// directly (the whole-frame FuzzDecoder rarely mutates its way into
// 802.11): no panic, and a frame returned is one the decoder can take.
func FuzzTunnelHeaders(f *testing.F) {
	for _, fr := range [][]byte{capwapFrame(f, innerEth), gtpuFrame(f, innerEth)} {
		f.Add(uint8(0), fr[42:]) // Ethernet, IPv4 and UDP headers off
	}
	f.Add(uint8(1), append(capwapHdr(true, 1, 0, 0), dot11(0x88, 0x83, true, 0, 0, 1, 2, 3, 4)...))
	f.Fuzz(func(t *testing.T, port uint8, p []byte) {
		ports := [...][2]uint16{{12380, capwapPort}, {capwapPort, 12380}, {gtpuPort, gtpuPort}, {40000, vxlanPort}, {40000, genevePort}}
		sp, dp := ports[int(port)%len(ports)][0], ports[int(port)%len(ports)][1]
		buf := make([]byte, 0, 16)
		got, link, ok := udpInner(&buf, sp, dp, p)
		if ok && (link == layers.LinkTypeEthernet && len(got) < ethHeaderSz || link == layers.LinkTypeRaw && len(got) == 0) {
			t.Fatalf("%v frame of %d bytes", link, len(got))
		}
		greInner(p)
	})
}
