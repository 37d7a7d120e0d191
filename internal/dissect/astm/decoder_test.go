package astm_test

import (
	"flag"
	"testing"
	"time"

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
	medtest.WritePcap(t, pcapPath, syntheticPackets(t))
}

func syntheticPackets(t *testing.T) []capture.Packet {
	t.Helper()
	s := medtest.NewSynth(t, time.Unix(1700000000, 0))
	inst, lis := []byte{0, 0x1e, 0xc0, 1, 2, 3}, []byte{2, 0, 0, 0, 0, 5}
	ack := []byte{0x06}
	// E1381: each frame its own segment, acknowledged.
	c := &medtest.Conn{ClientMAC: inst, ServerMAC: lis, Client: [4]byte{10, 2, 0, 31}, Server: [4]byte{10, 2, 0, 5}, ClientPort: 49152, ServerPort: 5000, ClientSeq: 1000, ServerSeq: 5000}
	s.Open(c)
	upload := func(fromClient bool, msg []byte) {
		// msg is ENQ, frames, EOT: cut it at each frame end (LF).
		s.Send(c, fromClient, msg[:1])
		s.Send(c, !fromClient, ack)
		rest := msg[1:]
		for len(rest) > 1 {
			i := 0
			for rest[i] != '\n' {
				i++
			}
			s.Send(c, fromClient, rest[:i+1])
			s.Send(c, !fromClient, ack)
			rest = rest[i+1:]
		}
		s.Send(c, fromClient, rest) // EOT
	}
	upload(true, astm.E1381ForTest(astm.MessageForTest(astm.InstrumentHeaderForTest)...))
	upload(false, astm.E1381ForTest(astm.LISHeaderForTest, `P|1||CANARYPID77||CANARY^ALICE||19450607`, `O|1|SPEC0042||^^^PT|R`, `L|1|F`))
	s.Close(c)
	// Raw records over another connection.
	r := &medtest.Conn{ClientMAC: inst, ServerMAC: lis, Client: [4]byte{10, 2, 0, 32}, Server: [4]byte{10, 2, 0, 5}, ClientPort: 49153, ServerPort: 5001, ClientSeq: 100, ServerSeq: 900}
	s.Open(r)
	msg := []byte{}
	for _, rec := range astm.MessageForTest(`H|\^&|||cobas 8000^01-02^12345|||||LIS||P|LIS2-A2|20240102030405`) {
		msg = append(append(msg, rec...), '\r')
	}
	s.Send(r, true, msg[:90])
	s.Send(r, true, msg[90:])
	s.Close(r)
	return s.Packets
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
