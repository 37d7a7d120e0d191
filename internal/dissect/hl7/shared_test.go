package hl7

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestGolden pins every observation of a real PCD-01 exchange (python3-hl7
// mllp_send to npm simple-hl7).
func TestGolden(t *testing.T) {
	obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, "testdata/mllp_send_pcd01_patient_monitor.pcap"), New())
	testutil.Golden(t, "mllp_send_pcd01_patient_monitor", obs)
}

// TestMessyTCP replays the shared HL7 captures rewritten (swapped,
// retransmitted, cut into 13-byte segments, truncated) and expects the
// same fields as from the original.
func TestMessyTCP(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/hl7")
	key := func(obs []observe.Observation) map[string]bool {
		m := map[string]bool{}
		for _, o := range obs {
			for _, f := range o.Fields {
				m[fmt.Sprint(o.SrcPort)+"|"+f.Key+"="+f.Value] = true
			}
		}
		return m
	}
	variants := []struct {
		name    string
		rewrite func([]capture.Packet) []capture.Packet
	}{
		{"swapped-pairs", medtest.SwapPairs},
		{"retransmitted", medtest.Retransmit},
		{"split-13", func(p []capture.Packet) []capture.Packet { return medtest.SplitSegments(t, p, 13) }},
		{"mid-stream", func(p []capture.Packet) []capture.Packet {
			return medtest.StartAt(p, func(b []byte) bool { return len(b) > 0 && b[0] == startBlock })
		}},
	}
	for _, name := range []string{"mllp_send_pcd01_infusion_pump.pcap", "mllp_send_pcd01_patient_monitor.pcap", "simplehl7_adt_a01.pcap"} {
		pkts := medtest.ReadPackets(t, filepath.Join(dir, name))
		base, _ := medtest.Run(t, decode.DefaultConfig(), pkts, New())
		want := key(base)
		if len(want) == 0 {
			t.Fatalf("%s: no observations", name)
		}
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				obs, _ := medtest.Run(t, decode.DefaultConfig(), v.rewrite(pkts), New())
				got := key(obs)
				for k := range want {
					if !got[k] {
						t.Errorf("missing %s", k)
					}
				}
				medtest.AssertNoCanary(t, obs, nil, "SYNTHETIC^PATIENT", "SYN0001", "19700101")
			})
		}
		// A capture whose last packet (the ACK) is cut keeps the message.
		obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.TruncateLast(pkts), New())
		if len(medtest.Values(obs, "hl7.sending_application")) == 0 {
			t.Errorf("%s truncated: message lost", name)
		}
	}
}
