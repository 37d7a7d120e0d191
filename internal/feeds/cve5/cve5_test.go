package cve5

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
)

const rec = `{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2024-6795","state":"PUBLISHED","datePublished":"2024-08-01T00:00:00Z","dateUpdated":"2024-08-02T00:00:00Z"},
"containers":{"cna":{"providerMetadata":{"shortName":"BD"},"affected":[{"vendor":"Baxter","product":"Connex Health Portal","defaultStatus":"unaffected","versions":[{"version":"0","lessThan":"8/30/2024","status":"affected","versionType":"date"}]}],
"metrics":[{"cvssV3_1":{"version":"3.1","baseScore":10,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}],"problemTypes":[{"descriptions":[{"cweId":"CWE-89"}]}]},
"adp":[{"providerMetadata":{"shortName":"CISA-ADP"},"affected":[{"vendor":"baxter","product":"connex","cpes":["cpe:2.3:a:baxter:connex_health_portal:*:*:*:*:*:*:*:*"]}],
"metrics":[{"other":{"type":"ssvc","content":{"options":[{"Exploitation":"none"},{"Automatable":"yes"},{"Technical Impact":"total"}],"role":"CISA Coordinator","version":"2.0.3"}}}]}]}}`

func TestDecode(t *testing.T) {
	a, err := Decode(strings.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	v := a.Vulns[0]
	if v.SSVC == nil || v.SSVC.Exploitation != "none" || v.SSVC.Automatable != "yes" || v.SSVC.TechnicalImpact != "total" {
		t.Errorf("SSVC = %+v", v.SSVC)
	}
	if len(a.Products) != 2 || a.Products[0].Range != "<8/30/2024" || a.Products[1].CPE == "" {
		t.Errorf("products = %+v", a.Products)
	}
	if v.CWE[0] != "CWE-89" || v.Scores[0].Source != "BD" {
		t.Errorf("vuln = %+v", v)
	}
}

// TestAffectedProducts: a CPE with any version takes the entry's version
// ranges (CISA-ADP's DCMTK entry is "< 3.6.7", not every version), and
// "unspecified" as a first version means from the beginning.
func TestAffectedProducts(t *testing.T) {
	aff := []Affected{
		{Vendor: "offis", Product: "dcmtk", CPEs: []string{"cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:*"},
			Versions: []Version{{Status: "affected", Version: "0", LessThan: "3.6.7"}}},
		{Vendor: "OFFIS", Product: "DCMTK", Versions: []Version{{Status: "affected", Version: "unspecified", LessThan: "3.6.7"}}},
		{Vendor: "acme", CPEs: []string{"cpe:2.3:a:acme:gw:2.1:*:*:*:*:*:*:*"}, Versions: []Version{{Status: "affected", Version: "0", LessThan: "9"}}},
		{Vendor: "acme", CPEs: []string{"cpe:2.3:a:acme:hub:*:*:*:*:*:*:*:*"}, DefaultStatus: "affected"},
	}
	ps, err := AffectedProducts(aff, "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name+" "+p.Range+" "+p.Status+" cpe="+p.CPE)
	}
	want := []string{
		"dcmtk <3.6.7 affected cpe=cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:*",
		"dcmtk <3.6.7 affected cpe=",
		"DCMTK <3.6.7 affected cpe=",
		"gw 2.1 affected cpe=cpe:2.3:a:acme:gw:2.1:*:*:*:*:*:*:*",
		"hub vers:all/* affected cpe=cpe:2.3:a:acme:hub:*:*:*:*:*:*:*:*",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("products:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSharedVulnrichment(t *testing.T) {
	dir := testutil.SharedData(t, "feeds/nvd/cve5-vulnrichment")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	withSSVC := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Decode(strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if a.Vulns[0].SSVC != nil {
			withSSVC++
		}
	}
	if len(files) != 40 || withSSVC != 40 {
		t.Errorf("%d files, %d with SSVC", len(files), withSSVC)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(rec)
	f.Add(`{"dataType":"CVE_RECORD"}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Decode(strings.NewReader(s))
	})
}
