package assess_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/sbom"
	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

// TestRecordAgainstCSAF checks the per-year advisory counts, KEV CVEs and
// ransomware flags of manufacturers with different records against counts
// made here from the CSAF and KEV files directly.
func TestRecordAgainstCSAF(t *testing.T) {
	docs := readCSAF(t)
	kev := readKEV(t)
	tab := canon.NewTable(nil)
	a := newAssessor(t, nil, false)
	for _, tc := range []struct {
		ask, canonical string
		wantKEV        bool
	}{
		{"Becton Dickinson", "BD", false},           // many advisories, nothing exploited
		{"Philips", "Philips", true},                // misspelt "Phillips" advisories carry MS17-010
		{"Medtronic ", "Medtronic", false},          // trailing-space vendor spelling in one file
		{"Spacelabs", "Spacelabs Healthcare", true}, // one advisory, BlueKeep
	} {
		t.Run(tc.canonical, func(t *testing.T) {
			wantYears := map[int]int{}
			wantKEV := map[string]bool{}
			wantAdv := 0
			for _, d := range docs {
				if !namesManufacturer(tab, d.Vendors, tc.canonical) {
					continue
				}
				wantAdv++
				wantYears[d.Year]++
				for _, c := range d.CVEs {
					if rw, ok := kev[c]; ok {
						wantKEV[c] = rw
					}
				}
			}
			if wantAdv == 0 {
				t.Fatalf("test data: no CSAF advisory names %s", tc.canonical)
			}
			if (len(wantKEV) > 0) != tc.wantKEV {
				t.Fatalf("test data: KEV CVEs of %s = %v, expected some: %v", tc.canonical, wantKEV, tc.wantKEV)
			}
			rep, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{{Manufacturer: tc.ask}}})
			if err != nil {
				t.Fatal(err)
			}
			as := rep.Assessments[0]
			if as.Canonical != tc.canonical {
				t.Errorf("canonical = %q, want %q", as.Canonical, tc.canonical)
			}
			r := as.Record
			if r.Advisories != wantAdv {
				t.Errorf("advisories = %d, want %d", r.Advisories, wantAdv)
			}
			gotYears := map[int]int{}
			for _, y := range r.PerYear {
				if y.Advisories > 0 {
					gotYears[y.Year] = y.Advisories
				}
			}
			if d := cmp.Diff(wantYears, gotYears); d != "" {
				t.Errorf("advisories per year (-want +got):\n%s", d)
			}
			// Years run without gaps from the first to the last.
			for i := 1; i < len(r.PerYear); i++ {
				if r.PerYear[i].Year != r.PerYear[i-1].Year+1 {
					t.Errorf("per-year gap between %d and %d", r.PerYear[i-1].Year, r.PerYear[i].Year)
				}
			}
			// KEV: the CSAF advisories' KEV CVEs, plus those of standalone CVE
			// records (NVD/CVE 5 entries no advisory covers).
			standalone := map[string]bool{}
			for _, it := range r.Items {
				if it.Source != vuln.SourceCSAF {
					for _, c := range it.CVEs {
						standalone[c] = true
					}
				}
			}
			gotKEV := map[string]bool{}
			ransom := 0
			for _, k := range r.KEV {
				if !standalone[k.CVE] {
					gotKEV[k.CVE] = k.Ransomware
				} else if rw, ok := kev[k.CVE]; !ok || rw != k.Ransomware {
					t.Errorf("standalone KEV %s: in KEV %v, ransomware %v", k.CVE, ok, rw)
				}
				if k.Ransomware {
					ransom++
				}
			}
			if d := cmp.Diff(wantKEV, gotKEV); d != "" {
				t.Errorf("KEV CVEs with ransomware flag (-want +got):\n%s", d)
			}
			if ransom != r.Ransomware {
				t.Errorf("ransomware count %d, listed %d", r.Ransomware, ransom)
			}
			// Remediation classes cover every advisory.
			if n := r.Remediation.Total(); n != r.Advisories {
				t.Errorf("remediation classes cover %d of %d advisories", n, r.Advisories)
			}
			if as.Score.Total == nil || as.Score.Grade == "n/a" {
				t.Errorf("no score for a manufacturer with a record: %+v", as.Score)
			}
			if n := len(as.KeyFindings); n < 3 || n > 5 {
				t.Errorf("%d key findings, want 3–5: %q", n, as.KeyFindings)
			}
			if len(as.Questions) == 0 {
				t.Error("no questions")
			}
			if tc.wantKEV {
				found := false
				for _, q := range as.Questions {
					for c := range wantKEV {
						if strings.Contains(q.Text, c) {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("no question about a KEV CVE %v: %+v", wantKEV, as.Questions)
				}
			}
		})
	}
}

