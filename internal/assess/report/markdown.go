package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/wardiomt/ward/internal/assess"
)

func mdEsc(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}

// Markdown writes the report as Markdown.
func Markdown(w io.Writer, r *assess.Report) error {
	b := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	names := make([]string, len(r.Assessments))
	for i, a := range r.Assessments {
		names[i] = a.Candidate.String()
	}
	p("# Pre-procurement assessment: %s\n\n", strings.Join(names, " vs "))
	p("Generated %s from feeds: %s. Field evidence: %s.\n\n", r.GeneratedAt.Format("2006-01-02 15:04 MST"), r.Feeds, yesNo(r.Inventory, "inventory database", "none (no --db)"))
	if c := r.Comparison; c != nil {
		p("## Side by side\n\n| Measure | %s |\n|---|%s\n", strings.Join(mdAll(names), " | "), strings.Repeat("---|", len(names)))
		for _, row := range c.Rows {
			p("| %s | %s |\n", row.Measure, strings.Join(mdAll(row.Values), " | "))
		}
		if c.Best != "" {
			p("\nBest scored: **%s**.\n", mdEsc(c.Best))
		}
		p("\n")
	}
	for _, a := range r.Assessments {
		mdAssessment(p, &a)
	}
	p("## Method and limits\n\n")
	for _, m := range r.Method {
		p("- %s\n", m)
	}
	return b.Flush()
}

func mdAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = mdEsc(x)
	}
	return out
}

func yesNo(b bool, y, n string) string {
	if b {
		return y
	}
	return n
}

