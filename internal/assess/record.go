package assess

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// Record is the manufacturer's public security record.
type Record struct {
	Advisories  int               `json:"advisories"`  // CISA advisories: CSAF files, and advisory-index rows no CSAF file repeats
	CVERecords  int               `json:"cve_records"` // CVE records with no advisory of the manufacturer
	CVEs        int               `json:"cves"`        // distinct CVEs
	First       *time.Time        `json:"first,omitempty"`
	Last        *time.Time        `json:"last,omitempty"`
	PerYear     []YearCount       `json:"per_year"`
	Severity    []SeverityMix     `json:"severity"`
	KEV         []KEVItem         `json:"kev"`
	Ransomware  int               `json:"ransomware"` // KEV CVEs known to be used in ransomware campaigns
	CWEs        []CWECount        `json:"cwes"`
	Remediation RemediationMix    `json:"remediation"`
	Timeliness  Timeliness        `json:"timeliness"`
	Trend       Trend             `json:"trend"`
	Products    []ProductCount    `json:"products"`
	Items       []AdvisorySummary `json:"items"`
}

// YearCount counts one year of the record.
type YearCount struct {
	Year       int `json:"year"`
	Advisories int `json:"advisories"`  // advisories (as in Record) first released that year
	CVERecords int `json:"cve_records"` // standalone CVE records published that year
	CVEs       int `json:"cves"`        // CVEs first listed that year
	KEV        int `json:"kev"`         // of those, in KEV
}

// Severity bands (CVSS qualitative ratings).
const (
	Critical = "critical"
	High     = "high"
	Medium   = "medium"
	Low      = "low"
	NoneSev  = "none"
)

// SeverityMix counts CVEs by rating for one scoring source.
type SeverityMix struct {
	Source   string `json:"source"`
	Critical int    `json:"critical"`
	High     int    `json:"high"`
	Medium   int    `json:"medium"`
	Low      int    `json:"low"`
	None     int    `json:"none"`
}

// Total is the number of CVEs the source scored.
func (s SeverityMix) Total() int { return s.Critical + s.High + s.Medium + s.Low + s.None }

// KEVItem is one known-exploited CVE of the record.
type KEVItem struct {
	CVE        string    `json:"cve"`
	Name       string    `json:"name"`
	Advisories []string  `json:"advisories"`
	DateAdded  time.Time `json:"date_added"`
	Ransomware bool      `json:"ransomware"`
	EPSS       *float64  `json:"epss,omitempty"`
}

// CWECount is one weakness class of the record.
type CWECount struct {
	CWE        string   `json:"cwe"`
	CVEs       int      `json:"cves"`
	Advisories []string `json:"advisories"`
	Recurring  bool     `json:"recurring"` // in three or more advisories
}

// Remediation classes of an advisory.
const (
	RemedyFix        = "fix"
	RemedyMitigation = "mitigation_only"
	RemedyNoFix      = "no_fix"
	RemedyNone       = "none_published"
	// RemedyNotApplicable marks CVE records, which are not advisories.
	RemedyNotApplicable = "cve_record"
	// RemedyNotLoaded marks an advisory known from an index row only: its
	// remediation text is not in the loaded feeds.
	RemedyNotLoaded = "not_loaded"
)

// RemediationMix counts the CSAF advisories by remediation class (an
// index row has no remediation text to classify).
type RemediationMix struct {
	Fix            int `json:"fix"`
	MitigationOnly int `json:"mitigation_only"`
	NoFix          int `json:"no_fix"`
	NonePublished  int `json:"none_published"`
	// FixWithEOL counts fix advisories that also declare some products end
	// of life or without a fix.
	FixWithEOL int `json:"fix_with_eol"`
}

// Total is the number of classified advisories.
func (r RemediationMix) Total() int { return r.Fix + r.MitigationOnly + r.NoFix + r.NonePublished }

// ProductCount is one product line and how many advisories named it.
type ProductCount struct {
	Name       string `json:"name"`
	Advisories int    `json:"advisories"`
}

