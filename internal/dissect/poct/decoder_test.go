package poct_test

import (
	"flag"
	"testing"
	"time"

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
	medtest.WritePcap(t, pcapPath, syntheticPackets(t))
}

func syntheticPackets(t *testing.T) []capture.Packet {
	t.Helper()
	s := medtest.NewSynth(t, time.Unix(1700000000, 0))
	meter, dm := []byte{0, 0x60, 0x35, 1, 2, 3}, []byte{2, 0, 0, 0, 0, 5}
	segs := func(c *medtest.Conn, fromClient bool, msg string, size int) {
		for len(msg) > 0 {
			n := min(size, len(msg))
			s.Send(c, fromClient, []byte(msg[:n]))
			msg = msg[n:]
		}
	}
	// The device's messages, each acknowledged; long ones in segments of
	// at most 600 bytes.
	c := &medtest.Conn{ClientMAC: meter, ServerMAC: dm, Client: [4]byte{10, 3, 0, 41}, Server: [4]byte{10, 3, 0, 5}, ClientPort: 50123, ServerPort: 7020, ClientSeq: 1000, ServerSeq: 5000}
	s.Open(c)
	for _, msg := range []string{poct.GlucoseHelloForTest, poct.DstForTest, poct.ObsForTest, poct.EotForTest} {
		segs(c, true, msg, 600)
		segs(c, false, poct.AckForTest("CTRLID4242"), 600)
	}
	segs(c, false, poct.OplForTest, 600)
	segs(c, true, poct.AckForTest("DMCTRL9001"), 600)
	s.Close(c)
	// A blood gas analyser, its Hello in 40-byte segments.
	r := &medtest.Conn{ClientMAC: meter, ServerMAC: dm, Client: [4]byte{10, 3, 0, 42}, Server: [4]byte{10, 3, 0, 5}, ClientPort: 50124, ServerPort: 5005, ClientSeq: 100, ServerSeq: 900}
	s.Open(r)
	segs(r, true, poct.BloodGasHelloForTest, 40)
	segs(r, false, poct.AckForTest("CTRLID4242"), 600)
	segs(r, true, poct.ObsForTest, 300)
	s.Close(r)
	return s.Packets
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
