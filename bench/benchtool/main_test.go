package main

import (
	"path/filepath"
	"testing"
)

// TestDecodeFloor: the floor bench/sensor.sh reports decodes every packet of
// a mix (flows tracked, nothing dissected or emitted), and the mix writes
// the packets it was asked for.
func TestDecodeFloor(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mix.pcap")
	if err := mix([]string{"-out", out, "-packets", "5000", "../../internal/demo/hospital-demo.pcap.gz"}); err != nil {
		t.Fatal(err)
	}
	st, obs, err := decodeFile(out, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 5000 {
		t.Errorf("decoded %d packets, want 5000", st.Packets)
	}
	if st.DecodeErrors != 0 {
		t.Errorf("%d decode errors", st.DecodeErrors)
	}
	if st.FlowsCreated == 0 || obs != 0 {
		t.Errorf("flows %d, observations %d: want flows tracked and nothing emitted", st.FlowsCreated, obs)
	}
}

// TestDissectFloor: the dissect row runs the dissectors on the same mix and
// counts what ward observe would print.
func TestDissectFloor(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mix.pcap")
	if err := mix([]string{"-out", out, "-packets", "5000", "../../internal/demo/hospital-demo.pcap.gz"}); err != nil {
		t.Fatal(err)
	}
	st, obs, err := decodeFile(out, true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 5000 || obs < 500 {
		t.Errorf("decoded %d packets into %d observations", st.Packets, obs)
	}
}