// AdvisorySummary is one advisory of the record.
type AdvisorySummary struct {
	ID          string      `json:"id"`
	Source      vuln.Source `json:"source"`
	Title       string      `json:"title"`
	Published   time.Time   `json:"published"`
	Updated     time.Time   `json:"updated"`
	Revisions   int         `json:"revisions"`
	CVEs        []string    `json:"cves"`
	MaxCVSS     float64     `json:"max_cvss"`
	KEV         []string    `json:"kev"`
	CWE         []string    `json:"cwe"`
	Remediation string      `json:"remediation"`
	Products    []string    `json:"products"`
	// NoFixText quotes the remediation that says no fix will come.
	NoFixText string `json:"no_fix_text,omitempty"`
}

func (a *Assessor) record(ctx context.Context, hist []vuln.HistoryEntry, full map[string]*vuln.Advisory) (Record, error) {
	r := Record{PerYear: []YearCount{}, Severity: []SeverityMix{}, KEV: []KEVItem{}, CWEs: []CWECount{}, Products: []ProductCount{}, Items: []AdvisorySummary{}}
	r.Timeliness = Timeliness{CVEs: []CVETiming{}, Buckets: []Bucket{}}
	if len(hist) == 0 {
		r.Trend = Trend{Verdict: TrendNoData, Notes: []string{"no advisories"}}
		return r, nil
	}
	years := map[int]*YearCount{}
	year := func(y int) *YearCount {
		if years[y] == nil {
			years[y] = &YearCount{Year: y}
		}
		return years[y]
	}
	cveSeen := map[string]bool{}
	cveAdvs := map[string][]string{}
	cweCVEs := map[string]map[string]bool{}
	cweAdvs := map[string][]string{}
	products := map[string]int{}
	// per source, per CVE: the highest score of that source
	srcScore := map[string]map[string]float64{}
	var all []string
	for _, h := range hist {
		ad := full[h.Advisory]
		s := AdvisorySummary{ID: h.Advisory, Source: h.Source, Title: h.Title, Published: h.Published, Updated: h.Updated, Revisions: h.Revisions,
			CVEs: nonNil(h.CVEs), MaxCVSS: h.MaxCVSS, KEV: nonNil(h.KEVCVEs), CWE: nonNil(h.CWE), Products: nonNil(h.Products)}
		// Only the manufacturer's advisories say how it remediates; a CVE
		// record without an advisory has no remediation to classify.
		switch h.Source {
		case vuln.SourceCSAF:
			s.Remediation, s.NoFixText = classifyRemediation(ad, h.RemediationCategories)
		case vuln.SourceICSAdv:
			s.Remediation = RemedyNotLoaded
		default:
			s.Remediation = RemedyNotApplicable
		}
		if s.Remediation == RemedyFix && s.NoFixText != "" {
			r.Remediation.FixWithEOL++
		}
		switch s.Remediation {
		case RemedyNotApplicable, RemedyNotLoaded:
		case RemedyFix:
			r.Remediation.Fix++
		case RemedyMitigation:
			r.Remediation.MitigationOnly++
		case RemedyNoFix:
			r.Remediation.NoFix++
		default:
			r.Remediation.NonePublished++
		}
		y := year(h.Published.Year())
		if h.Source == vuln.SourceCSAF || h.Source == vuln.SourceICSAdv {
			r.Advisories++
			y.Advisories++
		} else {
			r.CVERecords++
			y.CVERecords++
		}
		for _, c := range h.CVEs {
			cveAdvs[c] = append(cveAdvs[c], h.Advisory)
			if !cveSeen[c] {
				cveSeen[c] = true
				y.CVEs++
				if slices.Contains(h.KEVCVEs, c) {
					y.KEV++
				}
				all = append(all, c)
			}
		}
		for _, sc := range h.CVSS {
			src := sourceLabel(sc.Source)
			if srcScore[src] == nil {
				srcScore[src] = map[string]float64{}
			}
			// The history flattens scores per advisory; with one CVE the
			// score is that CVE's, with several the per-CVE scores come
			// from the full advisory below.
			if len(h.CVEs) == 1 {
				srcScore[src][h.CVEs[0]] = max(srcScore[src][h.CVEs[0]], sc.Score)
			}
		}
		if ad != nil && len(h.CVEs) != 1 {
			for _, v := range ad.Vulns {
				if v.CVE == "" {
					continue
				}
				for _, sc := range v.Scores {
					src := sourceLabel(sc.Source)
					if srcScore[src] == nil {
						srcScore[src] = map[string]float64{}
					}
					srcScore[src][v.CVE] = max(srcScore[src][v.CVE], sc.Score)
				}
			}
		}
		// CWE per CVE needs the full advisory; the history has them per advisory.
		if ad != nil {
			for _, v := range ad.Vulns {
				for _, w := range v.CWE {
					if cweCVEs[w] == nil {
						cweCVEs[w] = map[string]bool{}
					}
					cweCVEs[w][cmp.Or(v.CVE, h.Advisory+"#"+v.Title)] = true
				}
			}
		}
		for _, w := range slices.Compact(slices.Sorted(slices.Values(h.CWE))) {
			cweAdvs[w] = append(cweAdvs[w], h.Advisory)
			if cweCVEs[w] == nil {
				cweCVEs[w] = map[string]bool{h.Advisory: true}
			}
		}
		for _, p := range slices.Compact(slices.Sorted(slices.Values(h.Products))) {
			products[p]++
		}
		r.Items = append(r.Items, s)
	}
	r.CVEs = len(cveSeen)
	first, last := hist[0].Published, hist[len(hist)-1].Published
	r.First, r.Last = &first, &last
	for y := first.Year(); y <= last.Year(); y++ {
		r.PerYear = append(r.PerYear, *year(y)) // years without advisories count as zero
	}
	for src, m := range srcScore {
		mix := SeverityMix{Source: src}
		for _, s := range m {
			switch band(s) {
			case Critical:
				mix.Critical++
			case High:
				mix.High++
			case Medium:
				mix.Medium++
			case Low:
				mix.Low++
			default:
				mix.None++
			}
		}
		if mix.Total() > 0 {
			r.Severity = append(r.Severity, mix)
		}
	}
	slices.SortFunc(r.Severity, func(a, b SeverityMix) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), cmp.Compare(a.Source, b.Source))
	})
	kev, err := a.d.Provider.KEV(ctx, all)
	if err != nil {
		return r, fmt.Errorf("kev: %w", err)
	}
	epss, err := a.d.Provider.EPSS(ctx, all)
	if err != nil {
		return r, fmt.Errorf("epss: %w", err)
	}
	for _, c := range all {
		k, ok := kev[c]
		if !ok {
			continue
		}
		it := KEVItem{CVE: c, Name: k.Name, Advisories: slices.Compact(cveAdvs[c]), DateAdded: k.DateAdded, Ransomware: strings.EqualFold(k.RansomwareCampaign, "Known")}
		if e, ok := epss[c]; ok {
			it.EPSS = &e.EPSS
		}
		if it.Ransomware {
			r.Ransomware++
		}
		r.KEV = append(r.KEV, it)
	}
	for w, advs := range cweAdvs {
		advs = slices.Compact(advs)
		r.CWEs = append(r.CWEs, CWECount{CWE: w, CVEs: len(cweCVEs[w]), Advisories: advs, Recurring: len(advs) >= 3})
	}
	slices.SortFunc(r.CWEs, func(a, b CWECount) int {
		return cmp.Or(cmp.Compare(len(b.Advisories), len(a.Advisories)), cmp.Compare(b.CVEs, a.CVEs), cmp.Compare(a.CWE, b.CWE))
	})
	for p, n := range products {
		r.Products = append(r.Products, ProductCount{Name: p, Advisories: n})
	}
	slices.SortFunc(r.Products, func(a, b ProductCount) int {
		return cmp.Or(cmp.Compare(b.Advisories, a.Advisories), cmp.Compare(a.Name, b.Name))
	})
	r.Timeliness = timeliness(hist, full, r.Items, a.d.Now())
	r.Trend = trend(r.Items, r.Timeliness)
	return r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sourceLabel names a scoring source the way a reader knows it.
