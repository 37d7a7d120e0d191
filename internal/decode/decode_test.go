package decode

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// recorder is a TCP dissector that records the bytes each direction delivered.
type recorder struct {
	got  [2]bytes.Buffer
	gaps int
	stop int // return done once this many bytes arrived in total (0: never)
}

func (r *recorder) Name() string                                { return "rec" }
func (r *recorder) MatchTCP(_, _ uint16, _ bool, _ []byte) bool { return true }
func (r *recorder) NewStream() dissect.Stream                   { return r }
func (r *recorder) Data(_ *dissect.Meta, c2s bool, data []byte, _ observe.Emitter) bool {
	i := 1
	if c2s {
		i = 0
	}
	r.got[i].Write(data)
	return r.stop > 0 && r.got[0].Len()+r.got[1].Len() >= r.stop
}
func (r *recorder) Gap(bool) { r.gaps++ }

var (
	macA = net.HardwareAddr{0x00, 0x09, 0xfb, 0x01, 0x02, 0x03}
	macB = net.HardwareAddr{0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c}
	ipA  = net.IP{10, 1, 2, 3}
	ipB  = net.IP{10, 1, 9, 9}
)

type pktOpt struct {
	syn, ack, fin, rst bool
	seq                uint32
	fromB              bool
	payload            []byte
}

