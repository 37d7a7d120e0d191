package assess

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// Timeliness measures how fast the manufacturer published and fixed.
type Timeliness struct {
	CVEs []CVETiming `json:"cves"`
	// CVEs with and without a CVE record date (NVD or CVE 5) in the feeds.
	WithCVEDate    int `json:"with_cve_date"`
	WithoutCVEDate int `json:"without_cve_date"`
	// Medians in days; nil without data.
	MedianDaysToAdvisory *float64 `json:"median_days_to_advisory"`
	MedianDaysToFix      *float64 `json:"median_days_to_fix"`
	// Buckets is the distribution of days from public disclosure to a fix.
	Buckets []Bucket `json:"buckets"`
	NoFix   int      `json:"no_fix"`
}

// Bucket is one bar of the time-to-fix distribution.
type Bucket struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// CVETiming dates one CVE of one advisory.
type CVETiming struct {
	CVE      string     `json:"cve"`
	Advisory string     `json:"advisory"`
	CVEDate  *time.Time `json:"cve_date"` // CVE record publication; nil when not loaded
	Listed   time.Time  `json:"listed"`   // advisory (or revision) that first listed the CVE
	// DaysToAdvisory is Listed minus CVEDate (negative: the advisory came
	// first, as usual with coordinated disclosure); nil without CVEDate.
	DaysToAdvisory *int       `json:"days_to_advisory"`
	FixDate        *time.Time `json:"fix_date"`
	FixEvidence    string     `json:"fix_evidence,omitempty"`
	// DaysToFix runs from public disclosure (the earlier of CVEDate and
	// Listed) to FixDate; nil without a fix.
	DaysToFix *int `json:"days_to_fix"`
}

// fixRevRe finds a revision summary that announces a fix.
var fixRevRe = lazyRegexp(`(?i)\b(fix(es|ed)?|patch(es|ed)?|remediat\w*|hotfix|(new|updated) (software|firmware) (version|release)|(software|firmware) (update|version|release)s? (is |are |was |were )?(now )?(available|released)|released? (a |an )?(new )?(update|version|patch))\b`)

var addRe = lazyRegexp(`(?i)\b(add(ed|s|ing)?|new (vulnerabilit(y|ies)|cve))\b`)

var cveRe = lazyRegexp(`(?i)\bCVE-\d{4}-\d{4,}\b`)

