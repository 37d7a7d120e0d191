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
// mirroring) or Geneve. The frames inside are what the sensor watches; the
// tunnel between switch and collector is not a device conversation, so the
// outer packet is only unwrapped, never dissected.

const (
	ipProtoGRE     = 47
	vxlanPort      = 4789
	genevePort     = 6081
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

// udpInner returns the frame a VXLAN or Geneve datagram carries.
func udpInner(dstPort uint16, p []byte) ([]byte, layers.LinkType, bool) {
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
	}
	return nil, 0, false
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
	b := d.pppoe[d.depth][:0]
	b = append(b, m.DstMAC...)
	b = append(b, m.SrcMAC...)
	b = append(b, byte(et>>8), byte(et))
	b = append(b, p[8:6+n]...)
	d.pppoe[d.depth] = b
	return b, true
}
