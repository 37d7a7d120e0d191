package reconcile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/cmms/fhir"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
)

// demoDevices builds inventory devices from the simulated hospital's truth.
func demoDevices(t testing.TB) []*inventory.Device {
	t.Helper()
	raw, err := os.ReadFile("../../../testdata/demo/hospital-demo.truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Devices []struct {
			ID, MAC, Manufacturer, Model, Version, Serial, Type, Hostname, Location, SwitchPort string
			IPs                                                                                 []string
		} `json:"devices"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	seen := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var out []*inventory.Device
	for _, x := range truth.Devices {
		d := &inventory.Device{ID: x.ID, Site: "default", MAC: x.MAC, MACs: []string{x.MAC}, Location: x.Location,
			LocationFrom: "config", SwitchPort: x.SwitchPort, Identity: identity.Identity{}, LastSeen: seen}
		for _, ip := range x.IPs {
			d.IPs = append(d.IPs, inventory.IPRecord{IP: ip, Source: "dhcp-ack"})
		}
		for a, v := range map[fingerprint.Attribute]string{fingerprint.Manufacturer: x.Manufacturer, fingerprint.Model: x.Model,
			fingerprint.Version: x.Version, fingerprint.Serial: x.Serial, fingerprint.DeviceType: x.Type, fingerprint.Hostname: x.Hostname} {
			if v != "" {
				d.Identity[a] = &identity.Attribute{Value: v, Confidence: 0.9, Candidates: []identity.Candidate{{Value: v,
					Evidence: []identity.Evidence{{Protocol: "snmp", Field: "sysDescr", Value: v, Count: 3, Last: seen}}}}}
			}
		}
		out = append(out, d)
	}
	return out
}

func readExport(t *testing.T) ([]Asset, []string) {
	f, err := os.Open("testdata/cmms-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	assets, warns, err := ReadCSV(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return assets, warns
}

type outcome struct {
	Device string   // "" = ghost
	By     string   // match method
	Fields []string // mismatched fields
}

func outcomes(rep *Report) map[int]outcome {
	got := map[int]outcome{}
	for _, m := range rep.Matched {
		var fs []string
		for _, x := range m.Mismatches {
			fs = append(fs, x.Field)
		}
		got[m.Asset.Row] = outcome{m.Device.ID, m.By, fs}
	}
	for _, g := range rep.Ghosts {
		got[g.Asset.Row] = outcome{}
	}
	return got
}

func TestReconcileDemoExport(t *testing.T) {
	assets, warns := readExport(t)
	if len(assets) != 17 || len(warns) != 1 || !strings.Contains(warns[0], "row 17") {
		t.Fatalf("assets %d, warnings %q", len(assets), warns)
	}
	devs := demoDevices(t)
	rep := Reconcile(assets, devs, Options{})
	want := map[int]outcome{
		1:  {"dev-000011", BySerial, nil},
		2:  {"dev-000014", BySerial, nil},
		3:  {"dev-000016", BySerial, nil},
		4:  {"dev-000046", BySerial, []string{"location"}},
		5:  {"dev-000052", BySerial, []string{"software_version"}},
		6:  {"dev-000051", ByMAC, []string{"serial"}},
		7:  {"dev-000050", BySerialTypo, []string{"serial", "mac"}},
		8:  {"dev-000021", ByMAC, []string{"serial"}},
		9:  {"dev-000055", ByAssetTag, []string{"serial", "mac"}},
		10: {"dev-000049", ByIPModel, []string{"serial", "mac"}},
		11: {},
		12: {},
		13: {"dev-000042", BySerial, []string{"mac"}},
		14: {"dev-000056", ByMAC, []string{"serial", "location"}},
		15: {"dev-000054", ByMAC, nil},
		16: {}, // its serial belongs to row 15
		17: {},
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if rep.Summary.Unmanaged != len(devs)-13 || rep.Summary.Ghosts != 4 || rep.Summary.Mismatched != 9 {
		t.Errorf("summary %+v", rep.Summary)
	}
	// Every decision explains itself.
	for _, m := range rep.Matched {
		if len(m.Reasons) == 0 {
			t.Errorf("row %d: no reason", m.Asset.Row)
		}
		for _, x := range m.Mismatches {
			if x.Suggested == "" || x.Evidence == "" {
				t.Errorf("row %d %s: no suggestion or evidence", m.Asset.Row, x.Field)
			}
		}
	}
	reason := func(row int) string {
		for _, m := range rep.Matched {
			if m.Asset.Row == row {
				return strings.Join(m.Reasons, "; ")
			}
		}
		for _, g := range rep.Ghosts {
			if g.Asset.Row == row {
				return g.Reason
			}
		}
		return ""
	}
	for row, sub := range map[int]string{
		7:  `serial "28335691" is one character from the device's "28335619" (a likely typo), corroborated by manufacturer "ICU Medical" and model "Plum 360"`,
		12: "serial is one character from device dev-000048 but nothing corroborates it",
		11: "no device seen with serial 9999123, MAC 00:11:22:33:44:55, asset tag BME-1011",
		9:  `asset tag "AERODR-93432" matches the device's hostname`,
		16: "device dev-000054 has this identity but was matched to row 15 (duplicate CMMS record?)",
	} {
		if !strings.Contains(reason(row), sub) {
			t.Errorf("row %d reason %q lacks %q", row, reason(row), sub)
		}
	}
	if !slices.ContainsFunc(rep.Warnings, func(s string) bool {
		return strings.Contains(s, "row 15: serial") || strings.Contains(s, "row 16: serial")
	}) {
		t.Errorf("duplicate serial not warned: %q", rep.Warnings)
	}
	for _, m := range rep.Matched {
		if m.Asset.Row == 4 {
			x := m.Mismatches[0]
			if x.CMMS != "Lab" || x.Network != "Data-Center" || !strings.Contains(x.Evidence, "location from config") || x.Suggested != `set location from "Lab" to "Data-Center"` {
				t.Errorf("moved device: %+v", x)
			}
		}
		if m.Asset.Row == 8 && !strings.Contains(m.Mismatches[0].Suggested, "typo") {
			t.Errorf("serial typo suggestion %q", m.Mismatches[0].Suggested)
		}
	}

	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) < 1+13+rep.Summary.Unmanaged+4 {
		t.Errorf("csv: %d rows, %v", len(rows), err)
	}
	buf.Reset()
	_ = rep.WriteText(&buf)
	if !strings.Contains(buf.String(), "GHOSTS") || !strings.Contains(buf.String(), "why:") {
		t.Error("text report")
	}
}

