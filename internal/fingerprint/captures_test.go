package fingerprint_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/testutil"
)

// claimsOf runs a capture through the real sensor pipeline and the default
// rules, returning every claim.
func claimsOf(t *testing.T, e *fingerprint.Engine, path string) []fingerprint.Claim {
	t.Helper()
	var col observe.Collector
	if _, err := sensor.ReadFiles(context.Background(), []string{path}, decode.DefaultConfig(), &col, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []fingerprint.Claim
	for i := range col.Obs {
		out = e.Claims(&col.Obs[i], out)
	}
	return out
}

func has(cs []fingerprint.Claim, attr fingerprint.Attribute, value string) bool {
	return slices.ContainsFunc(cs, func(c fingerprint.Claim) bool { return c.Attribute == attr && c.Value == value })
}

func fromField(cs []fingerprint.Claim, attr fingerprint.Attribute, field string) []fingerprint.Claim {
	var out []fingerprint.Claim
	for _, c := range cs {
		if c.Attribute == attr && c.Field == field {
			out = append(out, c)
		}
	}
	return out
}

func TestDCMTKCaptures(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/dcmtk")
	var truth struct {
		Captures map[string]struct {
			Dataset *struct {
				Modality     string `json:"modality"`
				Manufacturer string `json:"manufacturer_0008_0070"`
				Model        string `json:"model_0008_1090"`
				Serial       string `json:"serial_0018_1000"`
				Software     string `json:"software_0018_1020"`
			} `json:"dataset"`
		} `json:"captures"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	e, err := fingerprint.New(fingerprint.Options{P0FPath: "-"})
	if err != nil {
		t.Fatal(err)
	}
	vendors := canon.NewTable(nil)
	names := make([]string, 0, len(truth.Captures))
	for n := range truth.Captures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want := truth.Captures[name]
		t.Run(name, func(t *testing.T) {
			cs := claimsOf(t, e, filepath.Join(dir, name))
			if len(fromField(cs, fingerprint.Software, "dicom.implementation_class_uid")) == 0 {
				t.Skip("no DICOM association claims yet (dicom dissector not producing)")
			}
			// Every association announces dcmtk's UID: the toolkit, not a vendor.
			if got := fromField(cs, fingerprint.Manufacturer, "dicom.implementation_class_uid"); len(got) > 0 {
				t.Errorf("manufacturer claimed from the dcmtk implementation UID: %+v", got)
			}
			if got := fromField(cs, fingerprint.Manufacturer, "dicom.implementation_version_name"); len(got) > 0 {
				t.Errorf("manufacturer claimed from the dcmtk version name: %+v", got)
			}
			if !has(cs, fingerprint.Software, "dcmtk 3.6.7") {
				t.Errorf("no software=dcmtk 3.6.7 claim")
			}
			if want.Dataset == nil {
				return
			}
			ds := want.Dataset
			man, _ := vendors.Manufacturer(ds.Manufacturer)
			for _, w := range []struct {
				attr  fingerprint.Attribute
				value string
			}{
				{fingerprint.Manufacturer, man},
				{fingerprint.Model, ds.Model},
				{fingerprint.Serial, ds.Serial},
				{fingerprint.Version, ds.Software},
			} {
				if !has(cs, w.attr, w.value) {
					t.Errorf("missing %s=%q", w.attr, w.value)
				}
			}
			wantType := map[string]string{"CT": "ct", "MR": "mr", "US": "ultrasound"}[ds.Modality]
			if !has(cs, fingerprint.DeviceType, wantType) {
				t.Errorf("missing type=%s", wantType)
			}
			// The serial claim must be the strongest serial evidence.
			for _, c := range cs {
				if c.Attribute == fingerprint.Serial && c.Value == ds.Serial && c.Confidence < 0.85 {
					t.Errorf("serial confidence %v, want >= 0.85", c.Confidence)
				}
			}
		})
	}
}

func TestHL7Captures(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/hl7")
	e, err := fingerprint.New(fingerprint.Options{P0FPath: "-"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want map[fingerprint.Attribute]string
	}{
		{"mllp_send_pcd01_infusion_pump.pcap", map[fingerprint.Attribute]string{
			fingerprint.DeviceType: "infusion_pump", fingerprint.Manufacturer: "BD", fingerprint.Model: "8015",
			fingerprint.Serial: "SYN-IP-12345", fingerprint.Version: "12.1.2"}},
		{"mllp_send_pcd01_patient_monitor.pcap", map[fingerprint.Attribute]string{
			fingerprint.DeviceType: "patient_monitor", fingerprint.Manufacturer: "Philips", fingerprint.Model: "MX800",
			fingerprint.Serial: "SYN-PM-7788", fingerprint.Version: "M.00.03"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cs := claimsOf(t, e, filepath.Join(dir, tt.file))
			if !slices.ContainsFunc(cs, func(c fingerprint.Claim) bool { return c.Protocol == "hl7" }) {
				t.Skip("hl7 dissector produced nothing yet")
			}
			for attr, v := range tt.want {
				if !has(cs, attr, v) {
					t.Errorf("missing %s=%q", attr, v)
				}
			}
		})
	}
}

// TestAllCaptures runs every shared capture through the rules: nothing may
// panic, every claim must be well-formed, and the corpus must produce
// claims from several protocol families.
func TestAllCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: reads every shared capture")
	}
	dir := testutil.SharedData(t, "pcaps")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (filepath.Ext(p) == ".pcap" || filepath.Ext(p) == ".pcapng") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := fingerprint.New(fingerprint.Options{P0FPath: "-"})
	if err != nil {
		t.Fatal(err)
	}
	protocols := map[string]int{}
	var col observe.Collector
	for _, f := range files {
		col.Obs = col.Obs[:0]
		// Damaged captures are part of the corpus; their readable part counts.
		_, _ = sensor.ReadFiles(context.Background(), []string{f}, decode.DefaultConfig(), &col, slog.New(slog.DiscardHandler))
		var out []fingerprint.Claim
		for i := range col.Obs {
			out = e.Claims(&col.Obs[i], out[:0])
			for _, c := range out {
				if c.Value == "" || c.Confidence <= 0 || c.Confidence > 1 || c.Rule == "" || c.Attribute == "" {
					t.Errorf("%s: malformed claim %+v", filepath.Base(f), c)
				}
				if c.Attribute == fingerprint.DeviceType && !canon.ValidType(c.Value) {
					t.Errorf("%s: type %q not in the taxonomy", filepath.Base(f), c.Value)
				}
				protocols[c.Protocol]++
			}
		}
	}
	t.Logf("claims per protocol over %d captures: %v", len(files), protocols)
	if len(protocols) < 4 {
		t.Errorf("claims from only %d protocols: %v", len(protocols), protocols)
	}
}
