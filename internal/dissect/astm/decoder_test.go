package astm_test

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/astm"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/dissectors"
	"github.com/wardiomt/ward/internal/observe"
)

var writePcap = flag.Bool("write-pcap", false, "rewrite testdata/astm_e1381_synthetic.pcap")

const pcapPath = "testdata/astm_e1381_synthetic.pcap"

// TestWriteSyntheticPcap rewrites the synthetic capture with -write-pcap:
// an instrument (10.2.0.31) uploads a framed message to the LIS
// (10.2.0.5:5000) the way LIS1-A's establishment phase goes (ENQ, ACK,
// one frame per segment, each acknowledged, EOT), the LIS answers with
// its own message, then a raw-record connection on another port. The
// medtest leak test reads it too.
func TestWriteSyntheticPcap(t *testing.T) {
	if !*writePcap {
		t.Skip("run with -write-pcap to rewrite the capture")
	}
	f, err := os.Create(pcapPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range syntheticPackets(t) {
		if err := w.WritePacket(p.Info, p.Data); err != nil {
			t.Fatal(err)
		}
	}
}

type conn struct {
	cli, srv     [4]byte
	cport, sport uint16
	cseq, sseq   uint32
}

func syntheticPackets(t *testing.T) []capture.Packet {
	t.Helper()
	ts := time.Unix(1700000000, 0)
	var out []capture.Packet
	send := func(c *conn, fromClient bool, flags string, payload []byte) {
		eth := &layers.Ethernet{SrcMAC: []byte{0, 0x1e, 0xc0, 1, 2, 3}, DstMAC: []byte{2, 0, 0, 0, 0, 5}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c.cli[:], DstIP: c.srv[:]}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(c.cport), DstPort: layers.TCPPort(c.sport), Seq: c.cseq, Ack: c.sseq, Window: 8192}
		if !fromClient {
			eth.SrcMAC, eth.DstMAC = eth.DstMAC, eth.SrcMAC
			ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
			tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = tcp.DstPort, tcp.SrcPort, c.sseq, c.cseq
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
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		n := uint32(len(payload))
		if tcp.SYN || tcp.FIN {
			n++
		}
		if fromClient {
			c.cseq += n
		} else {
			c.sseq += n
		}
		ts = ts.Add(10 * time.Millisecond)
		data := append([]byte(nil), buf.Bytes()...)
		out = append(out, capture.Packet{Data: data, LinkType: layers.LinkTypeEthernet, Info: gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}})
	}
	open := func(c *conn) {
		send(c, true, "S", nil)
		send(c, false, "SA", nil)
		send(c, true, "A", nil)
	}
	closeC := func(c *conn) {
		send(c, true, "FA", nil)
		send(c, false, "FA", nil)
		send(c, true, "A", nil)
	}
	ack := []byte{0x06}
	// E1381: each frame its own segment, acknowledged.
	c := &conn{cli: [4]byte{10, 2, 0, 31}, srv: [4]byte{10, 2, 0, 5}, cport: 49152, sport: 5000, cseq: 1000, sseq: 5000}
	open(c)
	upload := func(fromClient bool, msg []byte) {
		// msg is ENQ, frames, EOT: cut it at each frame end (LF).
		send(c, fromClient, "PA", msg[:1])
		send(c, !fromClient, "PA", ack)
		rest := msg[1:]
		for len(rest) > 1 {
			i := 0
			for rest[i] != '\n' {
				i++
			}
			send(c, fromClient, "PA", rest[:i+1])
			send(c, !fromClient, "PA", ack)
			rest = rest[i+1:]
		}
		send(c, fromClient, "PA", rest) // EOT
	}
	upload(true, astm.E1381ForTest(astm.MessageForTest(astm.InstrumentHeaderForTest)...))
	upload(false, astm.E1381ForTest(astm.LISHeaderForTest, `P|1||CANARYPID77||CANARY^ALICE||19450607`, `O|1|SPEC0042||^^^PT|R`, `L|1|F`))
	closeC(c)
	// Raw records over another connection.
	r := &conn{cli: [4]byte{10, 2, 0, 32}, srv: [4]byte{10, 2, 0, 5}, cport: 49153, sport: 5001, cseq: 100, sseq: 900}
	open(r)
	msg := []byte{}
	for _, rec := range astm.MessageForTest(`H|\^&|||cobas 8000^01-02^12345|||||LIS||P|LIS2-A2|20240102030405`) {
		msg = append(append(msg, rec...), '\r')
	}
	send(r, true, "PA", msg[:90])
	send(r, true, "PA", msg[90:])
	closeC(r)
	return out
}

// TestThroughDecoder runs the synthetic capture through the decoder with
// every default dissector: ASTM is detected (the ENQ joined with the first
// frame), each side's Header reported, no other dissector claims the
// flows, and no canary appears.
func TestThroughDecoder(t *testing.T) {
	pkts := medtest.ReadPackets(t, pcapPath)
	var c observe.Collector
	cfg := decode.DefaultConfig()
	cfg.SynSignatures, cfg.Services = false, false
	dec, err := decode.New(cfg, decode.Split(dissectors.Default()...), &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		dec.Packet(p.Data, p.Info, p.LinkType)
	}
	dec.Flush()
	var senders []string
	for _, o := range c.Obs {
		switch o.Protocol {
		case "astm":
			for _, f := range o.Fields {
				if f.Key == "astm.sender" {
					senders = append(senders, o.SrcIP.String()+" "+f.Value)
				}
			}
		case "flow":
			for _, f := range o.Fields {
				if f.Key == "flow.app" && f.Value != "astm" {
					t.Errorf("flow.app = %s", f.Value)
				}
			}
		default:
			t.Errorf("unexpected %s observation: %v", o.Protocol, o.Fields)
		}
	}
	want := []string{"10.2.0.31 CS-2500^01-70^21768^^^Rezus^BV981798", "10.2.0.5 LIS", "10.2.0.32 cobas 8000^01-02^12345"}
	if len(senders) != len(want) {
		t.Fatalf("senders %q, want %q", senders, want)
	}
	for i := range want {
		if senders[i] != want[i] {
			t.Errorf("sender %d = %q, want %q", i, senders[i], want[i])
		}
	}
	medtest.AssertNoCanary(t, c.Obs, nil, "CANARY", "19450607", "SPEC0042", "97.123456", "MSGCTRL77", "S3CRETPW", "Springfield", "555-0100", "20240102030405")
}
