package decode

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	ip6A = net.ParseIP("fd00::a")
	ip6B = net.ParseIP("fd00::b")
)

// udp6Datagram is a UDP header and payload from port 68 to 67 (what
// udpRec records), checksummed over the IPv6 pseudo-header.
func udp6Datagram(t testing.TB, payload []byte) []byte {
	t.Helper()
	udp := &layers.UDP{SrcPort: 68, DstPort: 67}
	_ = udp.SetNetworkLayerForChecksum(&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, SrcIP: ip6A, DstIP: ip6B})
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), b.Bytes()...)
}

// ip6Frame is an Ethernet frame with an IPv6 header whose next header is
// next, followed by rest as it is (extension headers built by hand).
func ip6Frame(t testing.TB, next uint8, rest []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocol(next), SrcIP: ip6A, DstIP: ip6B}
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true}, eth, ip, gopacket.Payload(rest)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), b.Bytes()...)
}

// fragHdr is an IPv6 fragment header (RFC 8200 4.5).
func fragHdr(next uint8, off int, more bool, id uint32) []byte {
	h := make([]byte, 8)
	h[0] = next
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(h[2:], fo)
	binary.BigEndian.PutUint32(h[4:], id)
	return h
}

// destOpts is a destination options header of 8 bytes (a PadN option).
func destOpts(next uint8) []byte {
	return []byte{next, 0, 1, 4, 0, 0, 0, 0}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestIPv6Fragments(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 8)
	whole := udp6Datagram(t, payload) // 8 + 128 bytes
	const udp = uint8(layers.IPProtocolUDP)
	tests := []struct {
		name   string
		frames [][]byte
		want   []byte // nil: nothing delivered
	}{
		{"in order", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, true, 7), whole[:64])),
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 64, false, 7), whole[64:])),
		}, payload},
		{"reverse order", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 64, false, 7), whole[64:])),
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, true, 7), whole[:64])),
		}, payload},
		{"after destination options", [][]byte{
			ip6Frame(t, ip6DestOpts, cat(destOpts(ip6Fragment), fragHdr(udp, 0, true, 8), whole[:64])),
			ip6Frame(t, ip6DestOpts, cat(destOpts(ip6Fragment), fragHdr(udp, 64, false, 8), whole[64:])),
		}, payload},
		{"options inside the fragmentable part", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(ip6DestOpts, 0, true, 9), destOpts(udp), whole[:56])),
			ip6Frame(t, ip6Fragment, cat(fragHdr(ip6DestOpts, 64, false, 9), whole[56:])),
		}, payload},
		{"atomic fragment", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, false, 10), whole)),
		}, payload},
		{"unfragmented behind options", [][]byte{
			ip6Frame(t, ip6DestOpts, cat(destOpts(ip6Routing), []byte{udp, 0, 0, 0, 0, 0, 0, 0}, whole)),
		}, payload},
		{"a hole", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, true, 11), whole[:56])),
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 64, false, 11), whole[64:])),
		}, nil},
		{"different ids", [][]byte{
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, true, 12), whole[:64])),
			ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 64, false, 13), whole[64:])),
		}, nil},
		{"truncated fragment header", [][]byte{ip6Frame(t, ip6Fragment, []byte{udp, 0, 0})}, nil},
		{"truncated options", [][]byte{ip6Frame(t, ip6DestOpts, []byte{udp, 3, 1, 4, 0, 0, 0, 0})}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &udpRec{}
			d, _ := newTest(t, DefaultConfig(), u)
			feed(d, tt.frames...)
			if !bytes.Equal(u.got, tt.want) {
				t.Fatalf("delivered %q, want %q", u.got, tt.want)
			}
		})
	}
}

// A TCP SYN behind a destination options header still opens a flow and
// gives its signature and service.
func TestIPv6TCPBehindOptions(t *testing.T) {
	tcp := &layers.TCP{SrcPort: 50000, DstPort: 443, SYN: true, ACK: true, Window: 64240, Seq: 1}
	_ = tcp.SetNetworkLayerForChecksum(&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP, SrcIP: ip6A, DstIP: ip6B})
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, tcp); err != nil {
		t.Fatal(err)
	}
	d, c := newTest(t, DefaultConfig())
	feed(d, ip6Frame(t, ip6DestOpts, cat(destOpts(uint8(layers.IPProtocolTCP)), b.Bytes())))
	var protos []string
	for _, o := range c.Obs {
		protos = append(protos, o.Protocol)
	}
	if len(protos) != 2 || protos[0] != "tcp" || protos[1] != "service" {
		t.Fatalf("observations %v, want [tcp service]", protos)
	}
	if p, _ := c.Obs[1].Get("service.port"); p != "50000" {
		t.Errorf("service.port = %q", p)
	}
}

