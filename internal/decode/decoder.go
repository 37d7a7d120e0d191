package decode

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Dissectors is the set a Decoder dispatches to, in priority order.
type Dissectors struct {
	Frame []dissect.FrameDissector
	UDP   []dissect.UDPDissector
	TCP   []dissect.TCPDissector
}

// Split sorts dissectors into the capabilities they implement.
func Split(ds ...dissect.Dissector) Dissectors {
	var s Dissectors
	for _, d := range ds {
		if f, ok := d.(dissect.FrameDissector); ok {
			s.Frame = append(s.Frame, f)
		}
		if u, ok := d.(dissect.UDPDissector); ok {
			s.UDP = append(s.UDP, u)
		}
		if t, ok := d.(dissect.TCPDissector); ok {
			s.TCP = append(s.TCP, t)
		}
	}
	return s
}

type frameEntry struct {
	d  dissect.FrameDissector
	ps *ProtoStats
	e  *countingEmitter
}

type udpEntry struct {
	d  dissect.UDPDissector
	ps *ProtoStats
	e  *countingEmitter
}

type tcpEntry struct {
	d  dissect.TCPDissector
	ps *ProtoStats
	e  *countingEmitter
}

// Decoder decodes frames and drives dissectors. Not safe for concurrent use:
// run one per capture goroutine.
type Decoder struct {
	cfg   Config
	emit  observe.Emitter
	stats Stats
	depth int // tunnels being unwrapped (see decap)
	// rebuilt holds a tunnelled frame rebuilt as plain Ethernet (PPPoE,
	// 802.11 in CAPWAP), one buffer per unwrapping depth.
	rebuilt [maxTunnelDepth + 1][]byte

	// Preallocated layers, reused for every packet.
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	payload gopacket.Payload
	decoded []gopacket.LayerType

	pEth, pSLL, pSLL2, pLoop, pIP4, pIP6 *gopacket.DecodingLayerParser

	frame []frameEntry
	udps  []udpEntry
	tcps  []tcpEntry
	own   *ProtoStats // tcp/service observations made by the decoder itself
	ownE  *countingEmitter

	flows       flowTable
	frag        defragmenter
	servers     serverSet
	meta        dissect.Meta
	obs         observe.Observation
	synBuf      []byte
	synLayout   []byte
	portBuf     []byte
	strs        observe.Interner // SYN signatures and ports recur on every connection
	endMeta     dissect.Meta     // addressing handed to streams that end
	now         time.Time
	sweepAt     time.Time
	resets      []resetFlow // flows lingering after a reset, oldest first
	joined      []byte      // a direction's kept first bytes and its next payload, for detection
	cut         int         // TCP payload bytes of this packet the snap length cut off
	fullSweepAt time.Time
}

// New builds a Decoder that sends observations to emit.
func New(cfg Config, ds Dissectors, emit observe.Emitter) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("decoder config: %w", err)
	}
	d := &Decoder{cfg: cfg, emit: emit, decoded: make([]gopacket.LayerType, 0, 8)}
	d.stats.Protocols = map[string]*ProtoStats{}
	stat := func(name string) (*ProtoStats, *countingEmitter) {
		ps, ok := d.stats.Protocols[name]
		if !ok {
			ps = &ProtoStats{}
			d.stats.Protocols[name] = ps
		}
		return ps, &countingEmitter{ps: ps, next: emit}
	}
	for _, f := range ds.Frame {
		ps, e := stat(f.Name())
		d.frame = append(d.frame, frameEntry{f, ps, e})
	}
	for _, u := range ds.UDP {
		ps, e := stat(u.Name())
		d.udps = append(d.udps, udpEntry{u, ps, e})
	}
	for _, t := range ds.TCP {
		ps, e := stat(t.Name())
		d.tcps = append(d.tcps, tcpEntry{t, ps, e})
	}
	d.own, d.ownE = stat("tcp")

	l3 := []gopacket.DecodingLayer{&d.ip4, &d.ip6, &d.tcp, &d.udp}
	mk := func(first gopacket.LayerType, extra ...gopacket.DecodingLayer) *gopacket.DecodingLayerParser {
		all := append(append([]gopacket.DecodingLayer{}, extra...), l3...)
		p := gopacket.NewDecodingLayerParser(first, all...)
		p.IgnoreUnsupported = true
		return p
	}
	d.pEth = mk(layers.LayerTypeEthernet, &d.eth, &d.dot1q)
	d.pSLL = mk(layers.LayerTypeLinuxSLL, &d.sll, &d.dot1q)
	d.pSLL2 = mk(layers.LayerTypeLinuxSLL2, &d.sll2, &d.dot1q)
	d.pLoop = mk(layers.LayerTypeLoopback, &d.loop)
	d.pIP4 = mk(layers.LayerTypeIPv4)
	d.pIP6 = mk(layers.LayerTypeIPv6)
	d.flows.init(cfg.MaxFlows)
	d.frag.init(cfg.MaxFragDatagrams, cfg.FragTimeout, &d.stats.FragsDropped)
	d.servers.init(1 << 16)
	return d, nil
}

