package icsadv

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

// table is written in the layout of the ICS Advisory Project's master file
// (column names, M/D/YYYY dates, "(Update A)" titles, vendor lists, rows
// repeated per vendor); the rows are made up.
const table = "\ufefficsad_ID,Original_Release_Date,Last_Updated,Year,ICS-CERT_Number,ICS-CERT_Advisory_Title,Vendor,Product,Products_Affected,CVE_Number,Cumulative_CVSS,CVSS_Severity,CWE_Number,Critical_Infrastructure_Sector,Product_Distribution,Company_Headquarters,License\n" +
	`1,3/4/2025,3/18/2025,2025,ICSMA-25-063-01,Example Infusion Pump (Update A),"Becton, Dickinson and Company (BD)",Alaris Example,"Alaris Example: Versions 1.2 and prior",CVE-2025-0001,8.1,High,CWE-798,Healthcare and Public Health,Worldwide,United States,ODbL` + "\n" +
	`2,11/2/2026,11/2/2026,2026,ICSA-26-306-02,Embedded TCP/IP Stack,"ENEA, Green Hills Software, Wind River",Network stacks,"many","CVE-2026-1111, CVE-2026-1112; CVE-2026-1111",9.8,Critical,"CWE-787, CWE-125",Multiple Critical Sectors,Worldwide,Multiple,ODbL` + "\n" +
	`3,11/2/2026,11/5/2026,2026,ICSA-26-306-02,Embedded TCP/IP Stack,Siemens,Network stacks,"many",CVE-2026-1113,7.5,High,CWE-20,Multiple Critical Sectors,Worldwide,Multiple,ODbL` + "\n" +
	"\n" +
	`4,2026-01-08,,2026,icsma-26-008-01b,Example Monitor,Philips,IntelliVue Example,x,,Not Applicable,Not Applicable,,Healthcare and Public Health,Worldwide,Netherlands,ODbL` + "\n"