func TestFragmentsDropped(t *testing.T) {
	whole := udp6Datagram(t, bytes.Repeat([]byte("x"), 128))
	const udp = uint8(layers.IPProtocolUDP)
	cfg := DefaultConfig()
	cfg.MaxFragDatagrams = 2
	d, _ := newTest(t, cfg, &udpRec{})
	// Three first halves: the third finds the table full.
	for id := uint32(1); id <= 3; id++ {
		feed(d, ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 0, true, id), whole[:64])))
	}
	if got := d.Stats().FragsDropped; got != 1 {
		t.Fatalf("after a full table: %d dropped, want 1", got)
	}
	// Past the timeout the two waiting halves are thrown away.
	d.frag.expire(time.Now().Add(time.Hour))
	if got := d.Stats().FragsDropped; got != 3 {
		t.Fatalf("after expiry: %d dropped, want 3", got)
	}
	// A fragment reaching past 64 KiB ends its datagram.
	feed(d, ip6Frame(t, ip6Fragment, cat(fragHdr(udp, 65528, true, 4), whole[:64])))
	if got := d.Stats().FragsDropped; got != 4 {
		t.Fatalf("after an oversized fragment: %d dropped, want 4", got)
	}
}

// TestResetLinger: after one end resets, what the other end had already
// sent still reaches the dissector for rstLinger, then the flow ends; a
// new SYN on the same ports starts a new conversation at once.
func TestResetLinger(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d *Decoder, ms int, frame []byte) {
		d.Packet(frame, gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(ms) * time.Millisecond), CaptureLength: len(frame), Length: len(frame)}, layers.LinkTypeEthernet)
	}
	open := func(t *testing.T, d *Decoder) {
		at(d, 0, tcpFrame(t, pktOpt{syn: true, seq: 0}))
		at(d, 1, tcpFrame(t, pktOpt{syn: true, ack: true, seq: 500, fromB: true}))
		at(d, 2, tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("hello")}))
		at(d, 3, tcpFrame(t, pktOpt{rst: true, seq: 6}))
	}
	other := func(t *testing.T) []byte { // a packet of an unrelated conversation
		f := tcpFrame(t, pktOpt{syn: true, seq: 0})
		f[len(f)-20+1]++ // another source port
		return f
	}
	t.Run("in-flight data read, then ended", func(t *testing.T) {
		e := &ender{}
		d, _ := newTest(t, DefaultConfig(), e)
		open(t, d)
		at(d, 4, tcpFrame(t, pktOpt{ack: true, seq: 501, fromB: true, payload: []byte("certificate")}))
		if got := e.got[1].String(); got != "certificate" {
			t.Fatalf("server data after the reset: %q", got)
		}
		if e.ends != 0 {
			t.Fatalf("ended %d times while lingering", e.ends)
		}
		at(d, 10000, other(t)) // the next sweep, past the linger
		if e.ends != 1 {
			t.Fatalf("ended %d times after the linger, want 1", e.ends)
		}
	})
	t.Run("reset by both ends ends at once", func(t *testing.T) {
		e := &ender{}
		d, _ := newTest(t, DefaultConfig(), e)
		open(t, d)
		at(d, 4, tcpFrame(t, pktOpt{rst: true, seq: 501, fromB: true}))
		if e.ends != 1 {
			t.Fatalf("ended %d times, want 1", e.ends)
		}
	})
	t.Run("a new SYN starts over", func(t *testing.T) {
		e := &ender{}
		d, _ := newTest(t, DefaultConfig(), e)
		open(t, d)
		at(d, 5, tcpFrame(t, pktOpt{syn: true, seq: 9000}))
		if e.ends != 1 {
			t.Fatalf("the reset conversation ended %d times, want 1", e.ends)
		}
	})
	t.Run("done streams end at the reset", func(t *testing.T) {
		// Nothing waits for more, so nothing lingers: the flow's summary
		// comes at once, as before.
		d, c := newTest(t, DefaultConfig(), &recorder{stop: 1})
		open(t, d)
		if n := len(c.Obs); n == 0 || c.Obs[n-1].Protocol != "flow" {
			t.Fatalf("no flow summary at the reset: %d observations", n)
		}
	})
}