// Stats returns the counters so far.
func (d *Decoder) Stats() *Stats { return &d.stats }

// Packet decodes one frame. data is only read during the call.
func (d *Decoder) Packet(data []byte, ci gopacket.CaptureInfo, link layers.LinkType) {
	if d.depth == 0 { // a tunnel's inner frame is not another packet read
		d.stats.Packets++
		d.stats.Bytes += uint64(len(data))
		if ci.Length > ci.CaptureLength {
			d.stats.Truncated++
		}
		d.now = ci.Timestamp
		if d.now.After(d.sweepAt) {
			d.sweep()
		}
	}
	if link == linkTypeNFLOG {
		var ok bool
		if data, ok = nflogPayload(data); !ok {
			d.stats.DecodeErrors++
			return
		}
		link = layers.LinkTypeRaw // the packet has no link header: no MACs
	}
	var p *gopacket.DecodingLayerParser
	switch link {
	case layers.LinkTypeEthernet:
		p = d.pEth
	case layers.LinkTypeLinuxSLL:
		p = d.pSLL
	case layers.LinkTypeLinuxSLL2:
		p = d.pSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		p = d.pLoop
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		if len(data) == 0 {
			d.stats.DecodeErrors++
			return
		}
		if data[0]>>4 == 6 {
			p = d.pIP6
		} else {
			p = d.pIP4
		}
	default:
		d.stats.UnknownLink++
		return
	}
	var err error
	if link != layers.LinkTypeEthernet || !d.fastIPv4(data) {
		d.decoded = d.decoded[:0]
		err = p.DecodeLayers(data, &d.decoded)
	}
	m := &d.meta
	*m = dissect.Meta{Time: ci.Timestamp}
	var l2payload []byte
	var etherType uint16
	isIP, isTCP, isUDP, is6 := false, false, false, false
	fragmented := false
	var ipProto layers.IPProtocol
	var ipPayload []byte
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeEthernet:
			m.SrcMAC, m.DstMAC = d.eth.SrcMAC, d.eth.DstMAC
			l2payload, etherType = d.eth.Payload, uint16(d.eth.EthernetType)
			if d.eth.Length > 0 { // 802.3 length frame: LLC follows (CDP)
				etherType = 0
			}
		case layers.LayerTypeLinuxSLL:
			if d.sll.AddrLen == 6 {
				m.SrcMAC = d.sll.Addr
			}
			l2payload, etherType = d.sll.Payload, uint16(d.sll.EthernetType)
		case layers.LayerTypeLinuxSLL2:
			if d.sll2.AddrLength == 6 {
				m.SrcMAC = d.sll2.Addr
			}
			l2payload, etherType = d.sll2.Payload, uint16(d.sll2.ProtocolType)
		case layers.LayerTypeDot1Q:
			if m.VLAN == 0 {
				m.VLAN = d.dot1q.VLANIdentifier
			}
			l2payload, etherType = d.dot1q.Payload, uint16(d.dot1q.Type)
		case layers.LayerTypeIPv4:
			isIP = true
			m.SrcIP = addr4(d.ip4.SrcIP)
			m.DstIP = addr4(d.ip4.DstIP)
			fragmented = d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0
			ipProto, ipPayload = d.ip4.Protocol, d.ip4.Payload
			is6 = false
		case layers.LayerTypeIPv6:
			isIP = true
			m.SrcIP = addr16(d.ip6.SrcIP)
			m.DstIP = addr16(d.ip6.DstIP)
			ipProto, ipPayload = d.ip6.NextHeader, d.ip6.Payload
			if d.ip6.HopByHop != nil { // the layer folds it in; its payload starts after it
				ipProto = d.ip6.HopByHop.NextHeader
			}
			is6 = true
		case layers.LayerTypeTCP:
			isTCP = true
		case layers.LayerTypeUDP:
			isUDP = true
		}
	}
	if fragmented {
		d.fragment(m)
		return
	}
	if is6 && !isTCP && !isUDP && d.ipv6Ext(m, uint8(ipProto), ipPayload) {
		return
	}
	if isUDP && d.decap(udpInner(&d.rebuilt[d.depth], uint16(d.udp.SrcPort), uint16(d.udp.DstPort), d.udp.Payload)) ||
		isIP && !isTCP && !isUDP && ipProto == ipProtoGRE && d.decap(greInner(ipPayload)) {
		return
	}
	switch {
	case isTCP:
		d.cut = 0
		if ci.Length > ci.CaptureLength {
			d.cut = d.tcpCut(is6)
		}
		d.handleTCP(m, &d.tcp, d.tcp.Payload)
		d.cut = 0
	case isUDP:
		d.handleUDP(m, d.udp.SrcPort, d.udp.DstPort, d.udp.Payload)
	case !isIP && etherType == etherPPPoESession:
		if f, ok := d.pppoeFrame(m, l2payload); ok {
			d.decap(f, layers.LinkTypeEthernet, true)
		}
	case !isIP && l2payload != nil:
		d.handleFrame(m, etherType, l2payload)
	case err != nil:
		d.stats.DecodeErrors++
	}
}

