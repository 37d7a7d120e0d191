package decode

import (
	"hash/maphash"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/dissect"
)

// flowKey names a TCP conversation independent of direction: lo < hi.
type flowKey struct {
	lo, hi netip.AddrPort
	proto  uint8
}

func makeKey(a, b netip.AddrPort, proto uint8) flowKey {
	if lessAP(a, b) {
		return flowKey{a, b, proto}
	}
	return flowKey{b, a, proto}
}

// mapKey is flowKey packed into plain memory: the map then hashes and
// compares it as one block, where netip.AddrPort's zone pointer and padding
// would make the runtime hash field by field.
type mapKey struct {
	lo, hi         [16]byte
	loPort, hiPort uint16
	proto, is4     uint8
}

func (k flowKey) packed() mapKey {
	p := mapKey{lo: k.lo.Addr().As16(), hi: k.hi.Addr().As16(), loPort: k.lo.Port(), hiPort: k.hi.Port(), proto: k.proto}
	if k.lo.Addr().Is4() {
		p.is4 = 1
	}
	return p
}

func lessAP(a, b netip.AddrPort) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Port() < b.Port()
}

// rstLinger is how long a reset flow whose dissectors still read is kept
// for segments already in flight (Zeek waits 5 s; in-flight data follows
// within a round trip).
const rstLinger = 2 * time.Second

// resetFlow is a lingering reset flow and the time of its reset, which
// tells whether the flow is still that conversation (flows are recycled).
type resetFlow struct {
	f  *flow
	at time.Time
}

// endResets ends the reset flows whose linger is over.
func (d *Decoder) endResets() {
	keep := d.resets[:0]
	for _, r := range d.resets {
		switch {
		case !r.f.rstAt.Equal(r.at):
			// Ended already (a new SYN, both FINs, expiry) and perhaps reused.
		case d.now.Sub(r.at) > rstLinger:
			d.flows.remove(r.f, d.endFlow)
		default:
			keep = append(keep, r)
		}
	}
	clear(d.resets[len(keep):])
	d.resets = keep
}

// maxDetectTries bounds how many payloads per direction detection sees.
const maxDetectTries = 6

type segment struct {
	seq  uint32
	data []byte
}

type direction struct {
	init      bool
	next      uint32
	inspected int
	pending   []segment
	pendBytes int
	tries     uint8 // payloads of this direction offered to detection
	headLen   uint8 // bytes in head
	// head keeps the first bytes of a direction nothing recognised while
	// they are fewer than a protocol's signature: a stack that sends a TLS
	// record header, or a request's first letters, in a segment of its own.
	head [maxHead]byte
}

// maxHead bounds the undetected first bytes kept for detection.
const maxHead = 16

type activeStream struct {
	e    *tcpEntry
	s    dissect.Stream
	done bool
}

type flow struct {
	prev, next *flow // the table's recency list, least recently seen first
	key        flowKey
	start      time.Time
	lastSeen   time.Time
	macs       [2][6]byte // client, server
	hasMAC     bool
	pkts       [2]uint64 // client->server, server->client
	bytes      [2]uint64
	synAck     bool
	fin        [2]bool
	app        string
	client     netip.AddrPort
	clientSure bool
	dir        [2]direction // 0: client -> server, 1: server -> client
	streams    []activeStream
	done       bool // inspection finished: later packets are only counted
	synSeen    bool
	serviceOut bool
	rst        [2]bool   // a reset was sent in that direction
	rstAt      time.Time // when a reset was seen while a dissector still read; zero otherwise
}

func (f *flow) reset() {
	streams := f.streams[:0]
	d0, d1 := f.dir[0].pending[:0], f.dir[1].pending[:0]
	*f = flow{streams: streams}
	f.dir[0].pending, f.dir[1].pending = d0, d1
}

// flowTable is a bounded map with a free list, so steady traffic does not allocate.
//
// Flows are found by a 64-bit hash of their key: a map of 16-byte slots is a
// third the size of one keyed by the 40-byte key, and with every flow of a
// busy link in it the lookups are cache misses, fewer in a smaller table.
// A flow whose hash another flow already holds (at 100 000 flows, about
// one chance in 10^9) goes to spill, keyed in full.
type flowTable struct {
	m          map[uint64]*flow
	spill      map[mapKey]*flow
	seed       maphash.Seed
	mask       uint64 // all ones; tests narrow it to make hashes collide
	free       []*flow
	max        int
	head, tail *flow // recency list: expiry walks only what expires
	sized      bool  // the map was resized for a busy link
	last       *flow // the flow get found last, and its key
	lastKey    mapKey
}

