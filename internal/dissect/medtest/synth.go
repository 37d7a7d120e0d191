package medtest

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/capture"
)

// Synth builds the Ethernet/IPv4/TCP frames of synthetic conversations, 10 ms
// apart, for the test captures of protocols no real capture exists for
// here (ASTM, POCT1-A).
type Synth struct {
	t       testing.TB
	ts      time.Time
	Packets []capture.Packet
}

// NewSynth starts a capture whose first packet comes 10 ms after start.
func NewSynth(t testing.TB, start time.Time) *Synth { return &Synth{t: t, ts: start} }

// Conn is one TCP conversation: its ends and each side's next sequence
// number (set the initial ones).
type Conn struct {
	ClientMAC, ServerMAC   net.HardwareAddr
	Client, Server         [4]byte
	ClientPort, ServerPort uint16
	ClientSeq, ServerSeq   uint32
}

// Open sends the three-way handshake.
func (s *Synth) Open(c *Conn) {
	s.segment(c, true, "S", nil)
	s.segment(c, false, "SA", nil)
	s.segment(c, true, "A", nil)
}

// Close sends FIN both ways and the last ACK.
func (s *Synth) Close(c *Conn) {
	s.segment(c, true, "FA", nil)
	s.segment(c, false, "FA", nil)
	s.segment(c, true, "A", nil)
}

// Send sends payload in one PSH/ACK segment from the client or the server.
func (s *Synth) Send(c *Conn, fromClient bool, payload []byte) {
	s.segment(c, fromClient, "PA", payload)
}

// segment sends one segment with the flags named (S, A, F, P).
func (s *Synth) segment(c *Conn, fromClient bool, flags string, payload []byte) {
	eth := &layers.Ethernet{SrcMAC: c.ClientMAC, DstMAC: c.ServerMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c.Client[:], DstIP: c.Server[:]}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(c.ClientPort), DstPort: layers.TCPPort(c.ServerPort), Seq: c.ClientSeq, Ack: c.ServerSeq, Window: 8192}
	if !fromClient {
		eth.SrcMAC, eth.DstMAC = eth.DstMAC, eth.SrcMAC
		ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
		tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = tcp.DstPort, tcp.SrcPort, c.ServerSeq, c.ClientSeq
	}
	for _, fl := range flags {
		switch fl {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'F':
			tcp.FIN = true
		case 'P':
			tcp.PSH = true
		}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		s.t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		s.t.Fatal(err)
	}
	n := uint32(len(payload))
	if tcp.SYN || tcp.FIN {
		n++
	}
	if fromClient {
		c.ClientSeq += n
	} else {
		c.ServerSeq += n
	}
	s.ts = s.ts.Add(10 * time.Millisecond)
	data := append([]byte(nil), buf.Bytes()...)
	s.Packets = append(s.Packets, capture.Packet{Data: data, LinkType: layers.LinkTypeEthernet,
		Info: gopacket.CaptureInfo{Timestamp: s.ts, CaptureLength: len(data), Length: len(data)}})
}

// WritePcap writes packets to path as a classic Ethernet capture.
func WritePcap(t testing.TB, path string, pkts []capture.Packet) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(p.Info, p.Data); err != nil {
			t.Fatal(err)
		}
	}
}
