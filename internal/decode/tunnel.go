package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/dissect"
)

// Mirrored traffic often reaches a sensor through a tunnel rather than a
// local SPAN port: a switch's remote SPAN session (ERSPAN types I, II and
// III, or plain Ethernet over GRE), VXLAN (VMware and cloud traffic
// mirroring) or Geneve. Devices' own traffic can be tunnelled too where the
// sensor listens: wireless clients' frames travel from access point to
// controller inside CAPWAP data packets (RFC 5415/5416, UDP 5247; most
// wireless infusion pumps, telemetry and monitors sit behind a controller),
// and a private LTE/5G network carries its devices' IP packets in GTP-U
// (3GPP TS 29.281, UDP 2152) between base station and core. The frames
// inside are what the sensor watches; the tunnel itself is not a device
// conversation, so the outer packet is only unwrapped, never dissected.

const (
	ipProtoGRE     = 47
	vxlanPort      = 4789
	genevePort     = 6081
	capwapPort     = 5247 // the data channel; control (5246) is DTLS
	gtpuPort       = 2152
	maxTunnelDepth = 2 // a tunnel in a tunnel, no deeper (a crafted nest costs nothing)

	greTEB      = 0x6558 // Transparent Ethernet Bridging
	greERSPAN2  = 0x88be // ERSPAN type I (no sequence number) and II
	greERSPAN3  = 0x22eb
	greIPv4     = 0x0800
	greIPv6     = 0x86dd
	ethHeaderSz = 14
)

// greInner returns the frame a GRE payload carries and its link type.
func greInner(p []byte) ([]byte, layers.LinkType, bool) {
	if len(p) < 4 {
		return nil, 0, false
	}
	flags := binary.BigEndian.Uint16(p)
	if flags&0x0007 != 0 || flags&0x4000 != 0 { // version 1 is PPTP; source routing is long obsolete
		return nil, 0, false
	}
	proto := binary.BigEndian.Uint16(p[2:])
	off := 4
	if flags&0x8000 != 0 { // checksum and reserved
		off += 4
	}
	if flags&0x2000 != 0 { // key
		off += 4
	}
	seq := flags&0x1000 != 0
	if seq {
		off += 4
	}
	if len(p) < off {
		return nil, 0, false
	}
	p = p[off:]
	switch proto {
	case greTEB:
		return ether(p)
	case greERSPAN2:
		if !seq {
			return ether(p) // type I: the frame follows GRE directly
		}
		if len(p) < 8 || p[0]>>4 != 1 {
			return nil, 0, false
		}
		return ether(p[8:])
	case greERSPAN3:
		if len(p) < 12 || p[0]>>4 != 2 {
			return nil, 0, false
		}
		ft := p[10] >> 2 & 0x1f // frame type: 0 Ethernet, 2 IP
		n := 12
		if p[11]&1 != 0 { // O: a platform-specific subheader follows
			n += 8
		}
		if len(p) < n {
			return nil, 0, false
		}
		switch ft {
		case 0:
			return ether(p[n:])
		case 2:
			return rawIP(p[n:])
		}
	case greIPv4, greIPv6:
		return rawIP(p)
	}
	return nil, 0, false
}

// udpInner returns the frame a VXLAN, Geneve, CAPWAP or GTP-U datagram
// carries. A frame that has to be rebuilt (802.11 inside CAPWAP) is written
// into *buf, reused from packet to packet.
func udpInner(buf *[]byte, srcPort, dstPort uint16, p []byte) ([]byte, layers.LinkType, bool) {
	switch dstPort {
	case vxlanPort:
		if len(p) < 8 || p[0]&0x08 == 0 { // I flag: a valid VNI
			return nil, 0, false
		}
		return ether(p[8:])
	case genevePort:
		if len(p) < 8 || p[0]>>6 != 0 {
			return nil, 0, false
		}
		n := 8 + int(p[0]&0x3f)*4
		if len(p) < n {
			return nil, 0, false
		}
		switch binary.BigEndian.Uint16(p[2:]) {
		case greTEB:
			return ether(p[n:])
		case greIPv4, greIPv6:
			return rawIP(p[n:])
		}
		return nil, 0, false
	}
	// CAPWAP and GTP-U run both ways on their port. An old stack whose
	// ephemeral range (1024-5000) hands out 2152 or 5247 may talk to a
	// well-known service from it: that is the service, not a tunnel.
	if min(srcPort, dstPort) < 1024 {
		return nil, 0, false
	}
	switch {
	case srcPort == capwapPort || dstPort == capwapPort:
		return capwapInner(buf, p)
	case srcPort == gtpuPort || dstPort == gtpuPort:
		return gtpuInner(p)
	}
	return nil, 0, false
}