func tcpFrame(t testing.TB, o pktOpt) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ipA, DstIP: ipB, Flags: layers.IPv4DontFragment, Id: 7}
	tcp := &layers.TCP{SrcPort: 50000, DstPort: 104, Seq: o.seq, SYN: o.syn, ACK: o.ack, FIN: o.fin, RST: o.rst, Window: 64240}
	if o.fromB {
		eth.SrcMAC, eth.DstMAC = macB, macA
		ip.SrcIP, ip.DstIP = ipB, ipA
		tcp.SrcPort, tcp.DstPort = 104, 50000
	}
	if o.syn {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(o.payload)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func newTest(t testing.TB, cfg Config, ds ...dissect.Dissector) (*Decoder, *observe.Collector) {
	t.Helper()
	c := &observe.Collector{}
	d, err := New(cfg, Split(ds...), c)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func feed(d *Decoder, frames ...[]byte) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, f := range frames {
		d.Packet(f, gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet)
	}
}

func TestTCPReassemblyOrder(t *testing.T) {
	// Client ISN 1000, server ISN 5000; segments arrive out of order, with a
	// retransmission and an overlapping segment.
	tests := []struct {
		name   string
		frames func(t *testing.T) [][]byte
		want   [2]string
	}{
		{"in order", func(t *testing.T) [][]byte {
			return [][]byte{
				tcpFrame(t, pktOpt{syn: true, seq: 1000}),
				tcpFrame(t, pktOpt{syn: true, ack: true, seq: 5000, fromB: true}),
				tcpFrame(t, pktOpt{ack: true, seq: 1001, payload: []byte("hello ")}),
				tcpFrame(t, pktOpt{ack: true, seq: 1007, payload: []byte("world")}),
				tcpFrame(t, pktOpt{ack: true, seq: 5001, fromB: true, payload: []byte("ok")}),
			}
		}, [2]string{"hello world", "ok"}},
		{"out of order and retransmitted", func(t *testing.T) [][]byte {
			return [][]byte{
				tcpFrame(t, pktOpt{syn: true, seq: 1000}),
				tcpFrame(t, pktOpt{syn: true, ack: true, seq: 5000, fromB: true}),
				tcpFrame(t, pktOpt{ack: true, seq: 1007, payload: []byte("world")}),
				tcpFrame(t, pktOpt{ack: true, seq: 1012, payload: []byte("!")}),
				tcpFrame(t, pktOpt{ack: true, seq: 1001, payload: []byte("hello ")}),
				tcpFrame(t, pktOpt{ack: true, seq: 1001, payload: []byte("hello ")}),    // retransmission
				tcpFrame(t, pktOpt{ack: true, seq: 1004, payload: []byte("lo world!")}), // overlap, nothing new
			}
		}, [2]string{"hello world!", ""}},
		{"mid-stream start", func(t *testing.T) [][]byte {
			return [][]byte{
				tcpFrame(t, pktOpt{ack: true, seq: 777, payload: []byte("abc")}),
				tcpFrame(t, pktOpt{ack: true, seq: 780, payload: []byte("def")}),
			}
		}, [2]string{"abcdef", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			d, _ := newTest(t, DefaultConfig(), r)
			feed(d, tt.frames(t)...)
			for i := range 2 {
				if got := r.got[i].String(); got != tt.want[i] {
					t.Errorf("direction %d = %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestTCPGapAndCutoff(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxReorderBytes = 8
	cfg.MaxBytesPerDirection = 10
	r := &recorder{}
	d, _ := newTest(t, cfg, r)
	feed(d,
		tcpFrame(t, pktOpt{syn: true, seq: 0}),
		tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("abc")}),
		// bytes 4..99 never arrive; this segment is too big to buffer: gap.
		tcpFrame(t, pktOpt{ack: true, seq: 100, payload: []byte("0123456789xyz")}),
		tcpFrame(t, pktOpt{ack: true, seq: 113, payload: []byte("more")}),
	)
	if r.gaps != 1 {
		t.Errorf("gaps = %d, want 1", r.gaps)
	}
	// Cutoff at 10 bytes per direction: "abc" + 7 of the next segment.
	if got := r.got[0].String(); got != "abc0123456" {
		t.Errorf("delivered %q, want %q", got, "abc0123456")
	}
	st := d.Stats()
	if st.BytesInspected != 10 || st.BytesSkipped != 10 {
		t.Errorf("inspected %d skipped %d, want 10 and 10", st.BytesInspected, st.BytesSkipped)
	}
}

func TestDoneStopsInspection(t *testing.T) {
	r := &recorder{stop: 3}
	d, _ := newTest(t, DefaultConfig(), r)
	frames := [][]byte{tcpFrame(t, pktOpt{syn: true, seq: 0})}
	seq := uint32(1)
	for range 100 {
		frames = append(frames, tcpFrame(t, pktOpt{ack: true, seq: seq, payload: bytes.Repeat([]byte{'x'}, 1000)}))
		seq += 1000
	}
	feed(d, frames...)
	if r.got[0].Len() != 1000 {
		t.Errorf("dissector saw %d bytes after saying done, want 1000", r.got[0].Len())
	}
	if d.Stats().BytesSkipped != 99*1000 {
		t.Errorf("skipped = %d, want %d", d.Stats().BytesSkipped, 99*1000)
	}
}

func TestServiceSynSignatureAndFlow(t *testing.T) {
	d, c := newTest(t, DefaultConfig())
	feed(d,
		tcpFrame(t, pktOpt{syn: true, seq: 1000}),
		tcpFrame(t, pktOpt{syn: true, ack: true, seq: 5000, fromB: true}),
		tcpFrame(t, pktOpt{ack: true, seq: 1001, payload: []byte("x")}),
		tcpFrame(t, pktOpt{ack: true, fin: true, seq: 1002}),
		tcpFrame(t, pktOpt{ack: true, fin: true, seq: 5001, fromB: true}),
	)
	var protos []string
	for _, o := range c.Obs {
		protos = append(protos, o.Protocol)
	}
	want := []string{"tcp", "tcp", "service", "flow"}
	if len(protos) != len(want) {
		t.Fatalf("observations %v, want %v", protos, want)
	}
	for i := range want {
		if protos[i] != want[i] {
			t.Fatalf("observations %v, want %v", protos, want)
		}
	}
	if sig, _ := c.Obs[0].Get("tcp.syn_signature"); sig != "4:64+0:0:1460:mss*44,0:mss:df,id+:0" {
		t.Errorf("syn signature = %q", sig)
	}
	svc := c.Obs[2]
	if p, _ := svc.Get("service.port"); p != "104" || svc.SrcIP != netip.MustParseAddr("10.1.9.9") || svc.DstIP != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("service observation = %+v", svc)
	}
	fl := c.Obs[3]
	if st, _ := fl.Get("flow.state"); st != "established" {
		t.Errorf("flow.state = %q", st)
	}
	if b, _ := fl.Get("flow.bytes_out"); b != "1" || fl.SrcPort != 50000 || fl.DstPort != 104 || fl.SrcMAC.String() != macA.String() {
		t.Errorf("flow summary = %+v", fl)
	}
}

func TestIPv4Fragments(t *testing.T) {
	// A UDP datagram split in two fragments, delivered in reverse order.
	payload := bytes.Repeat([]byte("0123456789abcdef"), 8) // 128 bytes
	udp := &layers.UDP{SrcPort: 68, DstPort: 67}
	ipFull := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ipA, DstIP: ipB, Id: 99}
	_ = udp.SetNetworkLayerForChecksum(ipFull)
	ub := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(ub, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	whole := ub.Bytes() // 8-byte UDP header + 128
	frag := func(off int, data []byte, more bool) []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ipA, DstIP: ipB, Id: 99, FragOffset: uint16(off / 8)}
		if more {
			ip.Flags = layers.IPv4MoreFragments
		}
		b := gopacket.NewSerializeBuffer()
		eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
		if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, gopacket.Payload(data)); err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), b.Bytes()...)
	}
	u := &udpRec{}
	d, _ := newTest(t, DefaultConfig(), u)
	feed(d, frag(64, whole[64:], false), frag(0, whole[:64], true))
	if !bytes.Equal(u.got, payload) {
		t.Fatalf("reassembled payload %q, want %q", u.got, payload)
	}
}