func (t *flowTable) init(max int) {
	t.m = make(map[uint64]*flow, min(max, 4096))
	t.seed = maphash.MakeSeed()
	t.mask = ^uint64(0)
	t.max = max
}

func (t *flowTable) hash(pk mapKey) uint64 { return maphash.Comparable(t.seed, pk) & t.mask }

func (t *flowTable) len() int { return len(t.m) + len(t.spill) }

// expire forgets flows idle since before, calling end for each first.
// It walks the recency list from its oldest end, so its cost is the number
// of flows that expire, and the order (and so the output) is the same for
// the same input.
func (t *flowTable) expire(before time.Time, end func(*flow)) int {
	n := 0
	for f := t.head; f != nil && f.lastSeen.Before(before); f = t.head {
		t.remove(f, end)
		n++
	}
	return n
}

// remove ends one flow now.
func (t *flowTable) remove(f *flow, end func(*flow)) {
	end(f)
	if t.last == f {
		t.last = nil
	}
	pk := f.key.packed()
	if h := t.hash(pk); t.m[h] == f {
		delete(t.m, h)
	} else {
		delete(t.spill, pk)
	}
	t.unlink(f)
	t.release(f)
}

// touch marks f as just seen: it moves to the recency list's tail.
func (t *flowTable) touch(f *flow) {
	if t.tail == f {
		return
	}
	t.unlink(f)
	t.push(f)
}

func (t *flowTable) push(f *flow) {
	f.prev, f.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = f
	} else {
		t.head = f
	}
	t.tail = f
}

