package modbus

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSharedNDPI: nDPI's capture (shared data, ../shared/data/pcaps beside
// the repository) is 51 function-3 polls of unit 1 by a SCADA client, its
// handshake not captured. The server is reported once, and the flow is let
// go after firstFrames of its frames: the decoder skips the rest.
func TestSharedNDPI(t *testing.T) {
	path := testutil.SharedData(t, "pcaps/ndpi/modbus.pcap")
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, path, New()) {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, "ndpi_modbus", obs)
	want := []map[string]string{{"modbus.role": "server", "modbus.unit_id": "1"}}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(obs) == 1 && (obs[0].SrcPort != Port || obs[0].SrcIP.String() != "192.168.110.138") {
		t.Errorf("reported from %v:%d, not the server", obs[0].SrcIP, obs[0].SrcPort)
	}
	_, st := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, path), New())
	// 51 responses of 11 bytes and requests of 12: after the 32nd response
	// the remaining 19 of each are skipped.
	if want := uint64(19*11 + 19*12); st.BytesSkipped != want {
		t.Errorf("bytes skipped %d, want %d (inspected %d)", st.BytesSkipped, want, st.BytesInspected)
	}
}

// TestSharedNoFalsePositives: detection by content off 502 takes none of
// the other shared captures (HTTP, TLS, SMB, DICOM, HL7, MQTT, ...).
func TestSharedNoFalsePositives(t *testing.T) {
	root := testutil.SharedData(t, "pcaps")
	files := 0
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.Contains(p, "/oracle/") || filepath.Base(p) == "modbus.pcap" {
			return err
		}
		if ext := filepath.Ext(p); ext != ".pcap" && ext != ".pcapng" && ext != ".cap" {
			return nil
		}
		files++
		if obs := dissecttest.RunChecked(t, p, New()); len(obs) > 0 {
			t.Errorf("%s frame %d: %v", p, obs[0].Frame, dissecttest.FieldMap(obs[0].Obs))
		}
		return nil
	})
	if err != nil || files < 50 {
		t.Fatalf("walked %d captures: %v", files, err)
	}
}
