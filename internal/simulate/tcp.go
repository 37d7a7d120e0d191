package simulate

import "encoding/binary"

// osProfile is the TCP/IP stack personality of a device: what passive OS
// fingerprinting (p0f-style) reads from SYNs.
type osProfile struct {
	ttl    uint8
	window uint16
	mss    uint16
	wscale int // -1: no window scale option
	sack   bool
	ts     bool
	df     bool
}

var osProfiles = map[string]osProfile{
	"windows":  {ttl: 128, window: 64240, mss: 1460, wscale: 8, sack: true, df: true},
	"linux":    {ttl: 64, window: 64240, mss: 1460, wscale: 7, sack: true, ts: true, df: true},
	"embedded": {ttl: 64, window: 8192, mss: 1460, wscale: -1, df: false},
	"vxworks":  {ttl: 255, window: 8192, mss: 1460, wscale: -1, df: false},
	"qnx":      {ttl: 255, window: 16384, mss: 1460, wscale: 0, sack: false, ts: true, df: false},
	"ios":      {ttl: 255, window: 4128, mss: 1460, wscale: -1, df: false},
}

// synOptions renders the SYN option block in the order each stack uses.
func (p osProfile) synOptions(tsval uint32) []byte {
	var o []byte
	mss := []byte{2, 4, byte(p.mss >> 8), byte(p.mss)}
	switch {
	case p.ts && p.sack: // Linux: MSS, SACK_PERM, TS, NOP, WS
		o = append(o, mss...)
		o = append(o, 4, 2)
		o = appendTS(o, tsval, 0)
		if p.wscale >= 0 {
			o = append(o, 1, 3, 3, byte(p.wscale))
		}
	case p.ts: // QNX-like: MSS, NOP, WS, NOP, NOP, TS
		o = append(o, mss...)
		if p.wscale >= 0 {
			o = append(o, 1, 3, 3, byte(p.wscale))
		}
		o = append(o, 1, 1)
		o = appendTS(o, tsval, 0)
	default: // Windows: MSS, NOP, WS, NOP, NOP, SACK_PERM; embedded: MSS only
		o = append(o, mss...)
		if p.wscale >= 0 {
			o = append(o, 1, 3, 3, byte(p.wscale))
		}
		if p.sack {
			o = append(o, 1, 1, 4, 2)
		}
	}
	for len(o)%4 != 0 {
		o = append(o, 0)
	}
	return o
}