func mdAssessment(p func(string, ...any), a *assess.Assessment) {
	p("## %s\n\n", mdEsc(a.Candidate.String()))
	if a.Canonical != "" && a.Canonical != a.Candidate.Manufacturer {
		p("Manufacturer recognised as **%s**.\n\n", mdEsc(a.Canonical))
	}
	for _, m := range a.Messages {
		p("> %s\n\n", m)
	}
	if a.Score.Total != nil {
		p("**Grade %s — %.0f / 100**\n\n", a.Score.Grade, *a.Score.Total)
	} else {
		p("**No grade**: no part of the assessment had evidence.\n\n")
	}
	p("| Part | Points | Why |\n|---|---|---|\n")
	for _, s := range a.Score.Parts {
		pts := "not scored"
		if s.Scored {
			pts = fmt.Sprintf("%.1f / %.0f", s.Points, s.Max)
		}
		p("| %s | %s | %s |\n", s.Name, pts, mdEsc(s.Why))
	}
	p("\n### Key findings\n\n")
	for _, f := range a.KeyFindings {
		p("- %s\n", f)
	}
	p("\n### Questions for the manufacturer\n\n")
	for i, q := range a.Questions {
		p("%d. %s  \n   _Evidence: %s_\n", i+1, q.Text, mdEsc(q.Evidence))
	}
	r := a.Record
	if r.Advisories+r.CVERecords > 0 {
		p("\n### Security record\n\n%d advisories and %d standalone CVE records, %d CVEs, %s to %s.\n\n", r.Advisories, r.CVERecords, r.CVEs,
			r.First.Format("2006-01-02"), r.Last.Format("2006-01-02"))
		p("| Year | Advisories | CVE records | CVEs | KEV |\n|---|---|---|---|---|\n")
		for _, y := range r.PerYear {
			p("| %d | %d | %d | %d | %d |\n", y.Year, y.Advisories, y.CVERecords, y.CVEs, y.KEV)
		}
		p("\nSeverity of CVEs by scoring source:\n\n| Source | Critical | High | Medium | Low | None |\n|---|---|---|---|---|---|\n")
		for _, s := range r.Severity {
			p("| %s | %d | %d | %d | %d | %d |\n", mdEsc(s.Source), s.Critical, s.High, s.Medium, s.Low, s.None)
		}
		if len(r.KEV) > 0 {
			p("\nKnown exploited (CISA KEV):\n\n")
			for _, k := range r.KEV {
				rw := ""
				if k.Ransomware {
					rw = " — **ransomware**"
				}
				p("- %s %s (added %s; %s)%s\n", k.CVE, mdEsc(k.Name), k.DateAdded.Format("2006-01-02"), strings.Join(k.Advisories, ", "), rw)
			}
		} else {
			p("\nNo CVE of the record is in CISA KEV.\n")
		}
		if len(r.CWEs) > 0 {
			p("\nWeakness classes (CWE): ")
			var cs []string
			for i, c := range r.CWEs {
				if i == 10 {
					break
				}
				s := fmt.Sprintf("%s ×%d", c.CWE, len(c.Advisories))
				if c.Recurring {
					s = "**" + s + " (recurring)**"
				}
				cs = append(cs, s)
			}
			p("%s.\n", strings.Join(cs, ", "))
		}
		m := r.Remediation
		p("\nRemediation: %d with a fix (%d of them also leave products without one), %d mitigations only, %d no fix / replace, %d none published.\n",
			m.Fix, m.FixWithEOL, m.MitigationOnly, m.NoFix, m.NonePublished)
		t := r.Timeliness
		p("\nTimeliness (%d CVEs in advisories; %d with a CVE record date, %d without — those have no disclosure-to-advisory figure):\n\n", len(t.CVEs), t.WithCVEDate, t.WithoutCVEDate)
		if t.MedianDaysToAdvisory != nil {
			p("- median days from CVE publication to the advisory: %.0f\n", *t.MedianDaysToAdvisory)
		}
		if t.MedianDaysToFix != nil {
			p("- median days from public disclosure to a fix: %.0f\n", *t.MedianDaysToFix)
		}
		for _, bk := range t.Buckets {
			p("- %s: %d\n", bk.Label, bk.Count)
		}
		p("\nTrend: **%s**", r.Trend.Verdict)
		if len(r.Trend.Notes) > 0 {
			p(" (%s)", strings.Join(r.Trend.Notes, "; "))
		}
		p(".\n\nProducts named most often: ")
		var ps []string
		for i, x := range r.Products {
			if i == 8 {
				break
			}
			ps = append(ps, fmt.Sprintf("%s (%d)", mdEsc(x.Name), x.Advisories))
		}
		p("%s.\n", strings.Join(ps, ", "))
		p("\n| Advisory | Released | Max CVSS | CVEs | KEV | Remediation | Title |\n|---|---|---|---|---|---|---|\n")
		for _, it := range r.Items {
			p("| %s | %s | %.1f | %d | %d | %s | %s |\n", it.ID, it.Published.Format("2006-01-02"), it.MaxCVSS, len(it.CVEs), len(it.KEV), it.Remediation, mdEsc(it.Title))
		}
	}
	if m := a.Model; m != nil {
		p("\n### The model: %s\n\n", mdEsc(a.Candidate.Model))
		if len(m.Advisories) == 0 {
			p("No advisory matches this model name.\n")
		}
		for _, x := range m.Advisories {
			rng := "range " + mdEsc(x.Range)
			if x.Range == "" {
				rng = "versions not loaded"
			}
			p("- %s %s — %s (%s, %s, CVSS %.1f, %d CVEs)\n", x.ID, x.Published.Format("2006-01-02"), mdEsc(x.Title), x.Confidence, rng, x.MaxCVSS, len(x.CVEs))
		}
	}
	if f := a.Field; f != nil {
		p("\n### Field evidence from your network\n\n")
		if len(f.Devices) == 0 {
			p("No device of this manufacturer/model in the inventory.\n")
		} else {
			p("%d devices seen; %d open findings (%d KEV).", len(f.Devices), f.OpenFindings, f.KEVFindings)
			if len(f.Tiers) > 0 {
				var ts []string
				for _, t := range f.Tiers {
					ts = append(ts, fmt.Sprintf("%s %d", t.Tier, t.Count))
				}
				p(" Risk tiers: %s.", strings.Join(ts, ", "))
			}
			if f.RiskSource != "" {
				p(" (%s)", f.RiskSource)
			}
			p("\n\n| Device | Model | Version | OS | IP | Findings | Behaviour |\n|---|---|---|---|---|---|---|\n")
			for _, d := range f.Devices {
				var bs []string
				for _, k := range d.Behaviours {
					bs = append(bs, assess.BehaviourLabel(k))
				}
				p("| %s | %s | %s | %s | %s | %d | %s |\n", mdEsc(d.Name), mdEsc(d.Model), mdEsc(d.Version), mdEsc(d.OS), d.IP, d.Findings, mdEsc(strings.Join(bs, "; ")))
			}
			for _, b := range f.Behaviours {
				p("\n- **%s** on %s: %s", b.Label, count(len(b.Devices), "device", "devices"), mdEsc(strings.Join(b.Detail, "; ")))
			}
			for _, l := range f.VersionLag {
				p("\n- %s: newest version seen %s; behind: %s", mdEsc(l.Model), l.Newest, mdEsc(strings.Join(l.Behind, ", ")))
			}
			p("\n")
		}
	}
	if s := a.SBOM; s != nil {
		p("\n### SBOM (%s%s)\n\n%d components: %d vulnerable, %d with KEV CVEs, %d with EPSS ≥ %.0f%%, %d unresolvable.\n\n",
			s.Spec, nameSuffix(s.Name), len(s.Components), s.Vulnerable, s.KEV, s.HighEPSS, assess.HighEPSS*100, s.Unresolvable)
		p("| Component | Version | Status | KEV | Max EPSS | Detail |\n|---|---|---|---|---|---|\n")
		for _, c := range s.Components {
			e := "–"
			if c.MaxEPSS != nil {
				e = fmt.Sprintf("%.3f", *c.MaxEPSS)
			}
			p("| %s | %s | %s | %s | %s | %s |\n", mdEsc(c.Name), mdEsc(c.Version), c.Status, strings.Join(c.KEV, ", "), e, mdEsc(sbomDetail(c)))
		}
	}
	p("\n")
}

// count says "1 device" or "3 devices".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func nameSuffix(n string) string {
	if n == "" {
		return ""
	}
	return ": " + n
}

func sbomDetail(c assess.SBOMComponent) string {
	if len(c.Findings) == 0 {
		return c.Reason
	}
	var s []string
	for _, f := range c.Findings {
		s = append(s, fmt.Sprintf("%s (%d CVEs, CVSS %.1f)", f.Advisory, len(f.CVEs), f.MaxCVSS))
	}
	return strings.Join(s, "; ")
}