// fastIPv4 decodes the common frame, Ethernet II / IPv4 / TCP or UDP,
// with the same layers the parser would use but without its per-layer
// dispatch. It reports false, having decided nothing, for anything else or
// any error: the parser then decodes the frame as always.
func (d *Decoder) fastIPv4(data []byte) bool {
	nf := gopacket.NilDecodeFeedback
	if d.eth.DecodeFromBytes(data, nf) != nil || d.eth.EthernetType != layers.EthernetTypeIPv4 || d.eth.Length != 0 {
		return false
	}
	if d.ip4.DecodeFromBytes(d.eth.Payload, nf) != nil {
		return false
	}
	d.decoded = append(d.decoded[:0], layers.LayerTypeEthernet, layers.LayerTypeIPv4)
	if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
		return true // a fragment: the parser stops here too
	}
	switch d.ip4.Protocol {
	case layers.IPProtocolTCP:
		if d.tcp.DecodeFromBytes(d.ip4.Payload, nf) != nil {
			return false
		}
		d.decoded = append(d.decoded, layers.LayerTypeTCP)
	case layers.IPProtocolUDP:
		if d.udp.DecodeFromBytes(d.ip4.Payload, nf) != nil {
			return false
		}
		d.decoded = append(d.decoded, layers.LayerTypeUDP)
	default:
		return false // tunnels (6in4, GRE), ICMP...: the parser knows what follows
	}
	return true
}

func addr4(ip net.IP) netip.Addr {
	if len(ip) != 4 {
		a, _ := netip.AddrFromSlice(ip)
		return a.Unmap()
	}
	return netip.AddrFrom4([4]byte{ip[0], ip[1], ip[2], ip[3]})
}