func decodeAll(t *testing.T, s string) []*vuln.Advisory {
	t.Helper()
	var got []*vuln.Advisory
	n, err := Decode(strings.NewReader(s), nil, func(a *vuln.Advisory) error { got = append(got, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != len(got) {
		t.Fatalf("Decode counted %d, delivered %d", n, len(got))
	}
	return got
}

func TestDecode(t *testing.T) {
	got := decodeAll(t, table)
	if len(got) != 3 {
		t.Fatalf("advisories = %d, want 3 (the repeated ICSA-26-306-02 merged)", len(got))
	}
	bd := got[0]
	if bd.ID != "ICSMA-25-063-01" || bd.Source != vuln.SourceICSAdv || bd.Publisher != "CISA" ||
		!bd.Published.Equal(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)) || !bd.Updated.Equal(time.Date(2025, 3, 18, 0, 0, 0, 0, time.UTC)) ||
		bd.URL != "https://www.cisa.gov/news-events/ics-medical-advisories/icsma-25-063-01" {
		t.Errorf("BD advisory header = %+v", bd)
	}
	if len(bd.Products) != 1 || bd.Products[0].Vendor != "Becton, Dickinson and Company (BD)" || bd.Products[0].Manufacturer != "BD" ||
		bd.Products[0].Status != vuln.StatusListed || bd.Products[0].Name != "Alaris Example" || bd.Products[0].Affected != "Alaris Example: Versions 1.2 and prior" {
		t.Errorf("BD products = %+v (one known manufacturer, not split at its comma)", bd.Products)
	}
	if len(bd.Vulns) != 1 || bd.Vulns[0].CVE != "CVE-2025-0001" || len(bd.Vulns[0].Scores) != 1 || bd.Vulns[0].Scores[0].Score != 8.1 ||
		!slices.Equal(bd.Vulns[0].CWE, []string{"CWE-798"}) {
		t.Errorf("BD vulns = %+v (one CVE: the advisory's score and CWE are its own)", bd.Vulns)
	}

	stack := got[1]
	var vendors []string
	for _, p := range stack.Products {
		vendors = append(vendors, p.Vendor)
	}
	if !slices.Equal(vendors, []string{"ENEA", "Green Hills Software", "Wind River", "Siemens"}) {
		t.Errorf("stack vendors = %q", vendors)
	}
	if !slices.Equal(stack.CVEs(), []string{"CVE-2026-1111", "CVE-2026-1112", "CVE-2026-1113"}) {
		t.Errorf("stack CVEs = %q (deduplicated, merged across the repeated rows)", stack.CVEs())
	}
	if !stack.Updated.Equal(time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("stack updated = %v, want the later row's", stack.Updated)
	}
	for _, v := range stack.Vulns {
		if v.CVE != "" && (len(v.Scores) > 0 || len(v.CWE) > 0) {
			t.Errorf("%s carries %v %v: with several CVEs the advisory's score is not any one CVE's", v.CVE, v.Scores, v.CWE)
		}
	}
	whole := stack.Vulns[slices.IndexFunc(stack.Vulns, func(v vuln.Vuln) bool { return v.CVE == "" })]
	if len(whole.Scores) != 1 || whole.Scores[0].Score != 9.8 || !slices.Equal(whole.CWE, []string{"CWE-787", "CWE-125", "CWE-20"}) {
		t.Errorf("advisory-wide entry = %+v", whole)
	}

	ph := got[2]
	if ph.ID != "ICSMA-26-008-01" || !ph.Updated.Equal(ph.Published) || len(ph.Vulns) != 0 {
		t.Errorf("Philips row = %+v (update letter dropped, no update date means the release, 'Not Applicable' is no score)", ph)
	}
}

func TestStructured(t *testing.T) {
	for in, want := range map[string]string{
		"DCMTK <=3.7.0":                    "DCMTK <=3.7.0 range",
		"pynetdicom >=v1.0.0|<v3.0.4":      "pynetdicom >=v1.0.0|<v3.0.4 range",
		"BioFlo 320 Bioreactor vers:all/*": "BioFlo 320 Bioreactor vers:all/* range",
		"Johnson Controls Inc Metasys 14: <v14.1.5, Johnson Controls Inc Metasys 15: <v15.0.1": "Johnson Controls Inc Metasys 14 <v14.1.5 range; Johnson Controls Inc Metasys 15 <v15.0.1 range",
		"Mira Monitor Firmware 1.7.1.47 | Mira Android App 4.5.15.4":                           "Mira Monitor Firmware 1.7.1.47 version; Mira Android App 4.5.15.4 version",
		"Grassroots Grassroots DICOM (GDCM): 3.2.2":                                            "Grassroots Grassroots DICOM (GDCM) 3.2.2 version",
		"RUGGEDCOM ROX MX5000 vers:intdot/<2.17.1":                                             "RUGGEDCOM ROX MX5000 vers:intdot/<2.17.1 range",
		// prose and half-structured cells stay index rows
		"The following Santesoft products are affected: Sante PACS Server: Versions prior to 4.2.3.": "",
		"Synapse Mobility: Versions prior to 8.2.":                                                   "",
		"PPC3100 <1.8.1, 1.8.1 | C50 <1.8.0, 1.8.0":                                                  "",
		"Schneider Electric Plant iT/Brewmaxx: 9.60_and_above":                                       "",
		"Flow Neuroscience FL-100: <July_2026":                                                       "",
		"Frontier X Android application vers<v15.0.0":                                                "",
		"Pulsetto Vagus Nerve Stimulator":                                                            "",
		"Model C2 Electric WheelChair | Model F Power Chair":                                         "",
		"": "",
	} {
		items, ok := structured(in)
		var got []string
		for _, it := range items {
			got = append(got, it.name+" "+it.rng+" "+it.kind)
		}
		if g := strings.Join(got, "; "); g != want || ok != (want != "") {
			t.Errorf("structured(%q) = %q, %v; want %q", in, g, ok, want)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("Metasys ADS version 9 and prior, ", 40)
	got := clip(long, maxAffected)
	if len(got) > maxAffected+len(" …") || !strings.HasSuffix(got, " …") || strings.HasSuffix(strings.TrimSuffix(got, " …"), " ") {
		t.Errorf("clip = %q (%d bytes)", got, len(got))
	}
	if got := clip("  a\n b  ", 10); got != "a b" {
		t.Errorf("clip of a short text = %q, want its words", got)
	}
	if got := clip(strings.Repeat("é", 400), 15); got != "ééééééé …" {
		t.Errorf("clip inside a long word = %q, want a cut at a rune boundary", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	head, _, _ := strings.Cut(table, "\n")
	for name, tc := range map[string]struct{ in, want string }{
		"not csv":        {head + "\n1,\"unclosed\n", "line 2"},
		"missing column": {"icsad_ID,ICS-CERT_Number,Product\n1,ICSA-10-001-01,x\n", `no "vendor" column`},
		"bad date":       {head + "\n1,31/31/2025,,2025,ICSA-25-001-01,t,Acme,p,,CVE-2025-1,5,Medium,,x,y,z,l\n", `line 2: ICSA-25-001-01: release date: "31/31/2025" is not a date`},
		"no vendor":      {head + "\n1,1/1/2025,,2025,ICSA-25-001-01,t,,p,,CVE-2025-1,5,Medium,,x,y,z,l\n", "line 2: ICSA-25-001-01: no vendor"},
		"no number":      {head + "\n1,1/1/2025,,2025,,t,Acme,p,,CVE-2025-1,5,Medium,,x,y,z,l\n", "line 2: no advisory number"},
		"empty":          {"", "header"},
	} {
		delivered := 0
		_, err := Decode(strings.NewReader(tc.in), nil, func(*vuln.Advisory) error { delivered++; return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
		if delivered != 0 {
			t.Errorf("%s: %d advisories delivered before the error; a broken file gives none", name, delivered)
		}
	}
}

func TestSniff(t *testing.T) {
	if !Sniff([]byte(table)) {
		t.Error("the table's header is not recognised")
	}
	for _, s := range []string{"cve,epss,percentile\n", `{"icsad_ID":1}`, "id,vendor\n"} {
		if Sniff([]byte(s)) {
			t.Errorf("Sniff(%q) = true", s)
		}
	}
}

// TestSharedTable reads the real table: every row, the medical advisories
// CISA published after the CSAF mirror's date, and vendor lists split.
func TestSharedTable(t *testing.T) {
	f, err := os.Open(testutil.SharedData(t, "feeds/ics-advisory-project/CISA_ICS_ADV_Master.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []*vuln.Advisory
	if _, err := Decode(f, nil, func(a *vuln.Advisory) error { all = append(all, a); return nil }); err != nil {
		t.Fatal(err)
	}
	medical, after, scored, ranged := 0, 0, 0, 0
	var dcmtk *vuln.Advisory
	mirror := time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)
	for _, a := range all {
		if strings.HasPrefix(a.ID, "ICSMA-") {
			medical++
			if a.Published.After(mirror) {
				after++
			}
		}
		for _, v := range a.Vulns {
			if len(v.Scores) > 0 {
				scored++
				break
			}
		}
		if a.Products[0].Status != vuln.StatusListed {
			ranged++
		}
		if a.ID == "ICSMA-26-181-01" {
			dcmtk = a
		}
		if len(a.Products) == 0 || a.Published.IsZero() || a.Updated.Before(a.Published) {
			t.Errorf("%s: products %d, published %v, updated %v", a.ID, len(a.Products), a.Published, a.Updated)
		}
	}
	if len(all) < 3900 || medical < 185 || after < 20 || scored < len(all)*9/10 || ranged < 100 {
		t.Errorf("advisories %d, ICSMA %d (%d after the CSAF mirror), scored %d, with product ranges %d", len(all), medical, after, scored, ranged)
	}
	if dcmtk == nil || len(dcmtk.Products) != 1 || dcmtk.Products[0].Name != "DCMTK" || dcmtk.Products[0].Range != "<=3.7.0" || dcmtk.Products[0].Status != "known_affected" {
		t.Errorf("ICSMA-26-181-01 = %+v, want the product DCMTK <=3.7.0", dcmtk)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(table)
	f.Add("icsad_ID,ICS-CERT_Number,Vendor,Original_Release_Date\n1,ICSA-1,\"a, b and c\",1/1/2020\n")
	norm := vuln.NewNormalizer(nil)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Decode(strings.NewReader(s), norm, func(a *vuln.Advisory) error {
			if a.ID == "" || len(a.Products) == 0 {
				t.Fatalf("advisory without number or product: %+v", a)
			}
			return nil
		})
	})
}