// TestTimeliness checks per-CVE dates against the NVD files read here.
func TestTimeliness(t *testing.T) {
	a := newAssessor(t, nil, false)
	rep, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{{Manufacturer: "BD"}}})
	if err != nil {
		t.Fatal(err)
	}
	tl := rep.Assessments[0].Record.Timeliness
	if tl.WithCVEDate+tl.WithoutCVEDate != len(tl.CVEs) || len(tl.CVEs) == 0 {
		t.Fatalf("dated %d + undated %d != %d CVEs", tl.WithCVEDate, tl.WithoutCVEDate, len(tl.CVEs))
	}
	if tl.WithoutCVEDate == 0 {
		t.Error("every BD CVE has a record date: the shared data has only some NVD records, so the report must show undated CVEs")
	}
	nvdDir := filepath.Join(sharedRoot(t), "nvd", "nvd-json-2.0")
	checked := 0
	buckets := 0
	for _, b := range tl.Buckets {
		buckets += b.Count
	}
	if buckets != len(tl.CVEs) {
		t.Errorf("time-to-fix buckets hold %d of %d CVEs", buckets, len(tl.CVEs))
	}
	for _, c := range tl.CVEs {
		if c.CVEDate == nil {
			if c.DaysToAdvisory != nil {
				t.Errorf("%s: days to advisory without a CVE date", c.CVE)
			}
			continue
		}
		if c.FixDate != nil && (c.DaysToFix == nil || *c.DaysToFix < 0) {
			t.Errorf("%s: fix date without non-negative days to fix", c.CVE)
		}
		b, err := os.ReadFile(filepath.Join(nvdDir, c.CVE+".json"))
		if err != nil {
			continue // dated by a CVE 5 record
		}
		pub := jsonField(t, b, "published")
		if !strings.HasPrefix(pub, c.CVEDate.Format("2006-01-02")) {
			t.Errorf("%s: CVE date %s, NVD file published %s", c.CVE, c.CVEDate, pub)
		}
		want := int(c.Listed.Sub(*c.CVEDate).Hours() / 24)
		if got := *c.DaysToAdvisory; got < want-1 || got > want+1 {
			t.Errorf("%s: days to advisory %d, want about %d", c.CVE, got, want)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no BD CVE dated from an NVD file")
	}
}

func TestCompareTwoManufacturers(t *testing.T) {
	a := newAssessor(t, nil, false)
	rep, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{
		{Manufacturer: "BD", Model: "Alaris PC 8015"}, {Manufacturer: "Baxter", Model: "Sigma Spectrum"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Assessments) != 2 || rep.Comparison == nil {
		t.Fatalf("want two assessments and a comparison, got %d, %v", len(rep.Assessments), rep.Comparison)
	}
	rows := map[string][]string{}
	for _, r := range rep.Comparison.Rows {
		if len(r.Values) != 2 {
			t.Errorf("row %s has %d values", r.Measure, len(r.Values))
		}
		rows[r.Measure] = r.Values
	}
	for i, as := range rep.Assessments {
		if got, want := rows["CVEs"][i], itoa(as.Record.CVEs); got != want {
			t.Errorf("%s CVEs row %s, record %s", as.Candidate, got, want)
		}
		if got, want := rows["KEV CVEs (ransomware)"][i], itoa(len(as.Record.KEV))+" ("+itoa(as.Record.Ransomware)+")"; got != want {
			t.Errorf("%s KEV row %s, want %s", as.Candidate, got, want)
		}
		if as.Model == nil || len(as.Model.Advisories) == 0 {
			t.Errorf("%s: no model advisory", as.Candidate)
		}
	}
	// Baxter carries MS17-010 in KEV, BD nothing: the KEV part must tell them apart.
	kevPts := func(as assess.Assessment) float64 {
		for _, p := range as.Score.Parts {
			if p.Name == "Known exploitation" {
				return p.Points
			}
		}
		t.Fatal("no exploitation part")
		return 0
	}
	if !(kevPts(rep.Assessments[0]) > kevPts(rep.Assessments[1])) {
		t.Errorf("BD (no KEV) should score better on exploitation than Baxter: %v vs %v", kevPts(rep.Assessments[0]), kevPts(rep.Assessments[1]))
	}
	if rep.Comparison.Best == "" {
		t.Error("no best candidate although scores differ")
	}
}

func TestUnknownAndEmpty(t *testing.T) {
	a := newAssessor(t, nil, false)
	for _, tc := range []struct {
		name, manufacturer, want string
	}{
		{"unknown", "Zzyzx Devices Corp", "Unknown manufacturer"},
		{"known without advisories", "Mindray", "No advisory in the loaded feeds names Mindray"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{{Manufacturer: tc.manufacturer}}})
			if err != nil {
				t.Fatal(err)
			}
			as := rep.Assessments[0]
			if len(as.Messages) == 0 || !strings.Contains(as.Messages[0], tc.want) {
				t.Errorf("messages %q, want one containing %q", as.Messages, tc.want)
			}
			r := as.Record
			if r.Advisories != 0 || len(r.PerYear) != 0 || len(r.Severity) != 0 || len(r.Timeliness.Buckets) != 0 {
				t.Errorf("empty record has chart data: %+v", r)
			}
			if as.Score.Total != nil || as.Score.Grade != "n/a" {
				t.Errorf("score without evidence: %+v", as.Score)
			}
			if len(as.Questions) == 0 || !strings.Contains(as.Questions[0].Text, "disclosure") {
				t.Errorf("questions %+v: want the disclosure-policy question", as.Questions)
			}
		})
	}
	if _, err := a.Assess(context.Background(), assess.Request{}); err == nil {
		t.Error("no candidate: want an error")
	}
}