type udpRec struct{ got []byte }

func (u *udpRec) Name() string                         { return "udprec" }
func (u *udpRec) MatchUDP(_, dp uint16, _ []byte) bool { return dp == 67 }
func (u *udpRec) DissectUDP(_ *dissect.Meta, p []byte, _ observe.Emitter) error {
	u.got = append(u.got[:0], p...)
	return nil
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 0
	if _, err := New(cfg, Dissectors{}, &observe.Collector{}); err == nil {
		t.Fatal("a zero flow bound must be refused")
	}
}

// TestNoAllocSteadyState proves the hot path: packets of a flow whose
// inspection is over cost no allocation.
func TestNoAllocSteadyState(t *testing.T) {
	r := &recorder{stop: 1}
	cfg := DefaultConfig()
	cfg.Flows = false
	d, _ := newTest(t, cfg, r)
	feed(d, tcpFrame(t, pktOpt{syn: true, seq: 0}), tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("x")}))
	frame := tcpFrame(t, pktOpt{ack: true, seq: 2, payload: bytes.Repeat([]byte{'y'}, 1400)})
	ci := gopacket.CaptureInfo{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CaptureLength: len(frame), Length: len(frame)}
	allocs := testing.AllocsPerRun(1000, func() { d.Packet(frame, ci, layers.LinkTypeEthernet) })
	if allocs != 0 {
		t.Fatalf("steady-state packet allocates %.1f times, want 0", allocs)
	}
}

func BenchmarkDecodeBulkTCP(b *testing.B) {
	r := &recorder{stop: 1}
	cfg := DefaultConfig()
	cfg.Flows = false
	d, _ := newTest(b, cfg, r)
	feed(d, tcpFrame(b, pktOpt{syn: true, seq: 0}), tcpFrame(b, pktOpt{ack: true, seq: 1, payload: []byte("x")}))
	frame := tcpFrame(b, pktOpt{ack: true, seq: 2, payload: bytes.Repeat([]byte{'y'}, 1400)})
	ci := gopacket.CaptureInfo{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CaptureLength: len(frame), Length: len(frame)}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		d.Packet(frame, ci, layers.LinkTypeEthernet)
	}
}

// TestFlowTableBound: a flood of new flows beyond MaxFlows is counted as
// evicted, never grows the table, and still yields SYN observations.
func TestFlowTableBound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 8
	d, c := newTest(t, cfg)
	var frames [][]byte
	for i := range 50 {
		f := tcpFrame(t, pktOpt{syn: true, seq: uint32(i)})
		f[34+1] = byte(i) // vary the source port: a new flow each time
		frames = append(frames, f)
	}
	feed(d, frames...)
	if d.flows.len() > 8 {
		t.Fatalf("flow table grew to %d, bound 8", d.flows.len())
	}
	if d.Stats().FlowsEvicted != 42 {
		t.Errorf("evicted = %d, want 42", d.Stats().FlowsEvicted)
	}
	syns := 0
	for _, o := range c.Obs {
		if o.Protocol == "tcp" {
			syns++
		}
	}
	if syns != 50 {
		t.Errorf("syn observations = %d, want 50", syns)
	}
}

// lateMatch recognises only payloads starting with "HELLO", as a TLS
// dissector recognises a ClientHello after a STARTTLS exchange.
type lateMatch struct{ recorder }

func (l *lateMatch) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	return bytes.HasPrefix(p, []byte("HELLO"))
}
func (l *lateMatch) NewStream() dissect.Stream { return &l.recorder }

