package poct_test

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
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/dissect/poct"
	"github.com/wardiomt/ward/internal/dissectors"
	"github.com/wardiomt/ward/internal/observe"
)

var writePcap = flag.Bool("write-pcap", false, "rewrite testdata/poct_synthetic.pcap")

const pcapPath = "testdata/poct_synthetic.pcap"

// TestWriteSyntheticPcap rewrites the synthetic capture with -write-pcap:
// a glucose meter (10.3.0.41) sends its Hello to the data manager
// (10.3.0.5:7020), which acknowledges each message, then device status,
// observations (canary PHI) and the end of the topic, the data manager an
// operator list (canaries); then a blood gas analyser (10.3.0.42) on
// another port sends its Hello without an XML declaration, cut into small
// segments. The medtest leak test reads it too.
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
		eth := &layers.Ethernet{SrcMAC: []byte{0, 0x60, 0x35, 1, 2, 3}, DstMAC: []byte{2, 0, 0, 0, 0, 5}, EthernetType: layers.EthernetTypeIPv4}
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
	// The device's messages, each acknowledged; long ones in segments of
	// at most 600 bytes.
	c := &conn{cli: [4]byte{10, 3, 0, 41}, srv: [4]byte{10, 3, 0, 5}, cport: 50123, sport: 7020, cseq: 1000, sseq: 5000}
	open(c)
	segs := func(c *conn, fromClient bool, msg string, size int) {
		for len(msg) > 0 {
			n := min(size, len(msg))
			send(c, fromClient, "PA", []byte(msg[:n]))
			msg = msg[n:]
		}
	}
	for _, msg := range []string{poct.GlucoseHelloForTest, poct.DstForTest, poct.ObsForTest, poct.EotForTest} {
		segs(c, true, msg, 600)
		segs(c, false, poct.AckForTest("CTRLID4242"), 600)
	}
	segs(c, false, poct.OplForTest, 600)
	segs(c, true, poct.AckForTest("DMCTRL9001"), 600)
	closeC(c)
	// A blood gas analyser, its Hello in 40-byte segments.
	r := &conn{cli: [4]byte{10, 3, 0, 42}, srv: [4]byte{10, 3, 0, 5}, cport: 50124, sport: 5005, cseq: 100, sseq: 900}
	open(r)
	segs(r, true, poct.BloodGasHelloForTest, 40)
	segs(r, false, poct.AckForTest("CTRLID4242"), 600)
	segs(r, true, poct.ObsForTest, 300)
	closeC(r)
	return out
}

// TestThroughDecoder runs the synthetic capture through the decoder with
// every default dissector: POCT1-A is detected, each device's Hello
// reported once, no other dissector claims the flows, and no canary
// appears.
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
	var models []string
	for _, o := range c.Obs {
		switch o.Protocol {
		case "poct":
			for _, f := range o.Fields {
				if f.Key == "poct.model" {
					models = append(models, o.SrcIP.String()+" "+f.Value)
				}
			}
		case "flow":
			for _, f := range o.Fields {
				if f.Key == "flow.app" && f.Value != "poct" {
					t.Errorf("flow.app = %s", f.Value)
				}
			}
		default:
			t.Errorf("unexpected %s observation: %v", o.Protocol, o.Fields)
		}
	}
	want := []string{"10.3.0.41 Inform II", "10.3.0.42 ABL90 FLEX PLUS"}
	if len(models) != len(want) {
		t.Fatalf("models %q, want %q", models, want)
	}
	for i := range want {
		if models[i] != want[i] {
			t.Errorf("model %d = %q, want %q", i, models[i], want[i])
		}
	}
	medtest.AssertNoCanary(t, c.Obs, nil, "CANARY", "19450607", "SAMPLE9931", "7.654321", "Canaryname", "CTRLID4242", "CTRLOBS5151", "DMCTRL9001", "2024-01-02T03")
}
