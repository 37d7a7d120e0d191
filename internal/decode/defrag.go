package decode

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/dissect"
)

// defragmenter reassembles IPv4 and IPv6 datagrams, bounded in count, size
// and time: fragments are rare on hospital LANs (a large DNSSEC or mDNS
// answer, a tunnel with a small MTU) but attackers can send endless ones.
type defragmenter struct {
	m       map[fragKey]*fragDatagram
	max     int
	timeout time.Duration
	out     []byte
	dropped *uint64 // fragments thrown away: table full, oversized, expired incomplete
}

type fragKey struct {
	src, dst netip.Addr
	id       uint32 // IPv4's 16-bit or IPv6's 32-bit identification
	proto    uint8
}

type fragPiece struct {
	off  int
	data []byte
}

type fragDatagram struct {
	first  time.Time
	pieces []fragPiece
	total  int // known once the last fragment arrived, else -1
	bytes  int
}

const maxDatagram = 65535

func (f *defragmenter) init(max int, timeout time.Duration, dropped *uint64) {
	f.m = map[fragKey]*fragDatagram{}
	f.max, f.timeout, f.dropped = max, timeout, dropped
}

func (f *defragmenter) expire(now time.Time) {
	for k, dg := range f.m {
		if now.Sub(dg.first) > f.timeout {
			*f.dropped += uint64(len(dg.pieces))
			delete(f.m, k)
		}
	}
}

// add stores one IPv4 fragment; when the datagram is complete it returns
// the reassembled transport payload (valid until the next call).
func (f *defragmenter) add(ip *layers.IPv4, now time.Time) ([]byte, bool) {
	k := fragKey{addr4(ip.SrcIP), addr4(ip.DstIP), uint32(ip.Id), uint8(ip.Protocol)}
	return f.addPiece(k, int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, ip.Payload, now)
}

// addPiece stores the fragment at byte offset off of datagram k; more is
// the more-fragments flag.
func (f *defragmenter) addPiece(k fragKey, off int, more bool, payload []byte, now time.Time) ([]byte, bool) {
	dg := f.m[k]
	if dg == nil {
		if len(f.m) >= f.max {
			f.expire(now)
			if len(f.m) >= f.max {
				*f.dropped++
				return nil, false
			}
		}
		dg = &fragDatagram{first: now, total: -1}
		f.m[k] = dg
	}
	if off+len(payload) > maxDatagram || len(dg.pieces) >= 128 {
		*f.dropped += uint64(len(dg.pieces)) + 1
		delete(f.m, k)
		return nil, false
	}
	dg.pieces = append(dg.pieces, fragPiece{off: off, data: append([]byte(nil), payload...)})
	dg.bytes += len(payload)
	if !more {
		dg.total = off + len(payload)
	}
	if dg.total < 0 {
		return nil, false
	}
	// Complete when the pieces cover [0, total) without holes.
	f.out = f.out[:0]
	if cap(f.out) < dg.total {
		f.out = make([]byte, 0, dg.total)
	}
	f.out = f.out[:dg.total]
	covered := make([]bool, (dg.total+7)/8)
	for _, p := range dg.pieces {
		if p.off+len(p.data) > dg.total {
			continue
		}
		copy(f.out[p.off:], p.data)
		for b := p.off / 8; b < (p.off+len(p.data)+7)/8 && b < len(covered); b++ {
			covered[b] = true
		}
	}
	for _, c := range covered {
		if !c {
			return nil, false
		}
	}
	delete(f.m, k)
	return f.out, true
}

// IPv6 extension headers the layer parser does not decode itself
// (it folds hop-by-hop options into the IPv6 layer).
const (
	ip6Routing  = 43
	ip6Fragment = 44
	ip6DestOpts = 60
)

// ipv6Ext follows the extension headers after an IPv6 header (destination
// options, routing, fragment) to the transport header, reassembling
// fragments. It reports whether p was such a chain; a fragment that waits
// for the rest of its datagram counts as handled.
func (d *Decoder) ipv6Ext(m *dissect.Meta, proto uint8, p []byte) bool {
	ext := false
	for range 8 { // a crafted chain of options costs nothing beyond this
		switch proto {
		case ip6DestOpts, ip6Routing:
			if len(p) < 8 || len(p) < (int(p[1])+1)*8 {
				return ext
			}
			proto, p = p[0], p[(int(p[1])+1)*8:]
		case ip6Fragment:
			if len(p) < 8 {
				return ext
			}
			next, fo := p[0], binary.BigEndian.Uint16(p[2:4])
			k := fragKey{m.SrcIP, m.DstIP, binary.BigEndian.Uint32(p[4:8]), next}
			whole, ok := d.frag.addPiece(k, int(fo>>3)*8, fo&1 != 0, p[8:], d.now)
			if !ok {
				return true
			}
			proto, p = next, whole
		default:
			if !ext {
				return false
			}
			d.transport(m, proto, p)
			return true
		}
		ext = true
	}
	return ext
}

// transport decodes the transport header of a payload whose IP header the
// decoder already read (a reassembled datagram, or one behind IPv6
// extension headers) and hands it on as the layer parser's path would.
func (d *Decoder) transport(m *dissect.Meta, proto uint8, p []byte) {
	switch layers.IPProtocol(proto) {
	case ipProtoGRE:
		d.decap(greInner(p))
	case layers.IPProtocolUDP:
		if err := d.udp.DecodeFromBytes(p, gopacket.NilDecodeFeedback); err != nil {
			d.stats.DecodeErrors++
			return
		}
		if d.decap(udpInner(&d.rebuilt[d.depth], uint16(d.udp.SrcPort), uint16(d.udp.DstPort), d.udp.Payload)) {
			return
		}
		d.handleUDP(m, d.udp.SrcPort, d.udp.DstPort, d.udp.Payload)
	case layers.IPProtocolTCP:
		if err := d.tcp.DecodeFromBytes(p, gopacket.NilDecodeFeedback); err != nil {
			d.stats.DecodeErrors++
			return
		}
		d.handleTCP(m, &d.tcp, d.tcp.Payload)
	}
}

// serverSet remembers (address, port) pairs already reported as UDP
// services, bounded: when full it starts over, which only repeats a report.
type serverSet struct {
	m   map[serverKey]struct{}
	max int
}

type serverKey struct {
	ap    netip.AddrPort
	proto uint8
}

func (s *serverSet) init(max int) {
	s.m = make(map[serverKey]struct{}, 256)
	s.max = max
}

// add reports whether the pair is new.
func (s *serverSet) add(ap netip.AddrPort, proto uint8) bool {
	k := serverKey{ap, proto}
	if _, ok := s.m[k]; ok {
		return false
	}
	if len(s.m) >= s.max {
		clear(s.m)
	}
	s.m[k] = struct{}{}
	return true
}