func TestSBOMKnownVulnerable(t *testing.T) {
	a := newAssessor(t, nil, false)
	for _, file := range []string{"device.cdx.json", "device.spdx.json"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := sbom.Parse(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			rep, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{{Manufacturer: "BD", Model: "Alaris PC 8015"}}, SBOM: doc})
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Assessments[0].SBOM
			status := map[string]string{}
			kevs := map[string][]string{}
			for _, c := range s.Components {
				status[c.Name] = c.Status
				kevs[c.Name] = c.KEV
			}
			want := map[string]string{
				"VxWorks":          assess.CompVulnerable,   // URGENT/11
				"Windows 7":        assess.CompVulnerable,   // MS17-010, BlueKeep
				"Treck TCP/IP":     assess.CompVulnerable,   // Ripple20
				"OpenSSL":          assess.CompNoKnown,      // identified, but the feeds carry no OpenSSL CVE
				"acme-pump-ui-lib": assess.CompUnresolvable, // no identifier, unknown supplier
			}
			if d := cmp.Diff(want, status); d != "" {
				t.Errorf("component status (-want +got):\n%s", d)
			}
			if !slices.Contains(kevs["Windows 7"], "CVE-2017-0144") {
				t.Errorf("Windows 7 KEV CVEs %v, want MS17-010 CVE-2017-0144", kevs["Windows 7"])
			}
			if len(kevs["VxWorks"]) == 0 && len(kevs["Treck TCP/IP"]) == 0 {
				t.Error("neither VxWorks nor Treck carries a KEV CVE (CVE-2020-11899 is in KEV)")
			}
			if s.Unresolvable != 1 || s.KEV < 2 {
				t.Errorf("unresolvable %d (want 1), KEV components %d (want ≥ 2)", s.Unresolvable, s.KEV)
			}
			as := rep.Assessments[0]
			joined := strings.Join(as.KeyFindings, " ")
			if !strings.Contains(joined, "known-exploited") {
				t.Errorf("key findings do not call out the KEV components: %q", as.KeyFindings)
			}
			var asked bool
			for _, q := range as.Questions {
				if strings.Contains(q.Text, "could not identify") && strings.Contains(q.Evidence, "acme-pump-ui-lib") {
					asked = true
				}
			}
			if !asked {
				t.Errorf("no question about the unresolvable component: %+v", as.Questions)
			}
		})
	}
}

func TestSBOMWithCompareRejected(t *testing.T) {
	a := newAssessor(t, nil, false)
	_, err := a.Assess(context.Background(), assess.Request{Candidates: []assess.Candidate{{Manufacturer: "BD"}, {Manufacturer: "Baxter"}}, SBOM: &sbom.Document{}})
	if err == nil || !strings.Contains(err.Error(), "single candidate") {
		t.Errorf("err = %v", err)
	}
}