func sourceLabel(s string) string {
	s = strings.TrimSpace(s)
	l := strings.ToLower(s)
	switch {
	case l == "nvd@nist.gov" || l == "nvd":
		return "NVD"
	case strings.HasPrefix(l, "cisa") || l == "icscert" || l == "ics-cert" || strings.Contains(l, "134c704f-9b21-4f2e-91b3-4a467353bcc0"):
		return "CISA"
	case strings.Contains(l, "@"):
		return "CNA " + l[strings.IndexByte(l, '@')+1:]
	case s == "":
		return "unnamed source"
	}
	return s
}

// band is the CVSS v3/v4 qualitative rating of a base score.
func band(s float64) string {
	switch {
	case s >= 9:
		return Critical
	case s >= 7:
		return High
	case s >= 4:
		return Medium
	case s > 0:
		return Low
	}
	return NoneSev
}

var (
	// noFixRe finds remediation wording that rules a fix out, whatever the
	// CSAF category says ("BD has not developed a product fix" is filed as
	// vendor_fix).
	noFixRe = lazyRegexp(`(?i)(ha(s|ve) not (yet )?(developed|released|provided|made available)|(will|does|do) not (plan to )?(develop|release|provide|offer)|no plans? to (develop|release|fix|patch)|no (fix|patch|update|remediation)s? (is |are |will be )?(planned|available|forthcoming)|not (be )?(fixed|patched)|end[- ]of[- ](life|support|service)|no longer (be )?(supported|maintained)|unsupported (product|version)|(discontinue|replace|retire)[ds]? (the |all |affected )?(device|product|system|unit)s?)`)
	// fixTextRe finds a fix announced in any remediation, whatever its
	// category ("BD recommends customers update to the BD Alaris System
	// 12.3" is filed as mitigation).
	fixTextRe  = lazyRegexp(`(?i)((update|upgrade|migrate) to (the )?([\w.-]+ ){0,5}(version|release|v?\d)|has (now )?released|(have|has) been (fixed|patched|remediated) in|released (a |an )?(new |updated )?(software |firmware )?(version|update|patch|fix)|remediation solution has been developed|fixed in (version |release )?v?\d|(patch|hotfix|fix|update)(es)? (is|are) (now )?available|apply (the )?(latest )?(patch|update|hotfix)|install (the )?(latest )?(patch|update|hotfix|version))`)
	fixWordsRe = lazyRegexp(`(?i)\b(update|upgrade|patch|fix(ed)?|firmware|software version|release[ds]?|hotfix|service pack)\b`)
)