// CAPWAP header (RFC 5415 section 4.3) and its IEEE 802.11 binding (RFC 5416).
const (
	capwapF        = 0x80 // a fragment
	capwapK        = 0x08 // a data channel keep-alive
	wbid80211      = 1
	dot11ToDS      = 0x01
	dot11FromDS    = 0x02
	dot11MoreFrag  = 0x04
	dot11Protected = 0x40
	dot11Order     = 0x80 // on a QoS data frame: an HT Control field follows
)

// capwapInner returns the frame a CAPWAP data packet carries: an 802.3
// frame as is, an 802.11 data frame rebuilt as Ethernet II in *buf.
func capwapInner(buf *[]byte, p []byte) ([]byte, layers.LinkType, bool) {
	// Preamble 0: version 0, a plain header (type 1 is DTLS, unreadable).
	if len(p) < 8 || p[0] != 0 {
		return nil, 0, false
	}
	hlen := int(p[1]>>3) * 4 // the optional radio MAC and wireless info are inside
	wbid := p[2] >> 1 & 0x1f
	native := p[2]&1 != 0 // T: the frame is in the WBID's format, else 802.3
	// Fragments are skipped, not reassembled: controllers fragment only
	// frames larger than the path MTU, and reassembly would hold a buffer
	// per access point for a few lost observations. Keep-alives carry
	// nothing.
	if hlen < 8 || hlen > len(p) || p[3]&(capwapF|capwapK) != 0 {
		return nil, 0, false
	}
	p = p[hlen:]
	switch {
	case !native:
		return ether(p)
	case wbid == wbid80211:
		return dot11Ether(buf, p)
	}
	return nil, 0, false
}

// dot11Ether rebuilds an IEEE 802.11 data frame carrying LLC/SNAP as the
// Ethernet II frame the access point bridges it to, the one a tap behind
// the controller would see: the same source and destination MACs, the
// EtherType and payload. Management, control, null and encrypted frames
// give false.
func dot11Ether(buf *[]byte, p []byte) ([]byte, layers.LinkType, bool) {
	if len(p) < 24 {
		return nil, 0, false
	}
	fc, flags, ok := dot11FC(p[0], p[1])
	subtype := fc >> 4
	// Data (0) and QoS Data (8) only; a protected payload is ciphertext,
	// and a first 802.11 fragment (more to come) a piece of a frame. A later
	// fragment starts mid-payload and fails the LLC check below; its
	// fragment number is not read: Cisco byte-swaps Sequence Control too
	// (nDPI's capture sends 00 00, 00 10, 00 20...: sequence 0, 1, 2 read
	// big-endian), so which nibble holds it depends on the vendor.
	if !ok || subtype != 0 && subtype != 8 || flags&(dot11Protected|dot11MoreFrag) != 0 {
		return nil, 0, false
	}
	n := 24
	var da, sa []byte
	switch flags & (dot11ToDS | dot11FromDS) {
	case 0: // ad hoc: DA, SA, BSSID
		da, sa = p[4:10], p[10:16]
	case dot11ToDS: // station to AP: BSSID, SA, DA
		da, sa = p[16:22], p[10:16]
	case dot11FromDS: // AP to station: DA, BSSID, SA
		da, sa = p[4:10], p[16:22]
	default: // WDS: RA, TA, DA, sequence control, SA
		if len(p) < 30 {
			return nil, 0, false
		}
		da, sa, n = p[16:22], p[24:30], 30
	}
	if subtype == 8 {
		// QoS Control; an A-MSDU (bit 7) holds subframes, not one LLC payload.
		if len(p) < n+2 || p[n]&0x80 != 0 {
			return nil, 0, false
		}
		n += 2
		if flags&dot11Order != 0 {
			n += 4
		}
	}
	// LLC/SNAP: RFC 1042 (OUI 0) or 802.1H bridge-tunnel (OUI 00-00-F8),
	// then the EtherType. Other OUIs (Cisco's WLCCP) are not Ethernet II.
	if len(p) < n+8 {
		return nil, 0, false
	}
	if l := p[n : n+6]; l[0] != 0xaa || l[1] != 0xaa || l[2] != 0x03 || l[3] != 0 || l[4] != 0 || l[5] != 0 && l[5] != 0xf8 {
		return nil, 0, false
	}
	b := append((*buf)[:0], da...)
	b = append(b, sa...)
	b = append(b, p[n+6:]...) // EtherType and payload
	*buf = b
	return ether(b)
}

