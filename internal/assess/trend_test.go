package assess

import (
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// TestTrendWithIndexRows: advisories known only from the index count for
// how often and how severe, not for the share with a fix; a half without a
// loaded remediation is not compared on fixes.
func TestTrendWithIndexRows(t *testing.T) {
	at := func(y int) time.Time { return time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC) }
	item := func(y int, src vuln.Source, cvss float64, rem string) AdvisorySummary {
		return AdvisorySummary{Source: src, Published: at(y), MaxCVSS: cvss, Remediation: rem}
	}
	tests := []struct {
		name  string
		items []AdvisorySummary
		want  []string // substrings of the notes, in order
		verd  string
	}{
		{
			name: "index rows extend the record and its severity",
			items: []AdvisorySummary{
				item(2018, vuln.SourceCSAF, 5, RemedyFix), item(2019, vuln.SourceCSAF, 5, RemedyFix),
				item(2024, vuln.SourceCSAF, 9, RemedyMitigation), item(2025, vuln.SourceICSAdv, 9.8, RemedyNotLoaded),
				item(2026, vuln.SourceICSAdv, 9.1, RemedyNotLoaded),
			},
			want: []string{"advisories per year: worse", "mean highest CVSS: worse", "share with a fix: worse (100% → 0%)"},
			verd: TrendWorsening,
		},
		{
			name: "no loaded remediation in one half",
			items: []AdvisorySummary{
				item(2016, vuln.SourceICSAdv, 7, RemedyNotLoaded), item(2017, vuln.SourceICSAdv, 7, RemedyNotLoaded),
				item(2024, vuln.SourceCSAF, 7, RemedyFix), item(2025, vuln.SourceCSAF, 7, RemedyFix),
			},
			want: []string{"advisories per year", "mean highest CVSS: about the same", "share with a fix: not compared"},
		},
		{
			name:  "CVE records are not advisories",
			items: []AdvisorySummary{item(2018, vuln.SourceNVD, 9, RemedyNotApplicable), item(2019, vuln.SourceCSAF, 5, RemedyFix), item(2024, vuln.SourceCSAF, 5, RemedyFix), item(2025, vuln.SourceCVE5, 9, RemedyNotApplicable)},
			verd:  TrendNoData,
		},
	}
	for _, tt := range tests {
		tr := trend(tt.items, Timeliness{})
		notes := strings.Join(tr.Notes, " | ")
		for _, w := range tt.want {
			i := strings.Index(notes, w)
			if i < 0 {
				t.Errorf("%s: notes %q lack %q", tt.name, notes, w)
				continue
			}
			notes = notes[i+len(w):]
		}
		if tt.verd != "" && tr.Verdict != tt.verd {
			t.Errorf("%s: verdict %q, want %q (%v)", tt.name, tr.Verdict, tt.verd, tr.Notes)
		}
	}
}
