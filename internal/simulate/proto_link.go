package simulate

import (
	"encoding/binary"
	"strings"
)

// arpFrame builds an ARP request (or a gratuitous ARP when target == sender).
func arpFrame(src mac, srcIP, target ip4) []byte {
	p := make([]byte, 28)
	binary.BigEndian.PutUint16(p[0:2], 1)      // Ethernet
	binary.BigEndian.PutUint16(p[2:4], 0x0800) // IPv4
	p[4], p[5] = 6, 4
	binary.BigEndian.PutUint16(p[6:8], 1) // request
	copy(p[8:14], src[:])
	srcIP.put(p[14:18])
	target.put(p[24:28])
	return rawFrame(broadcastMAC, src, etherTypeARP, p)
}

func arpReply(src mac, srcIP ip4, dst mac, dstIP ip4) []byte {
	p := make([]byte, 28)
	binary.BigEndian.PutUint16(p[0:2], 1)
	binary.BigEndian.PutUint16(p[2:4], 0x0800)
	p[4], p[5] = 6, 4
	binary.BigEndian.PutUint16(p[6:8], 2)
	copy(p[8:14], src[:])
	srcIP.put(p[14:18])
	copy(p[18:24], dst[:])
	dstIP.put(p[24:28])
	return rawFrame(dst, src, etherTypeARP, p)
}

func tlv(b []byte, typ int, val []byte) []byte {
	h := uint16(typ)<<9 | uint16(len(val))
	b = append(b, byte(h>>8), byte(h))
	return append(b, val...)
}

// lldpInfo is what one LLDPDU announces.
type lldpInfo struct {
	chassis  mac
	portID   string
	portDesc string
	sysName  string
	sysDesc  string
	caps     uint16 // bit 2 bridge, 4 router, 5 telephone, 7 station
	mgmt     ip4
	med      *lldpMED
}

type lldpMED struct {
	class                                   byte // 1-3 endpoint class, phones are 3
	hw, fw, sw, serial, manufacturer, model string
	voiceVLAN                               uint16
}

func lldpPDU(li lldpInfo) []byte {
	var b []byte
	b = tlv(b, 1, append([]byte{4}, li.chassis[:]...))
	if li.med != nil {
		b = tlv(b, 2, append([]byte{3}, li.chassis[:]...)) // port id = MAC for endpoints
	} else {
		b = tlv(b, 2, append([]byte{5}, li.portID...)) // interface name
	}
	b = tlv(b, 3, []byte{0, 120})
	if li.portDesc != "" {
		b = tlv(b, 4, []byte(li.portDesc))
	}
	b = tlv(b, 5, []byte(li.sysName))
	b = tlv(b, 6, []byte(li.sysDesc))
	b = tlv(b, 7, []byte{byte(li.caps >> 8), byte(li.caps), byte(li.caps >> 8), byte(li.caps)})
	if li.mgmt != 0 {
		v := []byte{5, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0}
		li.mgmt.put(v[2:6])
		b = tlv(b, 8, v)
	}
	if m := li.med; m != nil {
		org := func(sub byte, val []byte) {
			b = tlv(b, 127, append([]byte{0x00, 0x12, 0xbb, sub}, val...))
		}
		capsBits := uint16(0x0001 | 0x0020) // LLDP-MED caps, inventory
		if m.voiceVLAN != 0 {
			capsBits |= 0x0002 // network policy
		}
		org(1, []byte{byte(capsBits >> 8), byte(capsBits), m.class})
		if m.voiceVLAN != 0 {
			// application type 1 (voice), tagged, VLAN id, L2 prio 5, DSCP 46
			v := uint32(1)<<24 | uint32(1)<<22 | uint32(m.voiceVLAN&0x0fff)<<9 | 5<<6 | 46
			org(2, []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		org(5, []byte(m.hw))
		org(6, []byte(m.fw))
		org(7, []byte(m.sw))
		org(8, []byte(m.serial))
		org(9, []byte(m.manufacturer))
		org(10, []byte(m.model))
	}
	b = append(b, 0, 0)
	return b
}

// cdpInfo is what one CDPv2 frame announces.
type cdpInfo struct {
	deviceID string
	addr     ip4
	portID   string
	caps     uint32 // 0x08 switch, 0x01 router, 0x80 phone, 0x200 two-port MAC relay
	software string
	platform string
	vlan     uint16
}

func cdpPDU(ci cdpInfo) []byte {
	b := []byte{2, 180, 0, 0}
	put := func(t uint16, v []byte) {
		b = binary.BigEndian.AppendUint16(b, t)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(v)))
		b = append(b, v...)
	}
	put(0x0001, []byte(ci.deviceID))
	if ci.addr != 0 {
		a := []byte{0, 0, 0, 1, 1, 1, 0xcc, 0, 4, 0, 0, 0, 0}
		ci.addr.put(a[9:13])
		put(0x0002, a)
	}
	put(0x0003, []byte(ci.portID))
	put(0x0004, binary.BigEndian.AppendUint32(nil, ci.caps))
	put(0x0005, []byte(ci.software))
	put(0x0006, []byte(ci.platform))
	if ci.vlan != 0 {
		put(0x000a, binary.BigEndian.AppendUint16(nil, ci.vlan))
	}
	put(0x000b, []byte{1}) // full duplex
	binary.BigEndian.PutUint16(b[2:4], cdpChecksum(b))
	return b
}

// cdpChecksum is the IP checksum, except for odd lengths: Cisco puts the
// last octet in the low byte of the final word and sign-extends it, where
// RFC 1071 would pad it with a zero low byte.
func cdpChecksum(b []byte) uint16 {
	if len(b)%2 == 0 {
		return checksum(b, 0)
	}
	last := b[len(b)-1]
	w := uint32(last)
	if last&0x80 != 0 {
		w |= 0xff00
	}
	return checksum(b[:len(b)-1], w)
}

func shortPort(p string) string {
	return strings.Replace(p, "GigabitEthernet", "Gi", 1)
}
