package tftp

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

const capture = "phone_boot"

// TestOracle: every request tshark reads is one observation with its file
// name and mode (testdata/capture-tftp.sh: tftpd-hpa and its client).
func TestOracle(t *testing.T) {
	oracle := dissecttest.ReadOracle(t, filepath.Join("testdata", capture+".oracle.tsv"))
	got := map[int]observe.Observation{}
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		got[f.Frame] = f.Obs
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, capture, obs)
	if len(got) != len(oracle) || len(oracle) != 3 {
		t.Fatalf("%d requests, tshark %d", len(got), len(oracle))
	}
	for frame, row := range oracle {
		want := map[string]string{"tftp.request": "read", "tftp.file": dissecttest.First(row["tftp.source_file"]), "tftp.mode": dissecttest.First(row["tftp.type"])}
		if diff := cmp.Diff(want, dissecttest.FieldMap(got[frame])); diff != "" {
			t.Errorf("frame %d (-tshark +ours):\n%s", frame, diff)
		}
	}
}

func TestDissectUDP(t *testing.T) {
	var c observe.Collector
	d := New()
	if err := d.DissectUDP(dissecttest.UDPMeta(), []byte("\x00\x02running-config\x00NETASCII\x00"), &c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]string{{"tftp.request": "write", "tftp.file": "running-config", "tftp.mode": "netascii"}}, dissecttest.FieldMaps(c.Obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"\x00\x01", "\x00\x01file", "\x00\x01\x00octet\x00", "\x00\x01fi\x01le\x00octet\x00"} {
		var c observe.Collector
		if err := d.DissectUDP(dissecttest.UDPMeta(), []byte(bad), &c); err == nil || len(c.Obs) != 0 {
			t.Errorf("%q: err %v, %d observations", bad, err, len(c.Obs))
		}
	}
	if d.MatchUDP(40000, 69, []byte("\x00\x03\x00\x01data")) || !d.MatchUDP(40000, 69, []byte("\x00\x01f\x00octet\x00")) || d.MatchUDP(69, 40000, []byte("\x00\x01f\x00octet\x00")) {
		t.Error("MatchUDP: requests to port 69 only")
	}
}
