package dicom

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var sharedCaptures = []string{
	"dcmtk_echo.pcap", "dcmtk_find_worklist.pcap", "dcmtk_store_ge_ct.pcap",
	"dcmtk_store_philips_us.pcap", "dcmtk_store_siemens_mr.pcap", "orthanc_store_find_forward.pcap",
}

func readTSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, v := range rec {
			if i < len(recs[0]) {
				m[recs[0][i]] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// epoch renders an observation time like tshark's frame.time_epoch.
func epoch(o observe.Observation) string {
	return fmt.Sprintf("%d.%09d", o.Time.Unix(), o.Time.Nanosecond())
}

// oracleTagKeys maps the tags tshark dumps to Ward's fields.
var oracleTagKeys = map[string]string{
	"0008,0060": "dicom.modality", "0008,0070": "dicom.manufacturer", "0008,0080": "dicom.institution",
	"0008,1010": "dicom.station_name", "0008,1090": "dicom.model", "0018,1000": "dicom.serial",
	"0018,1020": "dicom.software_versions",
}

// TestOracle compares per frame with tshark: association fields on the
// A-ASSOCIATE-RQ/AC frames, device tags on the C-STORE frames. It also
// checks that no patient or study value tshark saw appears anywhere in
// Ward's output.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/dcmtk")
	oracle := testutil.SharedData(t, "pcaps/oracle")
	agree, total := map[string]int{}, map[string]int{}
	check := func(field, where, want, got string) {
		total[field]++
		if want == got {
			agree[field]++
			return
		}
		t.Errorf("%s %s: tshark %q, ward %q", where, field, want, got)
	}
	for _, name := range sharedCaptures {
		d := New()
		obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, filepath.Join(dir, name)), d)
		if d.guard.Dropped != 0 {
			t.Errorf("%s: PHI guard dropped %d fields", name, d.guard.Dropped)
		}
		byTime := map[string][]observe.Observation{}
		for _, o := range obs {
			byTime[epoch(o)] = append(byTime[epoch(o)], o)
		}
		get := func(at, key string) string {
			for _, o := range byTime[at] {
				if v, ok := o.Get(key); ok {
					return v
				}
			}
			return ""
		}
		rows := readTSV(t, filepath.Join(oracle, "dcmtk__"+name+".tsv"))
		frameTime := map[string]string{}
		for _, r := range rows {
			frameTime[r["frame.number"]] = r["frame.time_epoch"]
			if r["dicom.assoc.ae.calling"] == "" {
				continue
			}
			at, where := r["frame.time_epoch"], name+" frame "+r["frame.number"]
			check("calling_ae", where, strings.TrimSpace(r["dicom.assoc.ae.calling"]), get(at, "dicom.calling_ae"))
			check("called_ae", where, strings.TrimSpace(r["dicom.assoc.ae.called"]), get(at, "dicom.called_ae"))
			check("implementation_class_uid", where, r["dicom.userinfo.uid"], get(at, "dicom.implementation_class_uid"))
			check("implementation_version_name", where, r["dicom.userinfo.version"], get(at, "dicom.implementation_version_name"))
		}
		var phiValues []string
		for _, r := range readTSV(t, filepath.Join(oracle, "dcmtk__"+name+".dicom_tags.tsv")) {
			tag, val := r["tag"], strings.TrimSpace(r["value"])
			if strings.HasPrefix(tag, "0010,") || tag == "0020,000d" || tag == "0008,0050" {
				if len(val) > 3 {
					phiValues = append(phiValues, val)
				}
				continue
			}
			key, ok := oracleTagKeys[tag]
			if !ok || r["vr"] == "" {
				continue
			}
			at := frameTime[r["frame"]]
			if get(at, "dicom.command") == "" || !strings.Contains(get(at, "dicom.command"), "STORE-RQ") && get(at, "dicom.manufacturer") == "" {
				// tshark also shows C-FIND identifiers and responses; Ward reads C-STORE datasets only.
				continue
			}
			check(key, name+" frame "+r["frame"], val, get(at, key))
		}
		medtest.AssertNoCanary(t, obs, nil, phiValues...)
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pct := 100 * float64(agree[k]) / float64(total[k])
		t.Logf("%-30s %d/%d (%.1f%%)", k, agree[k], total[k], pct)
		if pct < 99 {
			t.Errorf("%s agreement %.1f%% < 99%%", k, pct)
		}
	}
	if total["dicom.manufacturer"] < 4 {
		t.Errorf("only %d C-STORE datasets compared; want the 4 of the captures", total["dicom.manufacturer"])
	}
}

