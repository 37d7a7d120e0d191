package assess

import (
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestClassifyRemediation(t *testing.T) {
	rem := func(cat, text string) *vuln.Advisory {
		return &vuln.Advisory{Vulns: []vuln.Vuln{{Remediations: []vuln.Remediation{{Category: cat, Text: text}}}}}
	}
	for _, tc := range []struct {
		name      string
		ad        *vuln.Advisory
		want      string
		wantQuote bool
	}{
		{"vendor fix", rem("vendor_fix", "Update to firmware version 2.4.1."), RemedyFix, false},
		{"fix filed as mitigation", rem("mitigation", "BD recommends customers update to the BD Alaris System 12.3, where available."), RemedyFix, false},
		{"no fix filed as vendor_fix", rem("vendor_fix", "BD has not developed a product fix to address these vulnerabilities."), RemedyNoFix, true},
		{"end of life", rem("mitigation", "The product is end-of-life and no longer supported; replace affected devices."), RemedyNoFix, true},
		{"future release is not a fix", rem("mitigation", "Vulnerabilities will be addressed in an upcoming release."), RemedyMitigation, false},
		{"mitigation", rem("mitigation", "Isolate the device in a VLAN."), RemedyMitigation, false},
		{"none", &vuln.Advisory{}, RemedyNone, false},
		{"categories only", nil, RemedyMitigation, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, quote := classifyRemediation(tc.ad, []string{"mitigation"})
			if got != tc.want || (quote != "") != tc.wantQuote {
				t.Errorf("got %s %q, want %s (quote %v)", got, quote, tc.want, tc.wantQuote)
			}
		})
	}
}

func TestTimelinessRules(t *testing.T) {
	ad := &vuln.Advisory{ID: "A", Source: vuln.SourceCSAF, Published: d("2023-01-10"), Revisions: []vuln.Revision{
		{Date: d("2023-01-10"), Number: "1", Summary: "Initial Publication"},
		{Date: d("2023-03-01"), Number: "2", Summary: "Update A - Added CVE-2023-0003 to the advisory"},
		{Date: d("2023-06-10"), Number: "3", Summary: "Update B - Vendor has released version 5.1, which remediates CVE-2023-0001 and CVE-2023-0003"},
	}}
	h := []vuln.HistoryEntry{{Advisory: "A", Source: vuln.SourceCSAF, Published: d("2023-01-10"), CVEs: []string{"CVE-2023-0001", "CVE-2023-0002", "CVE-2023-0003"},
		CVEPublished: map[string]time.Time{"CVE-2023-0001": d("2023-01-05"), "CVE-2023-0003": d("2023-02-20")}}}
	items := []AdvisorySummary{{ID: "A", Source: vuln.SourceCSAF, Remediation: RemedyFix}}
	tl := timeliness(h, map[string]*vuln.Advisory{"A": ad}, items, time.Time{})
	type row struct {
		listed          string
		toAdv, fix, toF int // -1: nil
	}
	ip := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	got := map[string]row{}
	for _, c := range tl.CVEs {
		fix := -1
		if c.FixDate != nil {
			fix = c.FixDate.YearDay()
		}
		got[c.CVE] = row{c.Listed.Format("2006-01-02"), ip(c.DaysToAdvisory), fix, ip(c.DaysToFix)}
	}
	want := map[string]row{
		// disclosed 5 days before the advisory; fixed by revision 3 (named), 156 days after disclosure
		"CVE-2023-0001": {"2023-01-10", 5, d("2023-06-10").YearDay(), 156},
		// no CVE record date; not named by the fix revision: no fix
		"CVE-2023-0002": {"2023-01-10", -1, -1, -1},
		// added by update A, 9 days after its CVE record; fixed 110 days after disclosure
		"CVE-2023-0003": {"2023-03-01", 9, d("2023-06-10").YearDay(), 110},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
	if tl.WithCVEDate != 2 || tl.WithoutCVEDate != 1 || tl.NoFix != 1 {
		t.Errorf("dated %d, undated %d, no fix %d", tl.WithCVEDate, tl.WithoutCVEDate, tl.NoFix)
	}
	if tl.MedianDaysToFix == nil || *tl.MedianDaysToFix != 133 {
		t.Errorf("median days to fix %v, want 133", tl.MedianDaysToFix)
	}
}

func TestOutdatedOS(t *testing.T) {
	at := d("2026-09-01")
	for os, want := range map[string]bool{
		"Windows 7 or 8": true, "Windows XP Embedded": true, "Windows Server 2008 R2": true, "Windows 10": true,
		"Windows Server 2016 or later": false, "Windows 11": false, "Linux": false, "": false, "Windows Server 2019": false,
	} {
		if got := OutdatedOS(os, at) != ""; got != want {
			t.Errorf("OutdatedOS(%q) = %v, want %v", os, got, want)
		}
	}
	if OutdatedOS("Windows 10", d("2024-01-01")) != "" {
		t.Error("Windows 10 was supported in 2024")
	}
}
