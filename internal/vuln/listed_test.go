package vuln

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// listedFixture is fixture() plus rows of an advisory index (SourceICSAdv):
// one repeating the CSAF advisory under its number, one repeating only its
// CVE, one the CSAF files lack, and one scoring the regreSSHion CVE that no
// record scores.
func listedFixture() *MemProvider {
	p := fixture()
	day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	row := func(id, vendor, product, cve string, score float64) Advisory {
		a := Advisory{ID: id, Source: SourceICSAdv, Title: product, Publisher: "CISA", Published: day, Updated: day,
			Products: []Product{{ID: id + "-1", Vendor: vendor, Name: product, Status: StatusListed, Affected: product + ": versions 2.0 and prior"}}}
		if cve != "" {
			a.Vulns = []Vuln{{CVE: cve, Published: day, Scores: []Score{{Source: "CISA", Score: score}}}}
		}
		return a
	}
	p.Items = append(p.Items,
		row("ICSMA-20-317-01", "Becton, Dickinson and Company (BD)", "Alaris", "CVE-2020-25165", 6.5),
		row("ICSMA-21-001-01", "BD", "Alaris PC Unit", "CVE-2020-25165", 6.5),
		row("ICSMA-26-064-01", "BD", "Alaris PC Unit Model 8015", "CVE-2026-0001", 9.1),
		row("ICSA-24-256-15", "Siemens", "SINEMA Remote Connect Server", "CVE-2024-6387", 8.1),
	)
	p.Items = append(p.Items, Advisory{ID: "CVE-2026-0001", Source: SourceNVD, Published: day,
		Products: []Product{{ID: "c", Vendor: "bd", Name: "infusion gateway", Range: "<=1", RangeKind: "range", CPE: "cpe:2.3:o:bd:infusion_gateway:*:*:*:*:*:*:*:*"}},
		Vulns:    []Vuln{{CVE: "CVE-2026-0001"}}})
	return p
}

func TestHistoryListed(t *testing.T) {
	ctx := context.Background()
	m, err := NewMatcher(ctx, listedFixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.History(ctx, "BD")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range h {
		ids = append(ids, string(e.Source)+":"+e.Advisory)
	}
	// The row under the CSAF number and the row of the CSAF CVE are the
	// same advisory; the new row stands, and its CVE's NVD record is not
	// counted a second time.
	if !slices.Equal(ids, []string{"csaf:ICSMA-20-317-01", "icsadv:ICSMA-26-064-01"}) {
		t.Fatalf("history = %q", ids)
	}
	if e := h[1]; e.MaxCVSS != 9.1 || !slices.Equal(e.Products, []string{"Alaris PC Unit Model 8015"}) || !slices.Equal(e.CVEs, []string{"CVE-2026-0001"}) {
		t.Errorf("index row in history = %+v", e)
	}
}

// TestListedMatches: a device whose model an index row names is raised as
// under_investigation (versions unknown), never affected; rows a CSAF
// advisory repeats leave the verdict to it; a family-only match is not raised.
func TestListedMatches(t *testing.T) {
	ctx := context.Background()
	m, err := NewMatcher(ctx, listedFixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := m.Match(ctx, []Device{{ID: "1", Manufacturer: "BD", Model: "Alaris PC Unit 8015", Version: "9.19"},
		{ID: "2", Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH 8.9p1"}}},
		{ID: "3", Manufacturer: "BD", Model: "Alaris Syringe", Version: "1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	var regre *Finding
	rows := map[string]Finding{}
	for i, f := range fs {
		if f.Source == SourceICSAdv {
			rows[f.DeviceID+" "+f.Advisory] = f
		}
		if f.Advisory == "regreSSHion" {
			regre = &fs[i]
		}
	}
	f, ok := rows["1 ICSMA-26-064-01"]
	if len(rows) != 1 || !ok {
		t.Fatalf("index-row findings = %+v, want only device 1's ICSMA-26-064-01", rows)
	}
	// A record with versions for the same CVE decides instead.
	p := listedFixture()
	p.Items = append(p.Items, Advisory{ID: "CVE-2026-0001", Source: SourceCVE5, Products: []Product{{ID: "x", Vendor: "BD", Name: "Alaris PC Unit 8015", Range: "< 2.0", RangeKind: "range"}},
		Vulns: []Vuln{{CVE: "CVE-2026-0001"}}})
	m2, _ := NewMatcher(ctx, p, Options{})
	fs2, _ := m2.Match(ctx, []Device{{ID: "1", Manufacturer: "BD", Model: "Alaris PC Unit 8015", Version: "9.19"}})
	for _, g := range fs2 {
		if g.Source == SourceICSAdv {
			t.Errorf("index row raised although a CVE 5 record judged its CVE: %+v", g)
		}
	}
	if f.Status != UnderInvestigation || f.Confidence != ModelOnly || !slices.Equal(f.CVEs, []string{"CVE-2026-0001"}) || f.MaxCVSS() != 9.1 ||
		!strings.Contains(f.Reason, "affected versions are not in the loaded feeds") || !strings.Contains(f.Reason, "version 9.19") ||
		!strings.HasSuffix(f.Reason, "; CISA lists as affected: Alaris PC Unit Model 8015: versions 2.0 and prior") {
		t.Errorf("index-row finding = %+v", f)
	}
	if regre == nil || regre.MaxCVSS() != 8.1 {
		t.Fatalf("regreSSHion finding = %+v: no record scores CVE-2024-6387, so the advisory index's CISA score stands in", regre)
	}
	// Once a record scores the CVE, the index row's score is not repeated.
	p = listedFixture()
	p.Items = append(p.Items, Advisory{ID: "CVE-2024-6387", Source: SourceNVD, Vulns: []Vuln{{CVE: "CVE-2024-6387",
		Scores: []Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 8.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}}})
	m, _ = NewMatcher(ctx, p, Options{})
	fs, _ = m.Match(ctx, []Device{{ID: "2", Manufacturer: "Acme", Model: "Viewer", Components: []Component{{Name: "OpenSSH 8.9p1"}}}})
	for _, f := range fs {
		if f.Advisory == "regreSSHion" && (len(f.CVSS) != 1 || f.CVSS[0].Source != "nvd@nist.gov") {
			t.Errorf("regreSSHion CVSS = %+v, want only NVD's", f.CVSS)
		}
	}
}