var fixBuckets = []struct {
	label string
	max   int
}{
	{"with the advisory", 0},
	{"1–30 days", 30},
	{"31–90 days", 90},
	{"91–365 days", 365},
	{"over a year", math.MaxInt},
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

func days(from, to time.Time) int { return int(math.Round(day(to).Sub(day(from)).Hours() / 24)) }

func timeliness(hist []vuln.HistoryEntry, full map[string]*vuln.Advisory, items []AdvisorySummary, _ time.Time) Timeliness {
	t := Timeliness{CVEs: []CVETiming{}, Buckets: []Bucket{}}
	class := map[string]string{}
	for _, it := range items {
		class[it.ID] = it.Remediation
	}
	var toAdv, toFix []float64
	counts := make([]int, len(fixBuckets))
	for _, h := range hist {
		if h.Source != vuln.SourceCSAF {
			continue // a CVE record is not the manufacturer's advisory
		}
		ad := full[h.Advisory]
		var revs []vuln.Revision
		if ad != nil {
			revs = slices.Clone(ad.Revisions)
			slices.SortStableFunc(revs, func(a, b vuln.Revision) int { return a.Date.Compare(b.Date) })
		}
		for _, c := range h.CVEs {
			ct := CVETiming{CVE: c, Advisory: h.Advisory, Listed: h.Published}
			for i, rv := range revs {
				// "Update A - Added CVE-2024-1486": a summary that names the
				// CVE in another sense (a fix for it) does not date the listing.
				if i > 0 && strings.Contains(strings.ToUpper(rv.Summary), c) && addRe().MatchString(rv.Summary) {
					ct.Listed = rv.Date
					break
				}
			}
			if d, ok := h.CVEPublished[c]; ok && !d.IsZero() {
				d := d
				ct.CVEDate = &d
				n := days(d, ct.Listed)
				ct.DaysToAdvisory = &n
				toAdv = append(toAdv, float64(n))
				t.WithCVEDate++
			} else {
				t.WithoutCVEDate++
			}
			for i, rv := range revs {
				if i == 0 || rv.Date.Before(ct.Listed) {
					continue
				}
				// A fix revision that names CVEs fixes only those ("remediates
				// CVE-2023-30563 ... and partially remediates CVE-2023-30562").
				if fixRevRe().MatchString(rv.Summary) && (!cveRe().MatchString(rv.Summary) || strings.Contains(strings.ToUpper(rv.Summary), c)) {
					d := rv.Date
					ct.FixDate, ct.FixEvidence = &d, "revision "+rv.Number+": "+oneLine(rv.Summary, 160)
					break
				}
			}
			// Without a dated fix revision for this CVE, a fix offered in the
			// advisory is dated at the listing; but when a later revision
			// announced the fix for other CVEs by name, this one has none.
			namedFix := false
			for i, rv := range revs {
				namedFix = namedFix || (i > 0 && fixRevRe().MatchString(rv.Summary) && cveRe().MatchString(rv.Summary))
			}
			if ct.FixDate == nil && class[h.Advisory] == RemedyFix && !namedFix {
				d := ct.Listed
				ct.FixDate, ct.FixEvidence = &d, "vendor fix offered in the advisory that listed the CVE"
			}
			if ct.FixDate != nil {
				disc := ct.Listed
				if ct.CVEDate != nil && ct.CVEDate.Before(disc) {
					disc = *ct.CVEDate
				}
				n := max(days(disc, *ct.FixDate), 0)
				ct.DaysToFix = &n
				toFix = append(toFix, float64(n))
				for i, b := range fixBuckets {
					if n <= b.max {
						counts[i]++
						break
					}
				}
			} else {
				t.NoFix++
			}
			t.CVEs = append(t.CVEs, ct)
		}
	}
	if m := median(toAdv); !math.IsNaN(m) {
		t.MedianDaysToAdvisory = &m
	}
	if m := median(toFix); !math.IsNaN(m) {
		t.MedianDaysToFix = &m
	}
	if len(t.CVEs) > 0 {
		for i, b := range fixBuckets {
			t.Buckets = append(t.Buckets, Bucket{Label: b.label, Count: counts[i]})
		}
		t.Buckets = append(t.Buckets, Bucket{Label: "no fix offered", Count: t.NoFix})
	}
	return t
}

// Trend verdicts.
const (
	TrendImproving = "improving"
	TrendWorsening = "worsening"
	TrendMixed     = "mixed"
	TrendNoData    = "insufficient data"
)

// Trend compares the first and second half of the record.
type Trend struct {
	Verdict string   `json:"verdict"`
	Split   string   `json:"split,omitempty"` // the date the record was split at
	Notes   []string `json:"notes"`
}

func trend(items []AdvisorySummary, _ Timeliness) Trend {
	// Every advisory counts for frequency and severity; the share with a
	// fix only over CSAF advisories, whose remediation text is loaded (an
	// advisory-index row has none).
	var advs []AdvisorySummary
	for _, it := range items {
		if it.Source == vuln.SourceCSAF || it.Source == vuln.SourceICSAdv {
			advs = append(advs, it)
		}
	}
	if len(advs) < 4 || advs[len(advs)-1].Published.Sub(advs[0].Published) < 2*365*24*time.Hour {
		return Trend{Verdict: TrendNoData, Notes: []string{"fewer than four advisories or less than two years of record"}}
	}
	first, last := advs[0].Published, advs[len(advs)-1].Published
	mid := first.Add(last.Sub(first) / 2)
	type half struct {
		n      int
		cvss   float64
		csaf   int // advisories whose remediation is known
		fix    int
		period float64 // years
	}
	var a, b half
	a.period = mid.Sub(first).Hours() / 24 / 365.25
	b.period = last.Sub(mid).Hours() / 24 / 365.25
	for _, it := range advs {
		h := &a
		if it.Published.After(mid) {
			h = &b
		}
		h.n++
		h.cvss += it.MaxCVSS
		if it.Source == vuln.SourceCSAF {
			h.csaf++
			if it.Remediation == RemedyFix {
				h.fix++
			}
		}
	}
	if a.n == 0 || b.n == 0 {
		return Trend{Verdict: TrendNoData, Notes: []string{"all advisories fall in one half of the record"}}
	}
	tr := Trend{Split: mid.Format("2006-01-02"), Notes: []string{}}
	better, worse := 0, 0
	cmpf := func(name string, x, y float64, lowerBetter bool, format string) {
		switch d := y - x; {
		case math.Abs(d) < 1e-9 || math.Abs(d)/math.Max(math.Abs(x), 1e-9) < 0.1:
			tr.Notes = append(tr.Notes, name+": about the same ("+fmtF(format, x)+" → "+fmtF(format, y)+")")
		case (d < 0) == lowerBetter:
			better++
			tr.Notes = append(tr.Notes, name+": better ("+fmtF(format, x)+" → "+fmtF(format, y)+")")
		default:
			worse++
			tr.Notes = append(tr.Notes, name+": worse ("+fmtF(format, x)+" → "+fmtF(format, y)+")")
		}
	}
	cmpf("advisories per year", float64(a.n)/math.Max(a.period, 0.5), float64(b.n)/math.Max(b.period, 0.5), true, "%.1f")
	cmpf("mean highest CVSS", a.cvss/float64(a.n), b.cvss/float64(b.n), true, "%.1f")
	if a.csaf > 0 && b.csaf > 0 {
		cmpf("share with a fix", float64(a.fix)/float64(a.csaf)*100, float64(b.fix)/float64(b.csaf)*100, false, "%.0f%%")
	} else {
		tr.Notes = append(tr.Notes, "share with a fix: not compared (a half has no advisory whose remediation is loaded)")
	}
	switch {
	case better > worse && worse == 0:
		tr.Verdict = TrendImproving
	case worse > better && better == 0:
		tr.Verdict = TrendWorsening
	case better == 0 && worse == 0:
		tr.Verdict = "stable"
	default:
		tr.Verdict = TrendMixed
	}
	return tr
}
