package simulate

import (
	"encoding/binary"
	"strconv"
)

// Frame construction is hand-written rather than going through
// gopacket.SerializeLayers: the generator must produce tens of millions of
// frames, and writing headers straight into one slice keeps it to a single
// allocation per frame with checksums computed in place.

const (
	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	etherTypeLLDP = 0x88cc

	protoTCP = 6
	protoUDP = 17

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

type mac [6]byte

var (
	broadcastMAC = mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	lldpMAC      = mac{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}
	cdpMAC       = mac{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}
	mdnsMAC      = mac{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}
	ssdpMAC      = mac{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}
)

// ip4 is an IPv4 address in host order; it keeps device state small.
type ip4 uint32

func ipv4(a, b, c, d byte) ip4 { return ip4(uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)) }

func (ip ip4) String() string {
	b := make([]byte, 0, 15)
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(byte(ip>>(8*i))), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return string(b)
}

func (ip ip4) put(b []byte) { binary.BigEndian.PutUint32(b, uint32(ip)) }

func (m mac) String() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}

// eui64 returns the EUI-64 built from a MAC by inserting FF-FE, in upper-case
// hex as IHE PCD puts it in OBX-18.
func (m mac) eui64() string {
	const hex = "0123456789ABCDEF"
	e := []byte{m[0], m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]}
	b := make([]byte, 0, 16)
	for _, x := range e {
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}

func putEth(b []byte, dst, src mac, etype uint16) {
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	binary.BigEndian.PutUint16(b[12:14], etype)
}

// ipHdr is the per-packet IPv4 header input.
type ipHdr struct {
	src, dst ip4
	ttl      uint8
	id       uint16
	df       bool
	tos      uint8
}

func checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func pseudoSum(src, dst ip4, proto uint8, length int) uint32 {
	return uint32(src>>16) + uint32(src&0xffff) + uint32(dst>>16) + uint32(dst&0xffff) + uint32(proto) + uint32(length)
}

func putIPv4(b []byte, h ipHdr, proto uint8, totalLen int) {
	b[0] = 0x45
	b[1] = h.tos
	binary.BigEndian.PutUint16(b[2:4], uint16(totalLen))
	binary.BigEndian.PutUint16(b[4:6], h.id)
	if h.df {
		b[6] = 0x40
	} else {
		b[6] = 0
	}
	b[7] = 0
	b[8] = h.ttl
	b[9] = proto
	b[10], b[11] = 0, 0
	h.src.put(b[12:16])
	h.dst.put(b[16:20])
	binary.BigEndian.PutUint16(b[10:12], checksum(b[:20], 0))
}

// udpFrame builds Ethernet/IPv4/UDP around payload.
func udpFrame(dstMAC, srcMAC mac, h ipHdr, sport, dport uint16, payload []byte) []byte {
	n := 14 + 20 + 8 + len(payload)
	b := make([]byte, n)
	putEth(b, dstMAC, srcMAC, etherTypeIPv4)
	putIPv4(b[14:], h, protoUDP, n-14)
	u := b[34:]
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	copy(u[8:], payload)
	cs := checksum(u, pseudoSum(h.src, h.dst, protoUDP, 8+len(payload)))
	if cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:8], cs)
	return b
}

// tcpSeg is one TCP segment's header input.
type tcpSeg struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	window       uint16
	opts         []byte // already padded to a multiple of 4
}

func tcpFrame(dstMAC, srcMAC mac, h ipHdr, s tcpSeg, payload []byte) []byte {
	thl := 20 + len(s.opts)
	n := 14 + 20 + thl + len(payload)
	b := make([]byte, n)
	putEth(b, dstMAC, srcMAC, etherTypeIPv4)
	putIPv4(b[14:], h, protoTCP, n-14)
	t := b[34:]
	binary.BigEndian.PutUint16(t[0:2], s.sport)
	binary.BigEndian.PutUint16(t[2:4], s.dport)
	binary.BigEndian.PutUint32(t[4:8], s.seq)
	binary.BigEndian.PutUint32(t[8:12], s.ack)
	t[12] = byte(thl/4) << 4
	t[13] = s.flags
	binary.BigEndian.PutUint16(t[14:16], s.window)
	copy(t[20:], s.opts)
	copy(t[thl:], payload)
	binary.BigEndian.PutUint16(t[16:18], checksum(t, pseudoSum(h.src, h.dst, protoTCP, len(t))))
	return b
}

// rawFrame builds an Ethernet II frame with an arbitrary payload, padded to
// the 60-byte minimum as a NIC would.
func rawFrame(dst, src mac, etype uint16, payload []byte) []byte {
	n := max(14+len(payload), 60)
	b := make([]byte, n)
	putEth(b, dst, src, etype)
	copy(b[14:], payload)
	return b
}

// llcSNAPFrame builds an IEEE 802.3 frame (length field) with LLC/SNAP, as CDP uses.
func llcSNAPFrame(dst, src mac, oui [3]byte, pid uint16, payload []byte) []byte {
	body := 8 + len(payload)
	n := max(14+body, 60)
	b := make([]byte, n)
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	binary.BigEndian.PutUint16(b[12:14], uint16(body))
	b[14], b[15], b[16] = 0xaa, 0xaa, 0x03
	copy(b[17:20], oui[:])
	binary.BigEndian.PutUint16(b[20:22], pid)
	copy(b[22:], payload)
	return b
}