func (t *flowTable) unlink(f *flow) {
	if f.prev != nil {
		f.prev.next = f.next
	} else if t.head == f {
		t.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else if t.tail == f {
		t.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

func (t *flowTable) release(f *flow) {
	f.reset()
	// Kept up to the table's bound: the flows were live a moment ago, so
	// keeping them costs no memory the peak did not, and the next burst
	// of connections allocates nothing.
	if len(t.free) < t.max {
		t.free = append(t.free, f)
	}
}

func (t *flowTable) get(k flowKey) *flow {
	pk := k.packed()
	// Packets of one conversation come in runs (a bulk transfer, a
	// handshake): the last flow found saves a hash lookup and its misses.
	if t.last != nil && t.lastKey == pk {
		return t.last
	}
	f := t.m[t.hash(pk)]
	if f != nil && f.key != k {
		f = nil
	}
	if f == nil && len(t.spill) > 0 {
		f = t.spill[pk]
	}
	if f != nil {
		t.last, t.lastKey = f, pk
	}
	return f
}

// add creates a flow for a key get did not find; nil when the table is full.
func (t *flowTable) add(k flowKey) *flow {
	if t.len() >= t.max {
		return nil
	}
	var f *flow
	if n := len(t.free); n > 0 {
		f = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		f = &flow{}
	}
	f.key = k
	if len(t.m) == 4096 && !t.sized && t.max > 4096 {
		// A busy link: size the map for it once, rather than let it double
		// its way up (each doubling rehashes every flow).
		t.sized = true
		m := make(map[uint64]*flow, min(t.max, 1<<16))
		for h, v := range t.m {
			m[h] = v
		}
		t.m = m
	}
	pk := k.packed()
	if h := t.hash(pk); t.m[h] == nil {
		t.m[h] = f
	} else {
		if t.spill == nil {
			t.spill = make(map[mapKey]*flow)
		}
		t.spill[pk] = f
	}
	t.push(f)
	return f
}

func (d *Decoder) handleTCP(m *dissect.Meta, tcp *layers.TCP, payload []byte) {
	m.Transport = "tcp"
	m.SrcPort, m.DstPort = uint16(tcp.SrcPort), uint16(tcp.DstPort)
	syn, ack := tcp.SYN, tcp.ACK
	if syn && d.cfg.SynSignatures {
		d.emitSyn(m, tcp, payload)
	}
	src := netip.AddrPortFrom(m.SrcIP, m.SrcPort)
	dst := netip.AddrPortFrom(m.DstIP, m.DstPort)
	key := makeKey(src, dst, 6)
	f := d.flows.get(key)
	if f != nil && !f.rstAt.IsZero() && (syn && !ack || d.now.Sub(f.rstAt) > rstLinger) {
		// The reset conversation is over: a new SYN, or traffic long after.
		d.flows.remove(f, d.endFlow)
		f = nil
	}
	if f == nil {
		if !syn && len(payload) == 0 {
			return // a bare ACK/FIN of a flow we never knew: nothing to learn
		}
		f = d.newFlow(key, m)
		if f == nil {
			return
		}
		// Who is the client? The SYN sender; else, mid-stream, the higher (ephemeral) port.
		switch {
		case syn && !ack:
			f.client, f.clientSure = src, true
		case syn && ack:
			f.client, f.clientSure = dst, true
		case m.SrcPort > m.DstPort:
			f.client = src
		default:
			f.client = dst
		}
	}
	f.lastSeen = d.now
	d.flows.touch(f)
	if syn && !ack && !f.clientSure {
		f.client, f.clientSure = src, true
	}
	fromClient := src == f.client
	di := 1
	if fromClient {
		di = 0
	}
	f.count(di, m, len(payload)+d.cut) // what was sent, not what the snap length kept
	if tcp.RST || tcp.FIN {
		f.fin[di] = f.fin[di] || tcp.FIN
		rstBefore := f.rst
		if tcp.RST {
			f.rst[di] = true
		}
		switch {
		case tcp.RST && f.rst[0] && f.rst[1]:
			// Both ends reset: neither will send more.
			defer d.flows.remove(f, d.endFlow)
		case tcp.RST && (rstBefore[di] || !f.rstAt.IsZero()):
			// Already lingering; repeated resets change nothing.
		case tcp.RST && !f.done && len(f.streams) > 0:
			// What the peer sent before the reset reached it is still on
			// the wire, and a SPAN port may deliver it after the RST (a
			// browser that drops a raced connection still gets the
			// server's certificate): keep reading for rstLinger.
			f.rstAt = d.now
			d.resets = append(d.resets, resetFlow{f, d.now})
		case tcp.RST || (f.fin[0] && f.fin[1]):
			defer d.flows.remove(f, d.endFlow)
		}
	}
	if syn {
		f.synSeen = f.synSeen || !ack
		f.synAck = f.synAck || ack
		ds := &f.dir[di]
		ds.init, ds.next = true, tcp.Seq+1
		if ack && d.cfg.Services && !f.serviceOut {
			// SYN-ACK: the sender listens on its port and the peer connected to it.
			f.serviceOut = true
			d.emitService(m, m.SrcPort)
		}
	}
	if len(payload) == 0 {
		return
	}
	if f.done {
		d.stats.BytesSkipped += uint64(len(payload))
		return
	}
	ds := &f.dir[di]
	// Detection runs on each direction's first payload, and keeps trying on
	// a few more while nothing matched: STARTTLS (LDAP, SMTP, IMAP) begins
	// TLS only after some cleartext exchange.
	seq := tcp.Seq
	if ds.tries == 0 || (len(f.streams) == 0 && ds.tries < maxDetectTries) {
		ds.tries++
		if ds.headLen > 0 && ds.init && seq == ds.next {
			// A tiny first piece, now continued: detect on the two
			// together, and on a match deliver them together.
			d.joined = append(append(d.joined[:0], ds.head[:ds.headLen]...), payload...)
			if d.detect(f, m, fromClient, d.joined); len(f.streams) == 0 {
				d.detect(f, m, fromClient, payload)
			} else {
				payload, seq = d.joined, seq-uint32(ds.headLen)
				ds.next = seq
				d.stats.BytesSkipped -= uint64(ds.headLen) // inspected after all
			}
		} else {
			d.detect(f, m, fromClient, payload)
		}
		ds.headLen = 0
		if len(f.streams) == 0 && ds.tries == 1 && len(payload) < maxHead {
			ds.headLen = uint8(copy(ds.head[:], payload))
		}
	}
	if len(f.streams) == 0 {
		if f.dir[0].tries >= maxDetectTries && f.dir[1].tries >= maxDetectTries {
			f.done = true
		}
		if ds.init && int32(seq-ds.next) > 0 && ds.tries < maxDetectTries &&
			ds.pendBytes+len(payload) <= d.cfg.MaxReorderBytes && len(ds.pending) < 64 {
			// Ahead of the cursor: the segment before it (a message's
			// start, out of order on the SPAN) may still come and be
			// recognised; this one is kept for it. Only while detection
			// still tries, so a hole that never fills costs a few segments.
			ds.pending = append(ds.pending, segment{seq: seq, data: append([]byte(nil), payload...)})
			ds.pendBytes += len(payload)
			return
		}
		// Keep the sequence cursor moving over what was skipped, so a
		// dissector matched on a later payload starts in order.
		ds.init, ds.next = true, seq+uint32(len(payload)+d.cut)
		d.stats.BytesSkipped += uint64(len(payload))
		return
	}
	d.reassemble(f, ds, m, fromClient, seq, payload)
}

func (d *Decoder) detect(f *flow, m *dissect.Meta, fromClient bool, payload []byte) {
	for i := range d.tcps {
		te := &d.tcps[i]
		already := false
		for _, s := range f.streams {
			if s.e == te {
				already = true
				break
			}
		}
		if already || !te.d.MatchTCP(m.SrcPort, m.DstPort, fromClient, payload) {
			continue
		}
		if f.app == "" {
			f.app = te.d.Name()
		}
		var st dissect.Stream
		d.safe(te.ps, func() error { st = te.d.NewStream(); return nil })
		if st != nil {
			f.streams = append(f.streams, activeStream{e: te, s: st})
		}
	}
}

// reassemble delivers payload in sequence order, buffering (copies of)
// early segments up to MaxReorderBytes; past that it declares a gap.
func (d *Decoder) reassemble(f *flow, ds *direction, m *dissect.Meta, fromClient bool, seq uint32, payload []byte) {
	if !ds.init {
		ds.init, ds.next = true, seq
	}
	diff := int32(seq - ds.next)
	switch {
	case diff < 0:
		if int(-diff) >= len(payload) {
			return // retransmission of bytes already delivered
		}
		payload = payload[-diff:]
	case diff > 0:
		if ds.pendBytes+len(payload) <= d.cfg.MaxReorderBytes && len(ds.pending) < 64 {
			ds.pending = append(ds.pending, segment{seq: seq, data: append([]byte(nil), payload...)})
			ds.pendBytes += len(payload)
			return
		}
		// Too much missing: give up on the hole and carry on from here.
		d.gap(f, fromClient)
		ds.pending, ds.pendBytes = ds.pending[:0], 0
		ds.next = seq
	}
	ds.next += uint32(len(payload))
	d.deliver(f, ds, m, fromClient, payload)
	if d.cut > 0 {
		// The snap length cut this segment: its missing tail is a hole the
		// dissectors hear of now, not when the next segment seems early.
		ds.next += uint32(d.cut)
		if !f.done {
			d.gap(f, fromClient)
		}
	}
	// Drain buffered segments that are now in order.
	for progress := true; progress && len(ds.pending) > 0 && !f.done; {
		progress = false
		for i := 0; i < len(ds.pending); i++ {
			s := ds.pending[i]
			off := int32(ds.next - s.seq)
			if off < 0 {
				continue
			}
			ds.pending = append(ds.pending[:i], ds.pending[i+1:]...)
			ds.pendBytes -= len(s.data)
			progress = true
			if int(off) < len(s.data) {
				rest := s.data[off:]
				ds.next += uint32(len(rest))
				d.deliver(f, ds, m, fromClient, rest)
			}
			break
		}
	}
}

func (d *Decoder) gap(f *flow, fromClient bool) {
	for _, s := range f.streams {
		if !s.done {
			s.s.Gap(fromClient)
		}
	}
}

func (d *Decoder) deliver(f *flow, ds *direction, m *dissect.Meta, fromClient bool, data []byte) {
	room := d.cfg.MaxBytesPerDirection - ds.inspected
	if room <= 0 {
		d.stats.BytesSkipped += uint64(len(data))
		d.checkCutoff(f)
		return
	}
	if len(data) > room {
		d.stats.BytesSkipped += uint64(len(data) - room)
		data = data[:room]
	}
	ds.inspected += len(data)
	d.stats.BytesInspected += uint64(len(data))
	live := 0
	for i := range f.streams {
		s := &f.streams[i]
		if s.done {
			continue
		}
		s.e.ps.Calls++
		done := true
		d.safe(s.e.ps, func() error { done = s.s.Data(m, fromClient, data, s.e.e); return nil })
		s.done = done
		if !done {
			live++
		}
	}
	if live == 0 {
		f.done = true
	}
	d.checkCutoff(f)
}

func (d *Decoder) checkCutoff(f *flow) {
	if f.dir[0].inspected >= d.cfg.MaxBytesPerDirection && f.dir[1].inspected >= d.cfg.MaxBytesPerDirection {
		f.done = true
	}
}