// classifyRemediation classifies an advisory by its remediations; the
// second result quotes the text that rules a fix out, if any.
func classifyRemediation(ad *vuln.Advisory, cats []string) (string, string) {
	var fix, mit, nofix bool
	var quote string
	if ad != nil {
		for _, v := range ad.Vulns {
			for _, rm := range v.Remediations {
				t := strings.Join(strings.Fields(rm.Text), " ")
				if m := noFixRe().FindStringIndex(t); m != nil || rm.Category == "no_fix_planned" || rm.Category == "none_available" {
					nofix = true
					if quote == "" {
						quote = sentenceAround(t, m)
					}
					continue
				}
				if fixTextRe().MatchString(t) {
					fix = true
					continue
				}
				switch rm.Category {
				case "vendor_fix":
					if fixWordsRe().MatchString(t) || t == "" {
						fix = true
					} else {
						mit = true
					}
				case "mitigation", "workaround":
					mit = true
				}
			}
		}
	} else {
		for _, c := range cats {
			switch c {
			case "vendor_fix":
				fix = true
			case "mitigation", "workaround":
				mit = true
			case "no_fix_planned", "none_available":
				nofix = true
			}
		}
	}
	switch {
	case fix:
		return RemedyFix, quote
	case nofix:
		return RemedyNoFix, quote
	case mit:
		return RemedyMitigation, ""
	}
	return RemedyNone, ""
}

// sentenceAround returns the sentence of t holding match m (or t's start), shortened.
func sentenceAround(t string, m []int) string {
	start, end := 0, len(t)
	if m != nil {
		if i := strings.LastIndex(t[:m[0]], ". "); i >= 0 {
			start = i + 2
		}
		if i := strings.Index(t[m[1]:], ". "); i >= 0 {
			end = m[1] + i + 1
		}
	}
	s := t[start:end]
	if r := []rune(s); len(r) > 220 {
		s = string(r[:219]) + "…"
	}
	return s
}

// median of xs (sorted in place); NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