type truthDataset struct {
	Modality     string `json:"modality"`
	Manufacturer string `json:"manufacturer_0008_0070"`
	Model        string `json:"model_0008_1090"`
	Serial       string `json:"serial_0018_1000"`
	Software     string `json:"software_0018_1020"`
	Station      string `json:"station_0008_1010"`
	Institution  string `json:"institution_0008_0080"`
}

func (d truthDataset) fields() map[string]string {
	return map[string]string{
		"dicom.modality": d.Modality, "dicom.manufacturer": d.Manufacturer, "dicom.model": d.Model,
		"dicom.serial": d.Serial, "dicom.software_versions": d.Software, "dicom.station_name": d.Station,
		"dicom.institution": d.Institution,
	}
}

// TestMessyTCP replays the store captures rewritten: segments swapped,
// retransmitted, cut into small segments, started mid-association, and with
// a truncated last packet. The device identity must come out the same.
func TestMessyTCP(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/dcmtk")
	var truth struct {
		Captures map[string]struct {
			Dataset *truthDataset `json:"dataset"`
		} `json:"captures"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	isPData := func(p []byte) bool { return looksLikePDU(p) && p[0] == pduPData }
	variants := []struct {
		name      string
		rewrite   func([]capture.Packet) []capture.Packet
		noAssocAE bool
	}{
		{"as-captured", func(p []capture.Packet) []capture.Packet { return p }, false},
		{"swapped-pairs", medtest.SwapPairs, false},
		{"retransmitted", medtest.Retransmit, false},
		{"split-97", func(p []capture.Packet) []capture.Packet { return medtest.SplitSegments(t, p, 97) }, false},
		{"mid-association", func(p []capture.Packet) []capture.Packet { return medtest.StartAt(p, isPData) }, true},
		{"truncated-last", medtest.TruncateLast, false},
		{"ends-inside-dataset", func(p []capture.Packet) []capture.Packet {
			// The capture stops in the dataset, after the device attributes
			// but before the pixel data ends (dcmtk writes the dataset
			// bytes in their own segment, after the PDU and PDV headers).
			return medtest.TruncateLastAt(medtest.UpTo(p, func(b []byte) bool { return len(b) > 200 && !looksLikePDU(b) }), 0.75)
		}, false},
	}
	for _, name := range []string{"dcmtk_store_ge_ct.pcap", "dcmtk_store_philips_us.pcap", "dcmtk_store_siemens_mr.pcap"} {
		want := truth.Captures[name].Dataset.fields()
		pkts := medtest.ReadPackets(t, filepath.Join(dir, name))
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				obs, _ := medtest.Run(t, decode.DefaultConfig(), v.rewrite(pkts), New())
				var id *observe.Observation
				for i := range obs {
					if _, ok := obs[i].Get("dicom.manufacturer"); ok {
						id = &obs[i]
					}
				}
				if id == nil {
					t.Fatalf("no identity; got %d observations", len(obs))
				}
				for k, w := range want {
					if g, _ := id.Get(k); g != w {
						t.Errorf("%s = %q, want %q", k, g, w)
					}
				}
				if !v.noAssocAE && len(medtest.Values(obs, "dicom.calling_ae")) == 0 {
					t.Error("no calling AE title")
				}
				medtest.AssertNoCanary(t, obs, nil, "SYNTHETIC^PATIENT", "SYN0001", "2.25.302914585321487618346124857003210002")
			})
		}
	}
}

// TestGolden pins every observation of one real store association.
func TestGolden(t *testing.T) {
	obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, "testdata/dcmtk_store_ge_ct.pcap"), New())
	testutil.Golden(t, "dcmtk_store_ge_ct", obs)
}

// TestInspectionStops: once the modality identity is known the decoder
// stops handing the flow to the dissector.
func TestInspectionStops(t *testing.T) {
	pkts := medtest.ReadPackets(t, "testdata/dcmtk_store_ge_ct.pcap")
	_, st := medtest.Run(t, decode.DefaultConfig(), pkts, New())
	if st.BytesSkipped == 0 {
		t.Errorf("no bytes skipped after identity (inspected %d)", st.BytesInspected)
	}
	t.Logf("bytes inspected %d, skipped %d", st.BytesInspected, st.BytesSkipped)
}