// dot11FC returns the Frame Control field's first byte (version, type,
// subtype) and its flags, in whichever byte order reads as a data frame.
// Cisco access points and controllers send the field byte-swapped
// (Wireshark's capwap.swap_fc, on by default), others in the standard
// order. Preferred: version 0, type data, exactly one DS bit (to or from
// the AP: all that AP and controller exchange); standard order first. Such
// a flags byte read as the first byte has version 1 or 2, so the preferred
// reading is unambiguous. Then, for ad hoc and WDS frames, any data frame.
func dot11FC(b0, b1 byte) (fc, flags byte, ok bool) {
	data := func(c byte) bool { return c&0x0f == 0x08 } // version 0, type 2
	apLink := func(f byte) bool { ds := f & (dot11ToDS | dot11FromDS); return ds == dot11ToDS || ds == dot11FromDS }
	switch {
	case data(b0) && apLink(b1):
		return b0, b1, true
	case data(b1) && apLink(b0):
		return b1, b0, true
	case data(b0):
		return b0, b1, true
	case data(b1):
		return b1, b0, true
	}
	return 0, 0, false
}

// gtpuInner returns the IP packet of a GTP-U G-PDU (3GPP TS 29.281 section
// 5). Signalling (echo, error indication, end marker) gives false.
func gtpuInner(p []byte) ([]byte, layers.LinkType, bool) {
	// Version 1, protocol type GTP (not GTP'), message type G-PDU.
	if len(p) < 8 || p[0]>>5 != 1 || p[0]&0x10 == 0 || p[1] != 0xff {
		return nil, 0, false
	}
	n := 8
	if p[0]&0x07 != 0 { // E, S or PN: sequence number, N-PDU number, next extension type
		n = 12
		if len(p) < n {
			return nil, 0, false
		}
		if p[0]&0x04 != 0 { // E: extension headers, chained by their last byte
			for next := p[11]; next != 0; {
				if len(p) <= n {
					return nil, 0, false
				}
				l := int(p[n]) * 4
				if l == 0 || len(p) < n+l {
					return nil, 0, false
				}
				next = p[n+l-1]
				n += l
			}
		}
	}
	return rawIP(p[n:])
}

func ether(p []byte) ([]byte, layers.LinkType, bool) {
	return p, layers.LinkTypeEthernet, len(p) >= ethHeaderSz
}

func rawIP(p []byte) ([]byte, layers.LinkType, bool) {
	return p, layers.LinkTypeRaw, len(p) > 0 && (p[0]>>4 == 4 || p[0]>>4 == 6)
}

// decap decodes the frame a tunnel carried as if it had been captured
// itself, at the outer packet's time. It reports whether p was a tunnel.
func (d *Decoder) decap(p []byte, link layers.LinkType, ok bool) bool {
	if !ok || d.depth >= maxTunnelDepth {
		return false
	}
	d.stats.Decapsulated++
	d.depth++
	d.Packet(p, gopacket.CaptureInfo{Timestamp: d.now, CaptureLength: len(p), Length: len(p)}, link)
	d.depth--
	return true
}

// PPPoE session (RFC 2516) carrying PPP (RFC 1661).
const (
	etherPPPoESession = 0x8864
	pppIPv4           = 0x0021
	pppIPv6           = 0x0057
)

// pppoeFrame rebuilds the IP packet of a PPPoE session frame as an Ethernet
// frame between the same MACs, so that it decodes as if captured without
// PPPoE and keeps the hosts' own addresses (a DSL modem's LAN side, a
// building's access network). Control frames (LCP, PAP, IPCP) give false.
func (d *Decoder) pppoeFrame(m *dissect.Meta, p []byte) ([]byte, bool) {
	if len(p) < 8 || p[0] != 0x11 || p[1] != 0 || len(m.SrcMAC) != 6 || len(m.DstMAC) != 6 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(p[4:6]))
	if n < 2 || n > len(p)-6 {
		return nil, false
	}
	var et uint16
	switch binary.BigEndian.Uint16(p[6:8]) {
	case pppIPv4:
		et = uint16(layers.EthernetTypeIPv4)
	case pppIPv6:
		et = uint16(layers.EthernetTypeIPv6)
	default:
		return nil, false
	}
	b := d.rebuilt[d.depth][:0]
	b = append(b, m.DstMAC...)
	b = append(b, m.SrcMAC...)
	b = append(b, byte(et>>8), byte(et))
	b = append(b, p[8:6+n]...)
	d.rebuilt[d.depth] = b
	return b, true
}
