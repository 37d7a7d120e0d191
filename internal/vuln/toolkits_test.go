package vuln

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestToolkitComponents: a device's DICOM toolkit, heard with its version,
// meets the toolkit's own advisories; without a version it does not.
func TestToolkitComponents(t *testing.T) {
	day := time.Date(2022, 6, 23, 0, 0, 0, 0, time.UTC)
	p := &MemProvider{Items: []Advisory{{
		ID: "ICSMA-22-174-01", Source: SourceCSAF, Title: "OFFIS DCMTK", Published: day,
		Products: []Product{{ID: "P1", Vendor: "OFFIS", Name: "DCMTK", Range: "< 3.6.7", RangeKind: "range", Status: "known_affected"}},
		Vulns:    []Vuln{{CVE: "CVE-2022-2119", ProductIDs: []string{"P1"}}},
	}, {
		ID: "ICSMA-99-001-01", Source: SourceCSAF, Title: "Acme DCMTK Viewer", Published: day,
		Products: []Product{{ID: "P1", Vendor: "Acme", Name: "DCMTK Viewer", Range: "< 9", RangeKind: "range", Status: "known_affected"}},
		Vulns:    []Vuln{{CVE: "CVE-2099-0001", ProductIDs: []string{"P1"}}},
	}, {
		// A row of the advisory index whose cell lists the product with its range.
		ID: "ICSMA-26-181-01", Source: SourceICSAdv, Title: "OFFIS DCMTK Toolkit", Published: day,
		Products: []Product{{ID: "ICSMA-26-181-01-1", Vendor: "OFFIS", Name: "DCMTK", Range: "<=3.7.0", RangeKind: "range", Status: "known_affected"}},
		Vulns:    []Vuln{{CVE: "CVE-2026-50003"}},
	}}}
	ctx := context.Background()
	m, err := NewMatcher(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		comp       Component
		want       Status // "" for no finding
		confidence Confidence
	}{
		{Component{Name: "dcmtk 3.6.5"}, Affected, Exact},
		{Component{Name: "DCMTK", Version: "3.6.2"}, Affected, Exact},
		{Component{Name: "dcmtk 3.6.7"}, NotAffected, ModelOnly},
		{Component{Name: "dcmtk"}, "", ""},           // no version: not judged
		{Component{Name: "dcmtkviewer 1.0"}, "", ""}, // another word, another product
		{Component{Name: "OpenSSH 8.9p1"}, "", ""},   // not a toolkit of the table
	}
	for _, tt := range tests {
		fs, err := m.Match(ctx, []Device{{ID: "ct", Manufacturer: "GE HealthCare", Model: "Revolution CT", Components: []Component{tt.comp}}})
		if err != nil {
			t.Fatal(err)
		}
		var got *Finding
		for i := range fs {
			if fs[i].Advisory == "ICSMA-22-174-01" {
				got = &fs[i]
			}
			if fs[i].Advisory == "ICSMA-99-001-01" {
				t.Errorf("%+v matched Acme's DCMTK Viewer: a toolkit is matched as its maker's product only", tt.comp)
			}
		}
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("%+v: unexpected finding %+v", tt.comp, got)
		case tt.want != "" && got == nil:
			t.Errorf("%+v: no finding, want %s", tt.comp, tt.want)
		case got != nil && (got.Status != tt.want || got.Confidence != tt.confidence || got.DeviceID != "ct" ||
			!strings.HasPrefix(got.Reason, "component ")):
			t.Errorf("%+v: finding %s/%s %q", tt.comp, got.Status, got.Confidence, got.Reason)
		}
	}
	fs, _ := m.Match(ctx, []Device{{ID: "ct", Manufacturer: "GE HealthCare", Model: "Revolution CT", Components: []Component{{Name: "dcmtk 3.6.9"}}}})
	row := false
	for _, f := range fs {
		row = row || f.Advisory == "ICSMA-26-181-01" && f.Status == Affected && f.Confidence == Exact
	}
	if !row {
		t.Errorf("dcmtk 3.6.9 against the index row DCMTK <=3.7.0: %+v", fs)
	}
	h, _ := m.History(ctx, "OFFIS")
	if len(h) != 2 {
		t.Errorf("OFFIS history = %+v, want the CSAF advisory and the index row", h)
	}
	if _, err := ParseToolkits([]byte(`[{"match":"x","vendor":""}]`)); err == nil {
		t.Error("a toolkit without vendor and product accepted")
	}
}
