package assess

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Score is the overall score (0–100, higher is better) with its breakdown.
type Score struct {
	Total  *float64 `json:"total"` // nil when no part had evidence
	Grade  string   `json:"grade"` // A–E, or "n/a"
	Points float64  `json:"points"`
	Max    float64  `json:"max"`
	Parts  []Part   `json:"parts"`
}

// Part is one scored part of the evidence.
type Part struct {
	Name   string  `json:"name"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Scored bool    `json:"scored"` // false: no evidence, left out of the total
	Why    string  `json:"why"`
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func score(as *Assessment) Score {
	r := as.Record
	var parts []Part
	has := r.Advisories+r.CVERecords > 0
	years := 1.0
	if has {
		years = math.Max(1, float64(r.Last.Year()-r.First.Year()+1))
	}
	// Volume: many CVEs a year means many chances to be hit. Publishing is
	// also a sign of a working disclosure process, so the weight is modest.
	if has {
		rate := float64(r.CVEs) / years
		parts = append(parts, Part{Name: "Advisory volume", Max: 15, Points: round1(15 * clamp(1-rate/8, 0, 1)), Scored: true,
			Why: fmt.Sprintf("%d CVEs in %d advisories over %.0f years (%.1f CVEs a year; 8 or more a year scores 0)", r.CVEs, r.Advisories+r.CVERecords, years, rate)})
	} else {
		parts = append(parts, Part{Name: "Advisory volume", Max: 15, Why: "no advisories: not scored (silence is not evidence of security)"})
	}
	crit, high, tot := 0, 0, 0
	for _, s := range r.Severity {
		if s.Total() > tot { // the source that scored most CVEs
			crit, high, tot = s.Critical, s.High, s.Total()
		}
	}
	if tot > 0 {
		share := (float64(crit) + 0.5*float64(high)) / float64(tot)
		parts = append(parts, Part{Name: "Severity", Max: 15, Points: round1(15 * (1 - share)), Scored: true,
			Why: fmt.Sprintf("%d critical and %d high of %d scored CVEs (critical counts fully, high half)", crit, high, tot)})
	} else {
		parts = append(parts, Part{Name: "Severity", Max: 15, Why: "no scored CVEs"})
	}
	if has {
		p := 20 - 5*float64(len(r.KEV)) - 5*float64(r.Ransomware)
		parts = append(parts, Part{Name: "Known exploitation", Max: 20, Points: round1(clamp(p, 0, 20)), Scored: true,
			Why: fmt.Sprintf("%d CVEs in CISA KEV, %d used by ransomware (−5 each)", len(r.KEV), r.Ransomware)})
	} else {
		parts = append(parts, Part{Name: "Known exploitation", Max: 20, Why: "no advisories"})
	}
	if n := r.Remediation.Total(); n > 0 {
		fix := float64(r.Remediation.Fix) / float64(n)
		nofix := float64(r.Remediation.NoFix) / float64(n)
		p := 25*fix - 10*nofix
		why := fmt.Sprintf("%.0f%% of advisories offer a fix, %.0f%% rule a fix out", fix*100, nofix*100)
		if m := r.Timeliness.MedianDaysToFix; m != nil {
			switch {
			case *m > 365:
				p -= 10
				why += fmt.Sprintf("; median %.0f days to a fix (−10)", *m)
			case *m > 90:
				p -= 5
				why += fmt.Sprintf("; median %.0f days to a fix (−5)", *m)
			default:
				why += fmt.Sprintf("; median %.0f days to a fix", *m)
			}
		}
		parts = append(parts, Part{Name: "Fixes", Max: 25, Points: round1(clamp(p, 0, 25)), Scored: true, Why: why})
	} else {
		parts = append(parts, Part{Name: "Fixes", Max: 25, Why: "no advisories"})
	}
	if has {
		var rec []string
		for _, c := range r.CWEs {
			if c.Recurring {
				rec = append(rec, c.CWE)
			}
		}
		why := "no weakness class in three or more advisories"
		if len(rec) > 0 {
			why = "recurring: " + strings.Join(rec, ", ") + " (−3 each)"
		}
		parts = append(parts, Part{Name: "Recurring weaknesses", Max: 10, Points: clamp(10-3*float64(len(rec)), 0, 10), Scored: true, Why: why})
	} else {
		parts = append(parts, Part{Name: "Recurring weaknesses", Max: 10, Why: "no advisories"})
	}
	if f := as.Field; f != nil && len(f.Devices) > 0 {
		p := 20 - 4*float64(len(f.Behaviours)) - 2*float64(f.KEVFindings)
		urgent := 0
		for _, t := range f.Tiers {
			if t.Tier == "Immediate" || t.Tier == "Out-of-Cycle" {
				urgent += t.Count
			}
		}
		p -= float64(urgent)
		parts = append(parts, Part{Name: "Field evidence", Max: 20, Points: round1(clamp(p, 0, 20)), Scored: true,
			Why: fmt.Sprintf("%d devices seen; %d kinds of risky behaviour (−4 each), %d KEV findings (−2 each), %d Immediate/Out-of-Cycle findings (−1 each)", len(f.Devices), len(f.Behaviours), f.KEVFindings, urgent)})
	} else if f != nil {
		parts = append(parts, Part{Name: "Field evidence", Max: 20, Why: "no device of this model in the inventory"})
	}
	if s := as.SBOM; s != nil && len(s.Components) > 0 {
		p := 15 - 5*float64(s.KEV) - 3*float64(s.HighEPSS) - 1.5*float64(s.Vulnerable-s.KEV) - math.Min(3, float64(s.Unresolvable))
		parts = append(parts, Part{Name: "SBOM", Max: 15, Points: round1(clamp(p, 0, 15)), Scored: true,
			Why: fmt.Sprintf("%d components: %d with KEV CVEs (−5), %d with EPSS ≥ %.0f%% (−3), %d other vulnerable (−1.5), %d unresolvable (−1, at most −3)", len(s.Components), s.KEV, s.HighEPSS, HighEPSS*100, s.Vulnerable-s.KEV, s.Unresolvable)})
	}
	sc := Score{Parts: parts, Grade: "n/a"}
	for _, p := range parts {
		if p.Scored {
			sc.Points += p.Points
			sc.Max += p.Max
		}
	}
	if sc.Max > 0 {
		t := round1(sc.Points / sc.Max * 100)
		sc.Total = &t
		sc.Grade = grade(t)
	}
	sc.Points = round1(sc.Points)
	return sc
}

func grade(t float64) string {
	switch {
	case t >= 85:
		return "A"
	case t >= 70:
		return "B"
	case t >= 55:
		return "C"
	case t >= 40:
		return "D"
	}
	return "E"
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func fmtF(format string, x float64) string { return fmt.Sprintf(format, x) }

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// plural returns "1 advisory" / "2 advisories" style counts.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func list(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

// finding is a candidate key finding with a weight for ordering.
type finding struct {
	w    int
	text string
}

func keyFindings(as *Assessment) []string {
	r := as.Record
	var fs []finding
	if r.Advisories+r.CVERecords == 0 {
		if as.Known {
			fs = append(fs, finding{50, fmt.Sprintf("No public advisory names %s in the loaded feeds; that may mean no disclosure process rather than no vulnerabilities.", as.Canonical)})
		} else {
			fs = append(fs, finding{50, fmt.Sprintf("%q is not a manufacturer Ward knows, and no advisory names it.", as.Candidate.Manufacturer)})
		}
	} else {
		fs = append(fs, finding{10, fmt.Sprintf("%s has %d advisories with %d CVEs from %d to %d.", as.Canonical, r.Advisories+r.CVERecords, r.CVEs, r.First.Year(), r.Last.Year())})
	}
	if len(r.KEV) > 0 {
		var ids []string
		for _, k := range r.KEV {
			ids = append(ids, k.CVE)
		}
		t := fmt.Sprintf("%d of its CVEs are known to be exploited in the wild (CISA KEV: %s)", len(r.KEV), list(ids, 4))
		if r.Ransomware > 0 {
			t += fmt.Sprintf(", %d of them by ransomware", r.Ransomware)
		}
		fs = append(fs, finding{90, t + "."})
	}
	if n := r.Remediation.Total(); n > 0 && r.Remediation.NoFix+r.Remediation.MitigationOnly > 0 {
		fs = append(fs, finding{60 + 10*r.Remediation.NoFix, fmt.Sprintf("%d of %d advisories offer no fix: %d only mitigations, %d say no fix will come or the product must be replaced.",
			r.Remediation.NoFix+r.Remediation.MitigationOnly, n, r.Remediation.MitigationOnly, r.Remediation.NoFix)})
	}
	if m := r.Timeliness.MedianDaysToFix; m != nil && *m > 30 {
		fs = append(fs, finding{55, fmt.Sprintf("Fixes came a median %.0f days after a vulnerability was public.", *m)})
	}
	for _, c := range r.CWEs {
		if c.Recurring {
			fs = append(fs, finding{65, fmt.Sprintf("The same weakness keeps coming back: %s in %d advisories (%s).", c.CWE, len(c.Advisories), list(c.Advisories, 3))})
			break
		}
	}
	if r.Trend.Verdict == TrendImproving || r.Trend.Verdict == TrendWorsening {
		fs = append(fs, finding{40, fmt.Sprintf("The record is %s: %s.", r.Trend.Verdict, strings.Join(r.Trend.Notes, "; "))})
	}
	if m := as.Model; m != nil && len(m.Advisories) > 0 {
		fs = append(fs, finding{70, fmt.Sprintf("%s the %s itself.", plural(len(m.Advisories), "advisory concerns", "advisories concern"), as.Candidate.Model)})
	}
	if f := as.Field; f != nil && len(f.Devices) > 0 {
		if len(f.Behaviours) > 0 {
			var ls []string
			for _, b := range f.Behaviours {
				ls = append(ls, fmt.Sprintf("%s (%d)", b.Label, len(b.Devices)))
			}
			fs = append(fs, finding{80, fmt.Sprintf("In your network, %s of this kind showed: %s.", plural(len(f.Devices), "device", "devices"), list(ls, 4))})
		}
		if f.OpenFindings > 0 {
			fs = append(fs, finding{75, fmt.Sprintf("The %s already in use %s %s.", plural(len(f.Devices), "device", "devices"), map[bool]string{true: "has", false: "have"}[len(f.Devices) == 1], plural(f.OpenFindings, "open vulnerability finding", "open vulnerability findings"))})
		}
	}
	if s := as.SBOM; s != nil {
		var kc []string
		for _, c := range s.Components {
			if len(c.KEV) > 0 {
				kc = append(kc, c.Name+" "+c.Version)
			}
		}
		if len(kc) > 0 {
			fs = append(fs, finding{95, fmt.Sprintf("The SBOM contains components with known-exploited vulnerabilities: %s.", list(kc, 3))})
		} else if s.Vulnerable > 0 {
			fs = append(fs, finding{70, fmt.Sprintf("%d SBOM components have published vulnerabilities.", s.Vulnerable)})
		}
		if s.Unresolvable > 0 {
			fs = append(fs, finding{45, fmt.Sprintf("%d of %d SBOM components cannot be identified, so their vulnerabilities cannot be checked.", s.Unresolvable, len(s.Components))})
		}
	}
	slices.SortStableFunc(fs, func(a, b finding) int { return cmp.Compare(b.w, a.w) })
	out := []string{}
	for i, f := range fs {
		if i == 5 {
			break
		}
		out = append(out, f.text)
	}
	return out
}