func TestLateDetectionStartTLS(t *testing.T) {
	l := &lateMatch{}
	d, _ := newTest(t, DefaultConfig(), l)
	feed(d,
		tcpFrame(t, pktOpt{syn: true, seq: 100}),
		tcpFrame(t, pktOpt{syn: true, ack: true, seq: 900, fromB: true}),
		tcpFrame(t, pktOpt{ack: true, seq: 101, payload: []byte("STARTTLS\r\n")}),
		tcpFrame(t, pktOpt{ack: true, seq: 901, fromB: true, payload: []byte("220 go ahead\r\n")}),
		tcpFrame(t, pktOpt{ack: true, seq: 111, payload: []byte("HELLO client")}),
		tcpFrame(t, pktOpt{ack: true, seq: 915, fromB: true, payload: []byte("server hello")}),
	)
	if got := l.got[0].String(); got != "HELLO client" {
		t.Errorf("client direction = %q, want the hello after STARTTLS", got)
	}
	if got := l.got[1].String(); got != "server hello" {
		t.Errorf("server direction = %q", got)
	}
}

// ender records the End calls a stream gets.
type ender struct {
	recorder
	ends   int
	endAt  dissect.Meta
	endMAC string // the Meta's slices are only valid during the call
}

func (e *ender) NewStream() dissect.Stream { return e }
func (e *ender) End(m *dissect.Meta, _ observe.Emitter) {
	e.ends++
	e.endAt, e.endMAC = *m, m.SrcMAC.String()
}

// TestStreamEnd: a counting stream hears the end of its conversation once
// (close, or end of input even past the byte cutoff), oriented client to
// server, and never after it said done.
func TestStreamEnd(t *testing.T) {
	open := func(t *testing.T) [][]byte {
		return [][]byte{
			tcpFrame(t, pktOpt{syn: true, seq: 0}),
			tcpFrame(t, pktOpt{syn: true, ack: true, seq: 500, fromB: true}),
			tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("0123456789")}),
		}
	}
	tests := []struct {
		name     string
		stop     int
		cutoff   int
		tail     []pktOpt
		flush    bool
		wantEnds int
	}{
		{"fin both ways", 0, 0, []pktOpt{{fin: true, ack: true, seq: 11}, {fin: true, ack: true, seq: 501, fromB: true}}, false, 1},
		{"reset", 0, 0, []pktOpt{{rst: true, seq: 11}, {rst: true, seq: 501, fromB: true}}, false, 1},
		{"end of input past the cutoff", 0, 4, nil, true, 1},
		{"still open, no flush", 0, 0, nil, false, 0},
		{"said done", 5, 0, []pktOpt{{fin: true, ack: true, seq: 11}, {fin: true, ack: true, seq: 501, fromB: true}}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &ender{recorder: recorder{stop: tt.stop}}
			cfg := DefaultConfig()
			if tt.cutoff > 0 {
				cfg.MaxBytesPerDirection = tt.cutoff
			}
			d, _ := newTest(t, cfg, e)
			frames := open(t)
			for _, o := range tt.tail {
				frames = append(frames, tcpFrame(t, o))
			}
			feed(d, frames...)
			if tt.flush {
				d.Flush()
			}
			if e.ends != tt.wantEnds {
				t.Fatalf("End called %d times, want %d", e.ends, tt.wantEnds)
			}
			if e.ends > 0 && (e.endAt.SrcPort != 50000 || e.endAt.DstPort != 104 || e.endMAC != macA.String()) {
				t.Errorf("End meta %+v, want client 50000 -> server 104 from %s", e.endAt, macA)
			}
		})
	}
}

// TestFlowTableResize: the one-time resize of a busy table keeps every
// flow findable, and removals and the last-found shortcut stay consistent.
func TestFlowTableResize(t *testing.T) {
	var ft flowTable
	ft.init(10000)
	key := func(i int) flowKey {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 40000)
		b := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, 1}), 104)
		return makeKey(a, b, 6)
	}
	for i := 0; i < 6000; i++ {
		if ft.add(key(i)) == nil {
			t.Fatalf("add %d refused", i)
		}
	}
	if !ft.sized {
		t.Fatal("a table past 4096 flows was not resized")
	}
	for i := 0; i < 6000; i++ {
		f := ft.get(key(i))
		if f == nil || f.key != key(i) {
			t.Fatalf("flow %d lost in the resize", i)
		}
	}
	f := ft.get(key(17))
	ft.remove(f, func(*flow) {})
	if ft.get(key(17)) != nil {
		t.Fatal("a removed flow is still found (last-found shortcut not cleared)")
	}
	if ft.len() != 5999 {
		t.Fatalf("%d flows, want 5999", ft.len())
	}
}

