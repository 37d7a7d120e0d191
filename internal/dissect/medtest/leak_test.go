package medtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestNoPHIAnywhere runs the whole sensor (all default dissectors, debug
// logging) over every shared capture with DICOM or HL7 and the synthetic ASTM and POCT1-A ones, writes the
// observations to disk as `ward observe` would, and greps the logs and the
// file for the patient and study values the captures carry.
func TestNoPHIAnywhere(t *testing.T) {
	var paths []string
	for _, dir := range []string{"pcaps/dcmtk", "pcaps/hl7"} {
		d := testutil.SharedData(t, dir)
		m, err := filepath.Glob(filepath.Join(d, "*.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	paths = append(paths, testutil.SharedData(t, "pcaps/ndpi/hl7.pcap"))
	// ASTM E1381/E1394: no real capture is available; the synthetic one
	// carries patient, specimen and result records with canary values.
	paths = append(paths, filepath.Join(testutil.RepoRoot(t), "internal/dissect/astm/testdata/astm_e1381_synthetic.pcap"))
	// CLSI POCT1-A: likewise synthetic; observation and operator-list
	// messages carry patient, result, sample and operator canaries.
	paths = append(paths, filepath.Join(testutil.RepoRoot(t), "internal/dissect/poct/testdata/poct_synthetic.pcap"))
	// Patient/study values in the captures (from their sources and from
	// tshark's dumps of them).
	phi := []string{
		"SYNTHETIC^PATIENT", "SYN0001", "19700101", "SYN9999", "ICU^^BED01",
		"2.25.302914585321487618346124857003210002", // study instance UID
		"MOUSE^MICKEY", "135769", // ndpi/hl7.pcap PID
		// astm_e1381_synthetic.pcap: P/O/R/C records, H-3/H-4/H-6/H-8/H-14
		"CANARY", "19450607", "SPEC0042", "97.123456", "MSGCTRL77", "S3CRETPW", "Springfield", "555-0100", "20240102030405",
		// poct_synthetic.pcap: OBS/OPL values, control IDs, creation times
		"SAMPLE9931", "7.654321", "Canaryname", "CTRLID4242", "CTRLOBS5151", "DMCTRL9001", "2024-01-02T03",
	}
	oracle := testutil.SharedData(t, "pcaps/oracle")
	tags, _ := filepath.Glob(filepath.Join(oracle, "dcmtk__*.dicom_tags.tsv"))
	for _, f := range tags {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			c := strings.Split(line, "\t")
			if len(c) == 5 && (strings.HasPrefix(c[1], "0010,") || c[1] == "0020,000d" || c[1] == "0008,0050") {
				if v := strings.TrimSpace(c[4]); len(v) > 3 {
					phi = append(phi, v)
				}
			}
		}
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var c observe.Collector
	if _, err := sensor.ReadFiles(context.Background(), paths, decode.DefaultConfig(), &c, log); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "observations.jsonl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, o := range c.Obs {
		if err := enc.Encode(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(medtest.Values(c.Obs, "dicom.manufacturer")) == 0 || len(medtest.Values(c.Obs, "hl7.equipment_id")) == 0 || len(medtest.Values(c.Obs, "astm.sender")) == 0 || len(medtest.Values(c.Obs, "poct.model")) == 0 {
		t.Fatal("the medical dissectors produced nothing: the check would be vacuous")
	}
	medtest.AssertNoCanary(t, nil, [][]byte{logs.Bytes(), written}, phi...)
}
