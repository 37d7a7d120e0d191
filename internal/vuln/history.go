package vuln

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// HistoryEntry summarizes one advisory of a manufacturer, for
// pre-procurement assessment (how often, how severe, how fixed).
type HistoryEntry struct {
	Advisory              string    `json:"advisory"`
	Source                Source    `json:"source"`
	Title                 string    `json:"title"`
	Published             time.Time `json:"published"`
	Updated               time.Time `json:"updated"`
	Products              []string  `json:"products"`
	CVEs                  []string  `json:"cves"`
	MaxCVSS               float64   `json:"max_cvss"`
	CVSS                  []Score   `json:"cvss"`
	CWE                   []string  `json:"cwe"`
	RemediationCategories []string  `json:"remediation_categories"`
	KEVCVEs               []string  `json:"kev_cves"`
	// CVEPublished dates each CVE from its CVE/NVD record when known:
	// advisory updates add CVEs long after the initial release.
	CVEPublished map[string]time.Time `json:"cve_published,omitempty"`
	Revisions    int                  `json:"revisions"`
}

var advisoryIDRe = regexp.MustCompile(`^(ICS[A-Z]{0,2}-\d{2}-\d{3}-\d{2,3})[A-Z]?$`)

// BaseAdvisoryID is a CISA advisory number without its update letter: a
// CSAF file is ICSA-17-117-01B where an index lists ICSA-17-117-01
// ("Update B" in its title). Other ids are returned upper-cased.
func BaseAdvisoryID(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	if m := advisoryIDRe.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return id
}

// History lists the advisories that name manufacturer (any spelling),
// oldest first. CSAF advisories are listed, then rows of an advisory index
// that no CSAF advisory duplicates, then CVE records whose CVEs none of
// those covers.
func (m *Matcher) History(ctx context.Context, manufacturer string) ([]HistoryEntry, error) {
	key := fold(m.norm.Manufacturer(manufacturer))
	seen := map[int]bool{}
	var idx []int
	for _, r := range m.byMfr[key] {
		if !seen[r.adv] && m.advs[r.adv].Source != SourceICSAdv { // index rows come from m.listed below
			seen[r.adv] = true
			idx = append(idx, r.adv)
		}
	}
	covered := map[string]bool{}
	csafIDs := map[string]bool{}
	for _, i := range idx {
		if m.advs[i].Source == SourceCSAF {
			csafIDs[BaseAdvisoryID(m.advs[i].ID)] = true
			for _, c := range m.advs[i].CVEs() {
				covered[c] = true
			}
		}
	}
	// Index rows (SourceICSAdv) add the advisories no loaded CSAF file is:
	// older, newer or not in the set. One that is (same number, or only
	// CVEs a CSAF advisory already lists) would be counted twice.
	var rows []int
	for _, i := range m.listed[key] {
		if !repeated(m.advs[i], csafIDs, covered) {
			rows = append(rows, i)
		}
	}
	for _, i := range rows {
		for _, c := range m.advs[i].CVEs() {
			covered[c] = true
		}
	}
	var out []HistoryEntry
	var all []string
	for _, i := range append(idx, rows...) {
		a := m.advs[i]
		if a.Source != SourceCSAF && a.Source != SourceICSAdv && slices.ContainsFunc(a.CVEs(), func(c string) bool { return covered[c] }) {
			continue
		}
		h := HistoryEntry{Advisory: a.ID, Source: a.Source, Title: a.Title, Published: a.Published, Updated: a.Updated,
			CVEs: a.CVEs(), Revisions: len(a.Revisions), CVSS: []Score{}, CWE: []string{}, RemediationCategories: []string{}, KEVCVEs: []string{}}
		for pi, p := range a.Products {
			if fold(m.norm.AdvisoryManufacturer(a, &a.Products[pi])) == key {
				h.Products = append(h.Products, p.Name)
			}
		}
		slices.Sort(h.Products)
		h.Products = slices.Compact(h.Products)
		var vi []int
		for j := range a.Vulns {
			vi = append(vi, j)
		}
		f := Finding{}
		m.fillDetails(&f, a, "", vi)
		h.CVSS = append(h.CVSS, f.CVSS...)
		h.CWE = append(h.CWE, f.CWE...)
		h.MaxCVSS = f.MaxCVSS()
		for _, r := range f.Remediations {
			if !slices.Contains(h.RemediationCategories, r.Category) {
				h.RemediationCategories = append(h.RemediationCategories, r.Category)
			}
		}
		slices.Sort(h.RemediationCategories)
		for _, c := range h.CVEs {
			if agg := m.cveInfo[c]; agg != nil && !agg.pub.IsZero() {
				if h.CVEPublished == nil {
					h.CVEPublished = map[string]time.Time{}
				}
				h.CVEPublished[c] = agg.pub
			}
		}
		all = append(all, h.CVEs...)
		out = append(out, h)
	}
	kev, err := m.p.KEV(ctx, all)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for _, c := range out[i].CVEs {
			if _, ok := kev[c]; ok {
				out[i].KEVCVEs = append(out[i].KEVCVEs, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b HistoryEntry) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.Advisory, b.Advisory))
	})
	return out, nil
}
