package vuln

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMatchModel(t *testing.T) {
	tests := []struct {
		device, product string
		want            ModelLevel
	}{
		{"Alaris 8015", "Alaris PC Unit Model 8015", ModelMatch},
		{"Alaris 8015", "Alaris Systems Manager", NoMatch},
		{"Alaris", "Alaris 8000 PC unit", FamilyMatch},
		{"Alaris 8015", "Alaris 8000 PC unit", NoMatch},
		{"Alaris PC Unit 8015", "Alaris PC Unit", ModelMatch},
		{"alaris_8015_pcu_firmware", "Alaris 8015 PC Unit", ModelMatch},
		{"Discovery NM750b", "Discovery NM 750b", ModelMatch},
		{"CARESCAPE B450", "B450", ModelMatch},
		{"CARESCAPE B450", "B650", NoMatch},
		{"MiniMed 670G", "MiniMed 620G", NoMatch},
		{"MiniMed Paradigm 712", "MiniMed Paradigm 512/712 pumps", ModelMatch},
		{"Valleylab LS10", "Valleylab FT10 Energy Platform (VLFT10GEN)", FamilyMatch},
		{"IntelliVue MX40", "IntelliBridge EC 40 Hub", NoMatch},
		{"Merlin@home EX1150", "RF models EX1150", ModelMatch},
		{"LOGIQ 100 Pro", "Aespire 100", NoMatch},
		{"", "Alaris", NoMatch},
	}
	for _, tt := range tests {
		got := MatchModel(ModelTokens(tt.device, nil), ModelTokens(tt.product, nil))
		if got != tt.want {
			t.Errorf("MatchModel(%q, %q) = %d, want %d (tokens %v / %v)", tt.device, tt.product, got, tt.want,
				ModelTokens(tt.device, nil), ModelTokens(tt.product, nil))
		}
	}
}

