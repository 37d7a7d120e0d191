package decode

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// defragmenter reassembles IPv4 datagrams, bounded in count, size and time:
// fragments are rare on hospital LANs but attackers can send endless ones.
type defragmenter struct {
	m       map[fragKey]*fragDatagram
	max     int
	timeout time.Duration
	out     []byte
}

type fragKey struct {
	src, dst netip.Addr
	id       uint16
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

func (f *defragmenter) init(max int, timeout time.Duration) {
	f.m = map[fragKey]*fragDatagram{}
	f.max, f.timeout = max, timeout
}

func (f *defragmenter) expire(now time.Time) {
	for k, dg := range f.m {
		if now.Sub(dg.first) > f.timeout {
			delete(f.m, k)
		}
	}
}

// add stores one fragment; when the datagram is complete it returns the
// reassembled transport payload (valid until the next call).
func (f *defragmenter) add(ip *layers.IPv4, now time.Time) ([]byte, bool) {
	k := fragKey{addr4(ip.SrcIP), addr4(ip.DstIP), ip.Id, uint8(ip.Protocol)}
	dg := f.m[k]
	if dg == nil {
		if len(f.m) >= f.max {
			f.expire(now)
			if len(f.m) >= f.max {
				return nil, false
			}
		}
		dg = &fragDatagram{first: now, total: -1}
		f.m[k] = dg
	}
	off := int(ip.FragOffset) * 8
	if off+len(ip.Payload) > maxDatagram || len(dg.pieces) >= 128 {
		delete(f.m, k)
		return nil, false
	}
	dg.pieces = append(dg.pieces, fragPiece{off: off, data: append([]byte(nil), ip.Payload...)})
	dg.bytes += len(ip.Payload)
	if ip.Flags&layers.IPv4MoreFragments == 0 {
		dg.total = off + len(ip.Payload)
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