func addr16(ip net.IP) netip.Addr {
	if len(ip) != 16 {
		a, _ := netip.AddrFromSlice(ip)
		return a
	}
	var b [16]byte
	copy(b[:], ip)
	return netip.AddrFrom16(b)
}

// fragment feeds an IPv4 fragment to the reassembler and, when a datagram
// completes, decodes its transport header from the reassembled bytes.
func (d *Decoder) fragment(m *dissect.Meta) {
	whole, ok := d.frag.add(&d.ip4, d.now)
	if !ok {
		return
	}
	d.transport(m, uint8(d.ip4.Protocol), whole)
}

func (d *Decoder) handleFrame(m *dissect.Meta, etherType uint16, payload []byte) {
	for i := range d.frame {
		fe := &d.frame[i]
		if !fe.d.MatchFrame(etherType, m.DstMAC, payload) {
			continue
		}
		fe.ps.Calls++
		d.safe(fe.ps, func() error { return fe.d.DissectFrame(m, payload, fe.e) })
		return
	}
}

func (d *Decoder) handleUDP(m *dissect.Meta, sp, dp layers.UDPPort, payload []byte) {
	m.Transport = "udp"
	m.SrcPort, m.DstPort = uint16(sp), uint16(dp)
	if d.cfg.Services && m.SrcPort < 1024 && m.DstPort >= 1024 && m.SrcIP.IsValid() && !m.SrcIP.IsMulticast() {
		// A reply from a well-known port to an ephemeral one: the sender serves it.
		if d.servers.add(netip.AddrPortFrom(m.SrcIP, m.SrcPort), 17) {
			d.emitService(m, m.SrcPort)
		}
	}
	if d.cfg.Flows && m.SrcIP.IsValid() && !m.DstIP.IsMulticast() && !isBroadcast(m.DstIP) {
		d.udpFlow(m, len(payload))
	}
	for i := range d.udps {
		ue := &d.udps[i]
		if !ue.d.MatchUDP(m.SrcPort, m.DstPort, payload) {
			continue
		}
		ue.ps.Calls++
		d.safe(ue.ps, func() error { return ue.d.DissectUDP(m, payload, ue.e) })
		return
	}
}

// safe runs a dissector call, counting errors and turning a panic into a
// counted error: one bad packet must never stop the sensor.
func (d *Decoder) safe(ps *ProtoStats, call func() error) {
	defer func() {
		if r := recover(); r != nil {
			ps.Panics++
		}
	}()
	if err := call(); err != nil {
		ps.Errors++
	}
}

func (d *Decoder) emitService(m *dissect.Meta, port uint16) {
	m.Fill(&d.obs, "service")
	d.obs.Add("service.port", d.internUint(uint64(port)))
	d.ownE.Emit(&d.obs)
}

func (d *Decoder) sweep() {
	d.sweepAt = d.now.Add(5 * time.Second)
	d.endResets()
	d.stats.FlowsExpired += uint64(d.flows.expire(d.now.Add(-d.cfg.FlowIdle), d.endFlow))
	d.frag.expire(d.now)
}

// Flush ends all flows (end of input), emitting their summaries.
func (d *Decoder) Flush() {
	d.flows.expire(time.Unix(1<<40, 0), d.endFlow)
}

// tcpCut returns how many bytes of the TCP payload the capture's snap
// length cut off, from the lengths the IP header declares.
func (d *Decoder) tcpCut(is6 bool) int {
	whole := int(d.ip4.Length) - int(d.ip4.IHL)*4
	if is6 {
		whole = int(d.ip6.Length)
		if d.ip6.HopByHop != nil {
			whole -= len(d.ip6.HopByHop.Contents)
		}
	}
	if n := whole - int(d.tcp.DataOffset)*4 - len(d.tcp.Payload); n > 0 {
		return n
	}
	return 0
}