func TestMalformedSBOM(t *testing.T) {
	for _, in := range []string{`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library"}]}`, `{"spdxVersion":"SPDX-2.3"`, `not json`} {
		_, err := sbom.Parse(strings.NewReader(in))
		if !errors.Is(err, sbom.ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestFieldEvidence(t *testing.T) {
	inv := ingestDemo(t)
	a := newAssessor(t, inv, true)
	ctx := context.Background()
	rep, err := a.Assess(ctx, assess.Request{Candidates: []assess.Candidate{
		{Manufacturer: "GE HealthCare", Model: "CARESCAPE"}, {Manufacturer: "Mindray", Model: "BeneVision N12"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Expected devices, counted from the inventory directly.
	devs, _, err := inv.ListDevices(ctx, invFilterAll())
	if err != nil {
		t.Fatal(err)
	}
	for _, as := range rep.Assessments {
		f := as.Field
		if f == nil {
			t.Fatalf("%s: no field section although an inventory was given", as.Candidate)
		}
		want := 0
		snmp, hl7, oldOS := 0, 0, 0
		for _, d := range devs {
			s := d.Summarize()
			if s.Manufacturer == nil || s.Model == nil || *s.Manufacturer != as.Canonical || !modelHas(*s.Model, as.Candidate.Model) {
				continue
			}
			want++
			if s.OS != nil && (strings.Contains(*s.OS, "Windows 7") || strings.Contains(*s.OS, "Windows XP")) {
				oldOS++
			}
			for _, sg := range d.Signals {
				if sg.Name == "snmp_cleartext_community" {
					snmp++
					break
				}
			}
			for _, p := range d.Protocols {
				if p.Name == "hl7" {
					hl7++
					break
				}
			}
		}
		if want == 0 {
			t.Fatalf("test data: no %s in the demo inventory", as.Candidate)
		}
		if len(f.Devices) != want {
			t.Errorf("%s: %d devices, inventory has %d", as.Candidate, len(f.Devices), want)
		}
		got := map[string]int{}
		for _, b := range f.Behaviours {
			got[b.Kind] = len(b.Devices)
		}
		if got[assess.BehaviourSNMP] != snmp {
			t.Errorf("%s: SNMP community on %d devices, inventory %d", as.Candidate, got[assess.BehaviourSNMP], snmp)
		}
		if got[assess.BehaviourOutdatedOS] != oldOS {
			t.Errorf("%s: outdated OS on %d devices, inventory has %d on Windows 7/XP", as.Candidate, got[assess.BehaviourOutdatedOS], oldOS)
		}
		if got[assess.BehaviourCleartextHL7] != hl7 || hl7 == 0 {
			t.Errorf("%s: cleartext HL7 on %d devices, inventory %d", as.Candidate, got[assess.BehaviourCleartextHL7], hl7)
		}
	}
	for _, as := range rep.Assessments {
		f := as.Field
		sum := 0
		for _, tc := range f.Tiers {
			sum += tc.Count
		}
		if f.OpenFindings > 0 && (sum != f.OpenFindings || !strings.Contains(f.RiskSource, "SSVC")) {
			t.Errorf("%s: %d open findings but tiers %+v (%s)", as.Candidate, f.OpenFindings, f.Tiers, f.RiskSource)
		}
	}
	for _, d := range rep.Assessments[1].Field.Devices {
		// The OS comes from p0f when its database is installed (as in `ward ingest`).
		if strings.Contains(d.OS, "Windows 7") && d.Findings == 0 {
			t.Errorf("%s runs %q: want MS17-010/BlueKeep findings", d.Name, d.OS)
		}
	}
	mindray := rep.Assessments[1].Field
	if len(mindray.VersionLag) == 0 {
		t.Error("Mindray BeneVision N12 runs 01.25.00, 02.10.00 and 02.20.01: want version lag")
	} else if mindray.VersionLag[0].Newest != "02.20.01" {
		t.Errorf("newest N12 version %q, want 02.20.01", mindray.VersionLag[0].Newest)
	}
	ge := rep.Assessments[0]
	var q bool
	for _, x := range ge.Questions {
		q = q || strings.Contains(x.Text, "SNMPv3")
	}
	if !q {
		t.Errorf("GE: no SNMP question: %+v", ge.Questions)
	}
	var fieldPart bool
	for _, p := range ge.Score.Parts {
		fieldPart = fieldPart || (p.Name == "Field evidence" && p.Scored)
	}
	if !fieldPart {
		t.Error("GE: field evidence not scored")
	}
}

func modelHas(model, want string) bool {
	return strings.Contains(strings.ToLower(model), strings.ToLower(want))
}

func itoa(n int) string { return strconv.Itoa(n) }

func invFilterAll() inventory.DeviceFilter { return inventory.DeviceFilter{} }

func sharedRoot(t *testing.T) string { return testutil.SharedData(t, "feeds") }

func jsonField(t *testing.T, b []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if c, ok := m["cve"].(map[string]any); ok {
		m = c
	}
	s, _ := m[key].(string)
	return s
}
