package decode

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
)

// newFlow creates a flow, making room by expiring idle ones; nil when the
// table is full of live flows (counted, the packet is still counted).
func (d *Decoder) newFlow(key flowKey, m *dissect.Meta) *flow {
	if d.flows.len() >= d.flows.max && d.now.After(d.fullSweepAt) {
		// A full table is swept at most once a second: a flood of new flows
		// must not turn every packet into a walk over the table.
		d.fullSweepAt = d.now.Add(time.Second)
		d.stats.FlowsExpired += uint64(d.flows.expire(d.now.Add(-d.cfg.FlowIdle), d.endFlow))
	}
	f := d.flows.add(key)
	if f == nil {
		d.stats.FlowsEvicted++
		return nil
	}
	d.stats.FlowsCreated++
	f.start = d.now
	if len(m.SrcMAC) == 6 && len(m.DstMAC) == 6 {
		f.hasMAC = true
		copy(f.macs[0][:], m.SrcMAC) // fixed up below if the sender is the server
		copy(f.macs[1][:], m.DstMAC)
	}
	return f
}

// count adds a packet to the flow's per-direction counters.
func (f *flow) count(di int, m *dissect.Meta, n int) {
	f.pkts[di]++
	f.bytes[di] += uint64(n)
	if f.pkts[0]+f.pkts[1] == 1 && di == 1 && f.hasMAC {
		f.macs[0], f.macs[1] = f.macs[1], f.macs[0]
	}
}

// udpFlow tracks a UDP conversation: the first sender is the client.
func (d *Decoder) udpFlow(m *dissect.Meta, n int) {
	src := netip.AddrPortFrom(m.SrcIP, m.SrcPort)
	dst := netip.AddrPortFrom(m.DstIP, m.DstPort)
	key := makeKey(src, dst, 17)
	f := d.flows.get(key)
	if f == nil {
		if f = d.newFlow(key, m); f == nil {
			return
		}
		f.client, f.clientSure = src, true
		f.done = true // UDP datagrams are dissected one by one, not as streams
	}
	f.lastSeen = d.now
	d.flows.touch(f)
	di := 1
	if src == f.client {
		di = 0
	}
	f.count(di, m, n)
}

func isBroadcast(a netip.Addr) bool {
	return a.Is4() && a.As4()[3] == 255 && (a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || a.IsPrivate())
}

// endFlow emits the conversation summary: who talked to whom, on which
// port, how much, and what it was. Baselines and exposure use it; it
// carries no payload.
func (d *Decoder) endFlow(f *flow) {
	d.endStreams(f)
	if !d.cfg.Flows {
		return
	}
	d.flowMeta(f, f.start).Fill(&d.obs, "flow")
	// Packet counts and durations repeat from flow to flow: interned.
	d.obs.Add("flow.packets_out", d.internUint(f.pkts[0]))
	d.obs.Add("flow.bytes_out", strconv.FormatUint(f.bytes[0], 10))
	d.obs.Add("flow.packets_in", d.internUint(f.pkts[1]))
	d.obs.Add("flow.bytes_in", strconv.FormatUint(f.bytes[1], 10))
	d.obs.Add("flow.duration", d.internSeconds(f.lastSeen.Sub(f.start)))
	d.obs.Add("flow.app", f.app)
	if f.key.proto == 6 {
		switch {
		case f.synSeen && f.synAck:
			d.obs.Add("flow.state", "established")
		case f.synSeen && f.pkts[1] == 0:
			d.obs.Add("flow.state", "unanswered")
		case f.synSeen:
			d.obs.Add("flow.state", "rejected")
		default:
			d.obs.Add("flow.state", "midstream")
		}
	}
	d.ownE.Emit(&d.obs)
}

// endStreams lets the flow's live streams that count things (dissect.Ender)
// emit their totals before the flow is forgotten.
func (d *Decoder) endStreams(f *flow) {
	if len(f.streams) == 0 {
		return
	}
	m := d.flowMeta(f, f.lastSeen)
	for i := range f.streams {
		s := &f.streams[i]
		if s.done {
			continue
		}
		s.done = true
		if en, ok := s.s.(dissect.Ender); ok {
			d.safe(s.e.ps, func() error { en.End(m, s.e.e); return nil })
		}
	}
}

// smallNums holds the decimal strings of small counts and ports, built
// once: a table read is cheaper than both an allocation and a map lookup.
var smallNums = sync.OnceValue(func() []string {
	t := make([]string, 1<<16)
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
})

func (d *Decoder) internUint(v uint64) string {
	if t := smallNums(); v < uint64(len(t)) {
		return t[v]
	}
	return strconv.FormatUint(v, 10)
}

func (d *Decoder) internSeconds(t time.Duration) string {
	d.portBuf = strconv.AppendFloat(d.portBuf[:0], t.Seconds(), 'f', 3, 64)
	return d.strs.String(d.portBuf)
}

// flowMeta describes f client to server at time at, in a decoder field
// (a local would escape through the streams' End).
func (d *Decoder) flowMeta(f *flow, at time.Time) *dissect.Meta {
	server := f.key.lo
	if server == f.client {
		server = f.key.hi
	}
	m := &d.endMeta
	*m = dissect.Meta{
		Time:    at,
		SrcIP:   f.client.Addr(),
		DstIP:   server.Addr(),
		SrcPort: f.client.Port(),
		DstPort: server.Port(),
	}
	if f.key.proto == 6 {
		m.Transport = "tcp"
	} else {
		m.Transport = "udp"
	}
	if f.hasMAC {
		m.SrcMAC = net.HardwareAddr(f.macs[0][:])
		m.DstMAC = net.HardwareAddr(f.macs[1][:])
	}
	return m
}