func TestNormalizer(t *testing.T) {
	n := NewNormalizer(nil)
	mfr := []struct{ raw, want string }{
		{"Becton, Dickinson and Company (BD)", "BD"},
		{"Becton Dickinson & Co", "BD"},
		{"General Electric (GE)", "GE HealthCare"},
		{"GE Healthcare", "GE HealthCare"},
		{"Medtronic ", "Medtronic"},
		{"B. Braun Melsungen AG", "B. Braun"},
		{"Hillrom", "Baxter"},
		{"Hillrom and ELI, Baxter International Inc.", "Baxter"},
		{"ge_healthcare", "GE HealthCare"},
		{"Phillips", "Philips"},
		{"Some New Vendor", "Some New Vendor"},
	}
	for _, tt := range mfr {
		if got := n.Manufacturer(tt.raw); got != tt.want {
			t.Errorf("Manufacturer(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
	names := []struct{ vendor, name, want string }{
		{"Baxter", "Baxter Baxter Connex Health Portal", "Connex Health Portal"},
		{"Becton, Dickinson and Company (BD)", "Alaris 8015 PC unit: Versions 9.33 and prior", "Alaris 8015 PC unit"},
		{"Philips", "IntelliSpace PACS", "IntelliSpace PACS"},
	}
	for _, tt := range names {
		if got := n.CleanProductName(tt.vendor, tt.name); got != tt.want {
			t.Errorf("CleanProductName(%q, %q) = %q, want %q", tt.vendor, tt.name, got, tt.want)
		}
	}
}

// fixture is a small provider with one CSAF advisory and one NVD record.
func fixture() *MemProvider {
	day := time.Date(2020, 11, 12, 0, 0, 0, 0, time.UTC)
	return &MemProvider{
		Items: []Advisory{{
			ID: "ICSMA-20-317-01", Source: SourceCSAF, Title: "BD Alaris", Published: day,
			Products: []Product{
				{ID: "P1", Vendor: "Becton, Dickinson and Company (BD)", Name: "Alaris PC Unit Model 8015", Range: "<= 9.33.1", RangeKind: "range", Status: "known_affected"},
				{ID: "P2", Vendor: "Becton, Dickinson and Company (BD)", Name: "Alaris Systems Manager", Range: "<= 4.33", RangeKind: "range", Status: "known_affected"},
			},
			Vulns: []Vuln{{CVE: "CVE-2020-25165", CWE: []string{"CWE-287"}, ProductIDs: []string{"P1", "P2"},
				Scores:       []Score{{Source: "CISA", Version: "3.1", Score: 6.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:L"}},
				Remediations: []Remediation{{Category: "vendor_fix", Text: "Update.", URL: "https://go.bd.com/x", ProductIDs: []string{"P1"}}}}},
			Revisions: []Revision{{Date: day, Number: "1", Summary: "Initial"}},
		}, {
			ID: "CVE-2020-25165", Source: SourceNVD, Published: day,
			Products: []Product{{ID: "c1", Vendor: "bd", Name: "alaris 8015 pcu firmware", Range: "<=9.33.1", RangeKind: "range", CPE: "cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*"}},
			Vulns:    []Vuln{{CVE: "CVE-2020-25165", Scores: []Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}}},
		}, {
			ID: "CVE-2017-0144", Source: SourceNVD, Published: day,
			Vulns: []Vuln{{CVE: "CVE-2017-0144", Scores: []Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 8.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}}}},
		}},
		KEVs:  map[string]KEVEntry{"CVE-2017-0144": {CVE: "CVE-2017-0144", RansomwareCampaign: "Known"}},
		EPSSs: map[string]EPSSScore{"CVE-2020-25165": {CVE: "CVE-2020-25165", EPSS: 0.017}},
	}
}

func TestMatchStatuses(t *testing.T) {
	ctx := context.Background()
	m, err := NewMatcher(ctx, fixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Advisory   string
		Status     Status
		Confidence Confidence
	}
	tests := []struct {
		name string
		dev  Device
		want []row
	}{
		{"in range", Device{Manufacturer: "BD", Model: "Alaris 8015", Version: "9.33"},
			[]row{{"ICSMA-20-317-01", Affected, Exact}}},
		{"outside range kept for VEX", Device{Manufacturer: "Becton Dickinson", Model: "Alaris 8015", Version: "12.1"},
			[]row{{"ICSMA-20-317-01", NotAffected, ModelOnly}}},
		{"version unknown", Device{Manufacturer: "CareFusion", Model: "Alaris PC Unit 8015"},
			[]row{{"ICSMA-20-317-01", UnderInvestigation, ModelOnly}}},
		{"family only", Device{Manufacturer: "BD", Model: "Alaris", Version: "1.0"},
			[]row{{"ICSMA-20-317-01", UnderInvestigation, FamilyOnly}}},
		{"other manufacturer", Device{Manufacturer: "Philips", Model: "Alaris 8015", Version: "9.33"}, nil},
		{"platform", Device{Manufacturer: "Philips", Model: "Brilliance 64", OS: "Microsoft Windows 7 Professional SP1"},
			[]row{{"BlueKeep", Affected, ModelOnly}, {"DejaBlue", Affected, ModelOnly}, {"MS12-020", Affected, ModelOnly}, {"MS17-010", Affected, ModelOnly}}},
		{"embedded component", Device{Manufacturer: "GE", Model: "X", Components: []Component{{Name: "Wind River VxWorks", Version: "6.9.4"}}},
			[]row{{"URGENT/11", Affected, ModelOnly}}},
		{"component CPE in range", Device{Manufacturer: "Acme", Model: "Gateway", Components: []Component{{CPE: "cpe:2.3:o:bd:alaris_8015_pcu_firmware:9.19:*:*:*:*:*:*:*"}}},
			[]row{{"CVE-2020-25165", Affected, Exact}}},
		{"component CPE outside range", Device{Manufacturer: "Acme", Model: "Gateway", Components: []Component{{CPE: "cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*", Version: "12.0"}}},
			[]row{{"CVE-2020-25165", NotAffected, ModelOnly}}},
		{"old vxworks not urgent11", Device{Manufacturer: "GE", Model: "X", Components: []Component{{Name: "VxWorks", Version: "5.5"}}}, nil},
		// SSH servers named by their identification string (the ssh rules
		// give "OpenSSH 8.9p1", the version as the next word).
		{"openssh in the regreSSHion range", Device{Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH 8.9p1"}}},
			[]row{{"regreSSHion", Affected, ModelOnly}}},
		{"openssh fixed", Device{Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH 9.8p1"}}}, nil},
		// Distribution packages: the banner's revision is the patch level.
		{"debian package with the backported fix", Device{Components: []Component{{Name: "OpenSSH 9.2p1 Debian-2+deb12u10"}}},
			[]row{{"regreSSHion", NotAffected, Exact}}},
		{"debian package before the fix", Device{Components: []Component{{Name: "OpenSSH 9.2p1 Debian-2+deb12u2"}}},
			[]row{{"regreSSHion", Affected, Exact}}},
		{"debian package, the fixing revision itself", Device{Components: []Component{{Name: "OpenSSH 9.2p1 Debian-2+deb12u3"}}},
			[]row{{"regreSSHion", NotAffected, Exact}}},
		{"raspbian rebuild with the fix", Device{Components: []Component{{Name: "OpenSSH 9.2p1 Raspbian-2+deb12u4"}}},
			[]row{{"regreSSHion", NotAffected, Exact}}},
		{"ubuntu 22.04 fixed (0.10 after 0.9)", Device{Components: []Component{{Name: "OpenSSH 8.9p1 Ubuntu-3ubuntu0.10"}}},
			[]row{{"regreSSHion", NotAffected, Exact}}},
		{"ubuntu 22.04 before the fix", Device{Components: []Component{{Name: "OpenSSH 8.9p1 Ubuntu-3ubuntu0.6"}}},
			[]row{{"regreSSHion", Affected, Exact}}},
		{"ubuntu release line with no fix known", Device{Components: []Component{{Name: "OpenSSH 9.0p1 Ubuntu-1ubuntu8.7"}}},
			[]row{{"regreSSHion", Affected, ModelOnly}}},
		{"debian revision of an upstream outside the range", Device{Components: []Component{{Name: "OpenSSH 8.4p1 Debian-5+deb11u3"}}}, nil},
		{"one affected source outweighs a fixed one", Device{Components: []Component{{Name: "OpenSSH 9.2p1 Debian-2+deb12u10"}, {Name: "OpenSSH 9.6p1"}}},
			[]row{{"regreSSHion", Affected, ModelOnly}}},
		{"openssh before the regression", Device{Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH 7.4"}}}, nil},
		{"openssh for windows is not affected", Device{Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH for Windows 8.9"}}}, nil},
		{"old dropbear", Device{Manufacturer: "Acme", Model: "Pump", Components: []Component{{Name: "Dropbear 2015.67"}}},
			[]row{{"Dropbear-2016.74", Affected, ModelOnly}}},
		{"current dropbear", Device{Manufacturer: "Acme", Model: "Pump", Components: []Component{{Name: "Dropbear 2019.78"}}}, nil},
		{"libssh auth bypass", Device{Manufacturer: "Acme", Model: "Gateway", Components: []Component{{Name: "libssh 0.7.4"}}},
			[]row{{"libssh-auth-bypass", Affected, ModelOnly}}},
		{"proftpd 1.3.5", Device{Manufacturer: "Acme", Model: "Archive", Components: []Component{{Name: "ProFTPD 1.3.5"}}},
			[]row{{"ProFTPD-mod_copy", Affected, ModelOnly}}},
		{"proftpd 1.3.5e", Device{Manufacturer: "Acme", Model: "Archive", Components: []Component{{Name: "ProFTPD 1.3.5e"}}}, nil},
		{"vsftpd 2.3.4", Device{Manufacturer: "Acme", Model: "Archive", Components: []Component{{Name: "vsftpd 2.3.4"}}},
			[]row{{"vsftpd-2.3.4-backdoor", Affected, ModelOnly}}},
		{"vsftpd 3.0.3", Device{Manufacturer: "Acme", Model: "Archive", Components: []Component{{Name: "vsftpd 3.0.3"}}}, nil},
		{"libssh2 is another library", Device{Manufacturer: "Acme", Model: "Gateway", Components: []Component{{Name: "libssh2 1.8.0"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.dev.ID = "d1"
			fs, err := m.Match(ctx, []Device{tt.dev})
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, f := range fs {
				if f.DeviceID != "d1" || f.Reason == "" {
					t.Errorf("finding %s: device %q, reason %q", f.Advisory, f.DeviceID, f.Reason)
				}
				got = append(got, row{f.Advisory, f.Status, f.Confidence})
			}
			slices.SortFunc(got, func(a, b row) int { return strings.Compare(a.Advisory, b.Advisory) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFindingContract pins the JSON field names other stages rely on.
func TestFindingContract(t *testing.T) {
	ctx := context.Background()
	m, err := NewMatcher(ctx, fixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := m.Match(ctx, []Device{{ID: "pump-7", Manufacturer: "BD", Model: "Alaris 8015", Version: "9.19"}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings = %v, %v", fs, err)
	}
	f := fs[0]
	// Both sources' scores, the CSAF remediation for this product, EPSS.
	if len(f.CVSS) != 2 || f.EPSS == nil || *f.EPSS != 0.017 || len(f.Remediations) != 1 || f.KEV {
		t.Errorf("finding details = %+v", f)
	}
	b, _ := json.Marshal(f)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	for _, k := range []string{"device_id", "status", "advisory", "cves", "product", "matched_range", "confidence", "reason", "cvss", "kev", "epss", "cwe", "remediations"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("finding JSON lacks %q: %s", k, b)
		}
	}
	cv := raw["cvss"].([]any)[0].(map[string]any)
	for _, k := range []string{"source", "version", "score", "vector"} {
		if _, ok := cv[k]; !ok {
			t.Errorf("cvss entry lacks %q", k)
		}
	}
	rem := raw["remediations"].([]any)[0].(map[string]any)
	for _, k := range []string{"category", "text", "url"} {
		if _, ok := rem[k]; !ok {
			t.Errorf("remediation lacks %q", k)
		}
	}
}

func TestKEVOnPlatform(t *testing.T) {
	ctx := context.Background()
	m, _ := NewMatcher(ctx, fixture(), Options{})
	fs, _ := m.Match(ctx, []Device{{ID: "ws", Manufacturer: "Siemens", Model: "syngo", OS: "Windows XP SP3"}})
	var ms17 *Finding
	for i := range fs {
		if fs[i].Advisory == "MS17-010" {
			ms17 = &fs[i]
		}
	}
	if ms17 == nil || !ms17.KEV || !ms17.Ransomware || ms17.MaxCVSS() != 8.8 {
		t.Fatalf("MS17-010 finding = %+v", ms17)
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	m, _ := NewMatcher(ctx, fixture(), Options{})
	h, err := m.History(ctx, "Becton Dickinson")
	if err != nil {
		t.Fatal(err)
	}
	// The NVD record repeats the CSAF advisory's CVE, so only the CSAF one is listed.
	if len(h) != 1 || h[0].Advisory != "ICSMA-20-317-01" || h[0].MaxCVSS != 7.5 ||
		!slices.Equal(h[0].RemediationCategories, []string{"vendor_fix"}) || len(h[0].Products) != 2 {
		t.Errorf("history = %+v", h)
	}
}

func TestPlatformRulesValid(t *testing.T) {
	rules, err := DefaultPlatformRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 8 {
		t.Errorf("only %d platform rules", len(rules))
	}
	if _, err := ParsePlatformRules([]byte(`[{"id":"x","cves":["CVE-1"],"platforms":[{"match":"a","surprise":1}]}]`)); err == nil {
		t.Error("unknown field accepted")
	}
}

func BenchmarkMatchOne(b *testing.B) {
	ctx := context.Background()
	m, _ := NewMatcher(ctx, fixture(), Options{})
	devs := []Device{{ID: "1", Manufacturer: "BD", Model: "Alaris 8015", Version: "9.19", OS: "Windows 7"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Match(ctx, devs); err != nil {
			b.Fatal(err)
		}
	}
}

// A bare "GE" or "Siemens" is the medical manufacturer, except in a CISA
// industrial advisory about non-medical products.
func TestAdvisoryManufacturer(t *testing.T) {
	n := NewNormalizer(nil)
	tests := []struct {
		name, id, title, vendor, product, want string
	}{
		{"industrial advisory", "ICSA-25-021-02", "Siemens SIMATIC S7-1200 CPUs", "Siemens", "SIMATIC S7-1200 CPU family", "Siemens (industrial)"},
		{"PACSystems is not PACS", "ICSA-20-014-01", "GE PACSystems RX3i", "General Electric (GE) and Emerson", "PACSystems RX3i CPE305", "GE (industrial)"},
		{"medical product in an ICSA", "ICSA-21-350-16", "Siemens syngo fastView", "Siemens", "syngo fastView", "Siemens Healthineers"},
		{"medical advisory", "ICSMA-17-215-01", "Siemens Molecular Imaging", "Siemens", "Molecular Imaging", "Siemens Healthineers"},
		{"NVD record keeps the medical brand", "CVE-2017-0143", "", "siemens", "acuson p300 firmware", "Siemens Healthineers"},
		{"explicit medical vendor", "ICSA-99-001-01", "Relays", "GE Healthcare", "Relay", "GE HealthCare"},
		{"explicit industrial vendor", "CVE-2023-0001", "", "GE Digital", "Proficy Historian", "GE (industrial)"},
		{"not a parent brand", "ICSA-99-002-01", "Relays", "Philips", "Relay", "Philips"},
	}
	for _, tt := range tests {
		a := &Advisory{ID: tt.id, Title: tt.title, Vulns: []Vuln{{Description: "A buffer overflow in the web server."}}}
		p := &Product{Vendor: tt.vendor, Name: tt.product}
		if got := n.AdvisoryManufacturer(a, p); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// A medical word in a vulnerability text is enough.
	a := &Advisory{ID: "ICSA-99-003-01", Title: "Siemens X", Vulns: []Vuln{{Description: "Affects the patient table controller."}}}
	if got := n.AdvisoryManufacturer(a, &Product{Vendor: "Siemens", Name: "X"}); got != "Siemens Healthineers" {
		t.Errorf("medical description: %q", got)
	}
}

// An industrial advisory under a parent brand neither enters the medical
// manufacturer's record nor matches its devices.
func TestIndustrialAdvisoryKeptApart(t *testing.T) {
	ctx := context.Background()
	p := &MemProvider{Items: []Advisory{{
		ID: "ICSA-25-021-02", Source: SourceCSAF, Title: "Siemens SIMATIC S7-1200 CPUs", Published: time.Date(2025, 1, 21, 0, 0, 0, 0, time.UTC),
		Products: []Product{{ID: "P1", Vendor: "Siemens", Name: "SIMATIC S7-1200 CPU 1211C", Range: "< 4.7", RangeKind: "range", Status: "known_affected"}},
		Vulns:    []Vuln{{CVE: "CVE-2024-0001", ProductIDs: []string{"P1"}}},
	}}}
	m, err := NewMatcher(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for mfr, want := range map[string]int{"Siemens Healthineers": 0, "SIEMENS": 0, "Siemens (industrial)": 1} {
		h, err := m.History(ctx, mfr)
		if err != nil || len(h) != want {
			t.Errorf("History(%q) = %d entries (%v), want %d", mfr, len(h), err, want)
		}
	}
	for mfr, want := range map[string]int{"SIEMENS": 0, "Siemens (industrial)": 1} {
		fs, err := m.Match(ctx, []Device{{ID: "d", Manufacturer: mfr, Model: "SIMATIC S7-1200 CPU 1211C", Version: "4.2"}})
		if err != nil || len(fs) != want {
			t.Errorf("Match(%s device) = %d findings (%v), want %d", mfr, len(fs), err, want)
		}
	}
}