// TestTinyFirstSegment: a direction whose first segment is shorter than
// any signature (a TLS record header sent on its own, one byte) is
// recognised with the segment after it, and the dissector reads both.
func TestTinyFirstSegment(t *testing.T) {
	tests := []struct {
		name       string
		first, rst string
		want       string // what the dissector reads; "" = not recognised
	}{
		{"one byte", "H", "ELLO world", "HELLO world"},
		{"header alone", "HELL", "O world", "HELLO world"},
		{"recognised alone", "HELLO", " world", "HELLO world"},
		{"cleartext first (STARTTLS)", "EHLO x\r\n", "HELLO tls", "HELLO tls"},
		{"first piece too long to keep", "0123456789abcdefXYZ", "HELLO", "HELLO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lateMatch{}
			d, _ := newTest(t, DefaultConfig(), l)
			n := uint32(len(tt.first))
			feed(d,
				tcpFrame(t, pktOpt{syn: true, seq: 0}),
				tcpFrame(t, pktOpt{syn: true, ack: true, seq: 500, fromB: true}),
				tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte(tt.first)}),
				tcpFrame(t, pktOpt{ack: true, seq: 1 + n, payload: []byte(tt.rst)}),
			)
			if got := l.got[0].String(); got != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOutOfOrderStart: a message whose second segment arrives before its
// first is still recognised and read whole once the first comes.
func TestOutOfOrderStart(t *testing.T) {
	l := &lateMatch{}
	d, _ := newTest(t, DefaultConfig(), l)
	feed(d,
		tcpFrame(t, pktOpt{syn: true, seq: 0}),
		tcpFrame(t, pktOpt{syn: true, ack: true, seq: 500, fromB: true}),
		tcpFrame(t, pktOpt{ack: true, seq: 6, payload: []byte(" world")}),
		tcpFrame(t, pktOpt{ack: true, seq: 1, payload: []byte("HELLO")}),
		tcpFrame(t, pktOpt{ack: true, seq: 12, payload: []byte("!")}),
	)
	if got := l.got[0].String(); got != "HELLO world!" {
		t.Errorf("read %q, want %q", got, "HELLO world!")
	}
	// A hole that never fills: the later segments are tried one by one,
	// as before, and nothing is held once detection gives up.
	l2 := &lateMatch{}
	d2, _ := newTest(t, DefaultConfig(), l2)
	frames := [][]byte{tcpFrame(t, pktOpt{syn: true, seq: 0})}
	for i := range 8 {
		frames = append(frames, tcpFrame(t, pktOpt{ack: true, seq: uint32(100 + 10*i), payload: []byte("0123456789")}))
	}
	frames = append(frames, tcpFrame(t, pktOpt{ack: true, seq: 180, payload: []byte("HELLO")}))
	feed(d2, frames...)
	if got := l2.got[0].String(); got != "" {
		t.Errorf("read %q after detection gave up", got)
	}
	for _, f := range d2.flows.m {
		if n := len(f.dir[0].pending); n > maxDetectTries {
			t.Errorf("%d segments held for a hole that never filled", n)
		}
	}
}

// TestSnapLengthCut: a segment the capture's snap length cut reaches the
// dissector as far as it was kept, the hole is announced at once (not
// when the next segment seems early), and the flow counts what was sent.
func TestSnapLengthCut(t *testing.T) {
	r := &recorder{}
	d, c := newTest(t, DefaultConfig(), r)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	send := func(ms int, frame []byte, keep int) {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(ms) * time.Millisecond), CaptureLength: min(keep, len(frame)), Length: len(frame)}
		d.Packet(frame[:ci.CaptureLength], ci, layers.LinkTypeEthernet)
	}
	body := bytes.Repeat([]byte("x"), 200)
	send(0, tcpFrame(t, pktOpt{syn: true, seq: 0}), 1500)
	send(1, tcpFrame(t, pktOpt{syn: true, ack: true, seq: 500, fromB: true}), 1500)
	send(2, tcpFrame(t, pktOpt{ack: true, seq: 1, payload: append([]byte("GET /"), body...)}), 14+20+20+5) // 5 payload bytes kept
	if got := r.got[0].String(); got != "GET /" || r.gaps != 1 {
		t.Fatalf("read %q with %d gaps, want %q and 1", got, r.gaps, "GET /")
	}
	send(3, tcpFrame(t, pktOpt{ack: true, seq: 206, payload: []byte("next")}), 1500)
	if got := r.got[0].String(); got != "GET /next" || r.gaps != 1 {
		t.Fatalf("read %q with %d gaps: the segment after the cut one is in order", got, r.gaps)
	}
	if d.Stats().Truncated != 1 {
		t.Errorf("truncated = %d, want 1", d.Stats().Truncated)
	}
	d.Flush()
	fl := c.Obs[len(c.Obs)-1]
	if b, _ := fl.Get("flow.bytes_out"); fl.Protocol != "flow" || b != "209" {
		t.Errorf("flow summary %v: bytes_out %q, want 209 (sent, not kept)", fl.Protocol, b)
	}
}