func appendTS(o []byte, val, ecr uint32) []byte {
	o = append(o, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(o[len(o)-8:], val)
	binary.BigEndian.PutUint32(o[len(o)-4:], ecr)
	return o
}

// endpoint is one side of a conversation.
type endpoint struct {
	mac  mac
	ip   ip4
	port uint16
	os   osProfile
}

// tcpConn plays one TCP connection, emitting segments through the simulator
// with a small clock that advances by the round-trip time.
type tcpConn struct {
	s          *sim
	c, v       endpoint // client, server
	cseq, vseq uint32
	cid, vid   uint16
	t          int64
	rtt        int64
	useTS      bool
	tsc, tsv   uint32
	// Next-hop MACs: cmac for client-to-server frames, vmac for the reverse;
	// vsrc replaces the server's MAC when it sits beyond a router.
	cmac, vmac, vsrc mac
}

func (s *sim) newConn(t int64, c, v endpoint) *tcpConn {
	return &tcpConn{s: s, c: c, v: v, t: t,
		cseq: s.rng.Uint32(), vseq: s.rng.Uint32(),
		cid: uint16(s.rng.Uint32()), vid: uint16(s.rng.Uint32()),
		rtt:   int64(200_000 + s.rng.IntN(800_000)), // 0.2-1 ms on a LAN
		useTS: c.os.ts && v.os.ts,
		tsc:   s.rng.Uint32() >> 4, tsv: s.rng.Uint32() >> 4,
	}
}

func (k *tcpConn) seg(fromClient bool, flags uint8, payload []byte, opts []byte) {
	src, dst := k.c, k.v
	seq, ack := k.cseq, k.vseq
	id := &k.cid
	if !fromClient {
		src, dst = k.v, k.c
		seq, ack = k.vseq, k.cseq
		id = &k.vid
	}
	if flags&tcpACK == 0 {
		ack = 0
	}
	if opts == nil && k.useTS {
		a, b := k.tsc, k.tsv
		if !fromClient {
			a, b = k.tsv, k.tsc
		}
		opts = appendTS([]byte{1, 1}, a, b)
	}
	win := src.os.window
	if src.os.wscale > 0 && flags&tcpSYN == 0 {
		win = uint16(min(65535, int(src.os.window)*4>>src.os.wscale+200))
	}
	*id++
	h := ipHdr{src: src.ip, dst: dst.ip, ttl: src.os.ttl, id: *id, df: src.os.df}
	dmac, smac := k.cmac, src.mac
	if !fromClient {
		dmac = k.vmac
		if k.vsrc != (mac{}) {
			smac = k.vsrc
		}
	}
	if dmac == (mac{}) {
		dmac = dst.mac
	}
	f := tcpFrame(dmac, smac, h, tcpSeg{sport: src.port, dport: dst.port, seq: seq, ack: ack, flags: flags, window: win, opts: opts}, payload)
	k.s.emit(k.t, f)
	adv := uint32(len(payload))
	if flags&(tcpSYN|tcpFIN) != 0 {
		adv++
	}
	if fromClient {
		k.cseq += adv
	} else {
		k.vseq += adv
	}
}

func (k *tcpConn) step(d int64) {
	k.t += d
	k.tsc += uint32(d / 1_000_000)
	k.tsv += uint32(d / 1_000_000)
}

// open plays the three-way handshake.
func (k *tcpConn) open() {
	k.seg(true, tcpSYN, nil, k.c.os.synOptions(k.tsc))
	k.step(k.rtt / 2)
	k.seg(false, tcpSYN|tcpACK, nil, k.synAckOptions())
	k.step(k.rtt / 2)
	k.seg(true, tcpACK, nil, nil)
	k.step(50_000)
}

// synAckOptions answers only what the client offered, as real stacks do.
func (k *tcpConn) synAckOptions() []byte {
	p := k.v.os
	q := p
	q.sack = p.sack && k.c.os.sack
	q.ts = k.useTS
	if k.c.os.wscale < 0 {
		q.wscale = -1
	}
	return q.synOptions(k.tsv)
}

// refused plays a SYN answered by RST: a closed port.
func (k *tcpConn) refused() {
	k.seg(true, tcpSYN, nil, k.c.os.synOptions(k.tsc))
	k.step(k.rtt / 2)
	k.vseq = 0
	k.seg(false, tcpRST|tcpACK, nil, []byte{})
}

// send transfers data in MSS-sized segments; the receiver ACKs every
// second segment and at the end.
func (k *tcpConn) send(fromClient bool, data []byte) {
	mss := int(min(k.c.os.mss, k.v.os.mss))
	if k.useTS {
		mss -= 12
	}
	n := 0
	for off := 0; off < len(data); off += mss {
		end := min(off+mss, len(data))
		flags := uint8(tcpACK)
		if end == len(data) {
			flags |= tcpPSH
		}
		k.seg(fromClient, flags, data[off:end], nil)
		n++
		k.step(12_000 + int64(end-off)*8) // ~1 Gbit/s serialisation plus stack time
		if n%2 == 0 && end != len(data) {
			k.seg(!fromClient, tcpACK, nil, nil)
		}
	}
	k.step(k.rtt / 2)
	k.seg(!fromClient, tcpACK, nil, nil)
	k.step(k.rtt / 2)
}

// close plays an orderly FIN exchange started by the client.
func (k *tcpConn) close() {
	k.seg(true, tcpFIN|tcpACK, nil, nil)
	k.step(k.rtt / 2)
	k.seg(false, tcpFIN|tcpACK, nil, nil)
	k.step(k.rtt / 2)
	k.seg(true, tcpACK, nil, nil)
}