// The same CMMS content as a FHIR Bundle reconciles to the same decisions.
func TestReconcileFHIRBundle(t *testing.T) {
	assets, _ := readExport(t)
	var devs []fhir.Device
	for _, a := range assets {
		devs = append(devs, fhir.NewDevice(fhir.Info{AssetTag: a.AssetTag, MAC: a.MAC, Manufacturer: a.Manufacturer, Model: a.Model,
			Serial: a.Serial, Version: a.Version, Location: a.Location, Type: a.Type, Active: true}))
	}
	b, _ := fhir.CollectionBundle(devs, time.Now())
	raw, _ := json.Marshal(b)
	fromFHIR, err := ReadFHIR(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	inv := demoDevices(t)
	csvRep := Reconcile(assets, inv, Options{})
	fhirRep := Reconcile(fromFHIR, inv, Options{})
	// Row 17's unparsable MAC is dropped from FHIR; IPs are not in Device.
	want, got := outcomes(csvRep), outcomes(fhirRep)
	delete(want, 10)
	delete(got, 10)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FHIR vs CSV (-csv +fhir):\n%s", diff)
	}
}

func TestReadCSVHeadingsAndMapping(t *testing.T) {
	in := "\ufeffEquipment No;Serial No;MAC;Firmware Version;Room;Asset Tag\nE1;S-1;AABBCCDDEEFF;1.0;OR 2;T9\n\n"
	assets, _, err := ReadCSV(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Asset{{Row: 1, AssetTag: "E1", Serial: "S-1", MAC: "aa:bb:cc:dd:ee:ff", Version: "1.0", Location: "OR 2"}}
	if diff := cmp.Diff(want, assets); diff != "" {
		t.Error(diff)
	}
	assets, _, err = ReadCSV(strings.NewReader(in), Mapping{FieldAssetTag: "asset tag"})
	if err != nil || assets[0].AssetTag != "T9" {
		t.Errorf("mapping: %+v %v", assets, err)
	}
	if _, _, err := ReadCSV(strings.NewReader(in), Mapping{FieldSerial: "Seriennummer"}); err == nil {
		t.Error("a mapped column missing from the header must fail")
	}
	if _, _, err := ReadCSV(strings.NewReader("a,b\n1,2\n"), nil); err == nil {
		t.Error("no recognised column must fail")
	}
}

func TestNormalizeMAC(t *testing.T) {
	for in, want := range map[string]string{
		"00:09:FB:01:02:03": "00:09:fb:01:02:03", "00-09-fb-01-02-03": "00:09:fb:01:02:03",
		"0009.fb01.0203": "00:09:fb:01:02:03", "0009FB010203": "00:09:fb:01:02:03", "0:9:fb:1:2:3": "00:09:fb:01:02:03",
		" 00 09 fb 01 02 03 ": "00:09:fb:01:02:03", "00:09:fb:01:02": "", "zz:09:fb:01:02:03": "", "": "", "0009.fb01.02033": "",
	} {
		got, ok := NormalizeMAC(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeMAC(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestEditDistance1(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"abc", "abc", 0}, {"abc", "abd", 1}, {"abc", "acb", 1}, {"abc", "ab", 1}, {"ab", "abc", 1}, {"abc", "xbc", 1},
		{"abcd", "badc", 2}, {"abc", "a", 2}, {"abcd", "abdc", 1}, {"abcd", "acbd", 1}, {"abcde", "aXcYe", 2},
	} {
		if got := editDistance1(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance1(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	raw, _ := os.ReadFile("testdata/cmms-export.csv")
	f.Add(raw)
	f.Add([]byte("Serial;MAC\n1;0009.fb01.0203\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		assets, _, err := ReadCSV(bytes.NewReader(in), nil)
		if err == nil {
			_ = Reconcile(assets, nil, Options{})
		}
	})
}

func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{"00:09:FB:01:02:03", "0009.fb01.0203", "0:9:fb:1:2:3", "0009FB010203"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := NormalizeMAC(s)
		if ok {
			if m2, ok2 := NormalizeMAC(m); !ok2 || m2 != m {
				t.Fatalf("not idempotent: %q -> %q -> %q", s, m, m2)
			}
		}
	})
}

// A location that is only a switch port is not proposed as the CMMS location.
func TestSwitchPortLocationNotCompared(t *testing.T) {
	d := &inventory.Device{ID: "d1", MAC: "00:09:fb:01:02:03", Location: "sw-7:Gi1/0/3", LocationFrom: "dhcp-option-82", SwitchPort: "sw-7:Gi1/0/3"}
	rep := Reconcile([]Asset{{Row: 1, MAC: "00:09:fb:01:02:03", Location: "ICU-3"}}, []*inventory.Device{d}, Options{})
	if len(rep.Matched) != 1 || len(rep.Matched[0].Mismatches) != 0 {
		t.Fatalf("%+v", rep.Matched)
	}
	if r := strings.Join(rep.Matched[0].Reasons, "; "); !strings.Contains(r, "location not compared: Ward knows only the switch port sw-7:Gi1/0/3") {
		t.Errorf("reasons %q", r)
	}
}

// BenchmarkReconcile: a large hospital, 5000 devices and 5000 CMMS assets,
// a fifth of them only reachable through the corroborated-typo pass.
func BenchmarkReconcile(b *testing.B) {
	var devs []*inventory.Device
	var assets []Asset
	for i := range 5000 {
		serial := "SN" + strconv.Itoa(100000+i)
		mac := fmt.Sprintf("00:09:fb:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff)
		d := &inventory.Device{ID: strconv.Itoa(i), MAC: mac, Identity: identity.Identity{
			fingerprint.Serial: {Value: serial}, fingerprint.Model: {Value: "Model " + strconv.Itoa(i%40)}}}
		devs = append(devs, d)
		a := Asset{Row: i + 1, Serial: serial, Model: "Model " + strconv.Itoa(i%40)}
		if i%5 == 0 {
			a.Serial = serial[:len(serial)-1] + "X" // typo
		}
		assets = append(assets, a)
	}
	b.ReportAllocs()
	for b.Loop() {
		rep := Reconcile(assets, devs, Options{})
		if rep.Summary.Matched != 5000 {
			b.Fatalf("matched %d", rep.Summary.Matched)
		}
	}
}