// TestFlowTableCollisions: flows whose hashes collide (forced here by
// keeping two hash values) are all found, removed and refound correctly.
func TestFlowTableCollisions(t *testing.T) {
	var ft flowTable
	ft.init(1000)
	ft.mask = 1 // every key hashes to 0 or 1
	key := func(i int) flowKey {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(40000+i))
		b := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, 1}), 104)
		return makeKey(a, b, 6)
	}
	flows := map[int]*flow{}
	for i := range 100 {
		if ft.get(key(i)) != nil {
			t.Fatalf("flow %d found before it was added", i)
		}
		flows[i] = ft.add(key(i))
	}
	if len(ft.m) > 2 || len(ft.spill) < 98 || ft.len() != 100 {
		t.Fatalf("%d hashed, %d spilled, len %d", len(ft.m), len(ft.spill), ft.len())
	}
	check := func() {
		t.Helper()
		for i, f := range flows {
			if got := ft.get(key(i)); got != f {
				t.Fatalf("flow %d: got %p, want %p", i, got, f)
			}
		}
	}
	check()
	// Remove the flows holding the hashes, and every third other one.
	for i := range 100 {
		f := flows[i]
		if ft.m[ft.hash(f.key.packed())] == f || i%3 == 0 {
			ft.remove(f, func(*flow) {})
			delete(flows, i)
			if ft.get(key(i)) != nil {
				t.Fatalf("removed flow %d still found", i)
			}
		}
	}
	check()
	if ft.len() != len(flows) {
		t.Fatalf("len %d, want %d", ft.len(), len(flows))
	}
	// A new flow takes a freed hash; the spilled ones stay reachable.
	for i := 100; i < 110; i++ {
		flows[i] = ft.add(key(i))
	}
	check()
}

// TestFastIPv4MatchesParser: where the Ethernet/IPv4 fast path decides a
// frame, it finds the layers and fields the general parser finds; frames it
// declines (VLAN, tunnels, ICMP, cut headers, IPv6) go to the parser.
func TestFastIPv4MatchesParser(t *testing.T) {
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}
	}
	ip := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: ipA, DstIP: ipB}
	}
	udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
	frag := ip(layers.IPProtocolUDP)
	frag.Flags = layers.IPv4MoreFragments
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
	_ = udp.SetNetworkLayerForChecksum(ip6)
	tunnel := ser(eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolIPv6), ip6, udp, gopacket.Payload("x"))
	_ = udp.SetNetworkLayerForChecksum(ip(layers.IPProtocolUDP))
	tests := []struct {
		name string
		data []byte
		fast bool
	}{
		{"tcp syn", tcpFrame(t, pktOpt{syn: true, seq: 9}), true},
		{"tcp data", tcpFrame(t, pktOpt{ack: true, seq: 9, payload: []byte("hello")}), true},
		{"udp", ser(eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolUDP), udp, gopacket.Payload("q")), true},
		{"fragment", ser(eth(layers.EthernetTypeIPv4), frag, gopacket.Payload("12345678")), true},
		{"icmp", ser(eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolICMPv4), gopacket.Payload("ping")), false},
		{"6in4", tunnel, false},
		{"vlan", ser(eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, ip(layers.IPProtocolUDP), udp, gopacket.Payload("q")), false},
		{"ipv6", ser(eth(layers.EthernetTypeIPv6), ip6, udp, gopacket.Payload("q")), false},
		{"cut ip header", tcpFrame(t, pktOpt{syn: true})[:20], false},
		{"cut tcp header", tcpFrame(t, pktOpt{syn: true})[:40], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast, _ := newTest(t, DefaultConfig())
			ok := fast.fastIPv4(tt.data)
			if ok != tt.fast {
				t.Fatalf("fast path took it: %v, want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			slow, _ := newTest(t, DefaultConfig())
			_ = slow.pEth.DecodeLayers(tt.data, &slow.decoded)
			if !slices.Equal(fast.decoded, slow.decoded) {
				t.Fatalf("layers %v, parser %v", fast.decoded, slow.decoded)
			}
			if !bytes.Equal(fast.ip4.SrcIP, slow.ip4.SrcIP) || fast.ip4.TTL != slow.ip4.TTL || fast.tcp.SrcPort != slow.tcp.SrcPort ||
				fast.tcp.Seq != slow.tcp.Seq || len(fast.tcp.Options) != len(slow.tcp.Options) || !bytes.Equal(fast.tcp.Payload, slow.tcp.Payload) ||
				fast.udp.DstPort != slow.udp.DstPort || !bytes.Equal(fast.udp.Payload, slow.udp.Payload) {
				t.Fatalf("fields differ from the parser's")
			}
		})
	}
}
