package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/wardiomt/ward/internal/assess"
)

// HTML writes one self-contained HTML file: inline CSS, inline SVG charts,
// no script and no external resource, laid out to print on A4.
func HTML(w io.Writer, r *assess.Report) error {
	return page().Execute(w, r)
}

// page is parsed on first use: parsing at package initialisation cost
// every ward command, most of which never write a report.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"yearsChart":    yearsChart,
		"severityChart": severityChart,
		"fixChart":      fixChart,
		"label":         assess.BehaviourLabel,
		"date":          func(t interface{ Format(string) string }) string { return t.Format("2006-01-02") },
		"join":          strings.Join,
		"f1":            func(x float64) string { return fmt.Sprintf("%.1f", x) },
		"f0p":           func(x *float64) string { return fmt.Sprintf("%.0f", *x) },
		"f3p":           func(x *float64) string { return fmt.Sprintf("%.3f", *x) },
		"pct":           func(x float64) string { return fmt.Sprintf("%.0f", x*100) },
		"count":         count,
		"names": func(as []assess.Assessment) string {
			var s []string
			for _, a := range as {
				s = append(s, a.Candidate.String())
			}
			return strings.Join(s, " vs ")
		},
		"gradeClass": func(g string) string { return "g" + strings.ToLower(strings.ReplaceAll(g, "/", "")) },
		"hasRecord":  func(r assess.Record) bool { return r.Advisories+r.CVERecords > 0 },
		"sevTotal": func(r assess.Record) int {
			n := 0
			for _, s := range r.Severity {
				n += s.Total()
			}
			return n
		},
	}).Parse(pageTmpl))
})

const (
	chartW = 640
	chartH = 220
)

func svgOpen(b *strings.Builder, title string, h int) {
	fmt.Fprintf(b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		html.EscapeString(title), chartW, h, chartW, h, html.EscapeString(title))
}

// yearsChart draws advisories (and standalone CVE records) per year as stacked bars.
func yearsChart(r assess.Record) template.HTML {
	if len(r.PerYear) == 0 {
		return ""
	}
	maxV := 1
	for _, y := range r.PerYear {
		maxV = max(maxV, y.Advisories+y.CVERecords)
	}
	var b strings.Builder
	svgOpen(&b, "Advisories per year", chartH)
	left, bottom, top := 36.0, float64(chartH-28), 24.0
	plotH := bottom - top
	bw := (chartW - left - 10) / float64(len(r.PerYear))
	// gridlines
	for i := 0; i <= 4; i++ {
		v := float64(maxV) * float64(i) / 4
		y := bottom - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%.0f" y="%.1f" class="ax" text-anchor="end">%.0f</text>`, left, chartW-10, y, y, left-4, y+4, v)
	}
	for i, y := range r.PerYear {
		x := left + float64(i)*bw + bw*0.15
		hA := plotH * float64(y.Advisories) / float64(maxV)
		hC := plotH * float64(y.CVERecords) / float64(maxV)
		fmt.Fprintf(&b, `<rect class="bar adv" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d: %d advisories</title></rect>`, x, bottom-hA, bw*0.7, hA, y.Year, y.Advisories)
		if hC > 0 {
			fmt.Fprintf(&b, `<rect class="bar rec" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d: %d CVE records</title></rect>`, x, bottom-hA-hC, bw*0.7, hC, y.Year, y.CVERecords)
		}
		if y.KEV > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="kevmark" text-anchor="middle">KEV %d</text>`, x+bw*0.35, bottom-hA-hC-4, y.KEV)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="ax" text-anchor="middle">%d</text>`, x+bw*0.35, bottom+16, y.Year)
	}
	fmt.Fprintf(&b, `<rect class="bar adv" x="%.0f" y="4" width="10" height="10"/><text x="%.0f" y="13" class="ax">CSAF advisories</text>`, left+8, left+22)
	fmt.Fprintf(&b, `<rect class="bar rec" x="%.0f" y="4" width="10" height="10"/><text x="%.0f" y="13" class="ax">CVE records without an advisory</text>`, left+130, left+144)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var sevOrder = []struct{ name, class string }{
	{"critical", "crit"}, {"high", "high"}, {"medium", "med"}, {"low", "low"}, {"none", "none"},
}

// severityChart draws one 100% stacked bar per scoring source.
func severityChart(r assess.Record) template.HTML {
	if len(r.Severity) == 0 {
		return ""
	}
	h := 34 + 30*len(r.Severity)
	var b strings.Builder
	svgOpen(&b, "Severity mix by scoring source", h)
	left, width := 150.0, float64(chartW-160)
	for i, s := range r.Severity {
		y := 8 + 30*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" class="ax" text-anchor="end">%s (%d)</text>`, left-6, y+15, html.EscapeString(trim(s.Source, 20)), s.Total())
		vals := []int{s.Critical, s.High, s.Medium, s.Low, s.None}
		x := left
		for j, v := range vals {
			if v == 0 {
				continue
			}
			wd := width * float64(v) / float64(s.Total())
			fmt.Fprintf(&b, `<rect class="sev %s" x="%.1f" y="%.1f" width="%.1f" height="20"><title>%s: %d %s</title></rect>`, sevOrder[j].class, x, y, wd, html.EscapeString(s.Source), v, sevOrder[j].name)
			if wd > 18 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="in" text-anchor="middle">%d</text>`, x+wd/2, y+14, v)
			}
			x += wd
		}
	}
	ly := float64(h - 10)
	for j, s := range sevOrder {
		x := left + float64(j)*90
		fmt.Fprintf(&b, `<rect class="sev %s" x="%.0f" y="%.0f" width="10" height="10"/><text x="%.0f" y="%.0f" class="ax">%s</text>`, s.class, x, ly-9, x+14, ly, s.name)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// fixChart draws the distribution of days from disclosure to a fix.
func fixChart(t assess.Timeliness) template.HTML {
	total := 0
	for _, bk := range t.Buckets {
		total += bk.Count
	}
	if total == 0 {
		return ""
	}
	h := 20 + 26*len(t.Buckets)
	var b strings.Builder
	svgOpen(&b, "Time to fix distribution", h)
	left, width := 150.0, float64(chartW-200)
	maxV := 1
	for _, bk := range t.Buckets {
		maxV = max(maxV, bk.Count)
	}
	for i, bk := range t.Buckets {
		y := 8 + 26*float64(i)
		cls := "fix"
		if i == len(t.Buckets)-1 {
			cls = "nofix"
		}
		wd := width * float64(bk.Count) / float64(maxV)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" class="ax" text-anchor="end">%s</text><rect class="bar %s" x="%.0f" y="%.1f" width="%.1f" height="18"><title>%s: %d CVEs</title></rect><text x="%.1f" y="%.1f" class="ax">%d</text>`,
			left-6, y+13, html.EscapeString(bk.Label), cls, left, y, wd, html.EscapeString(bk.Label), bk.Count, left+wd+4, y+13, bk.Count)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

const pageTmpl = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pre-procurement assessment: {{names .Assessments}}</title>
<style>
:root{--ink:#1d2733;--mute:#5b6878;--line:#d5dbe3;--bg:#f6f8fa;--accent:#0b5cad}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:980px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid var(--accent);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:var(--mute);margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--bg)}
.msg{border-left:4px solid #c77700;background:#fff6e5;padding:8px 12px;margin:8px 0}
.grade{display:inline-block;font-size:28px;font-weight:700;width:56px;height:56px;line-height:56px;text-align:center;border-radius:8px;color:#fff;margin-right:12px;vertical-align:middle}
.ga{background:#1a7f37}.gb{background:#4d8f1f}.gc{background:#b08800}.gd{background:#c4501a}.ge{background:#b3261e}.gna{background:#6b7785}
.score{font-size:16px;vertical-align:middle}
.charts{display:grid;grid-template-columns:1fr;gap:8px}
svg.chart{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:4px}
.grid{stroke:#e6eaef;stroke-width:1}.ax{font-size:11px;fill:var(--mute)}.in{font-size:11px;fill:#fff}
.bar.adv{fill:#0b5cad}.bar.rec{fill:#8fb3dc}.bar.fix{fill:#2e7d4f}.bar.nofix{fill:#b3261e}
.kevmark{font-size:10px;fill:#b3261e;font-weight:700}
.sev.crit{fill:#7a1712}.sev.high{fill:#d1441f}.sev.med{fill:#e59f1c}.sev.low{fill:#6da34d}.sev.none{fill:#a9b4c0}
.nochart{color:var(--mute);font-style:italic;border:1px dashed var(--line);padding:8px}
.q small{color:var(--mute);display:block}
.kev{color:#b3261e;font-weight:600}
.candidate{page-break-before:always}.candidate:first-of-type{page-break-before:auto}
@media print{body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}svg.chart,table,tr{break-inside:avoid}.candidate{break-before:page}.candidate:first-of-type{break-before:auto}}
</style></head><body>
<h1>Pre-procurement assessment: {{names .Assessments}}</h1>
<p class="meta">Generated {{.GeneratedAt.Format "2006-01-02 15:04 MST"}} · feeds: {{.Feeds}} · field evidence: {{if .Inventory}}inventory database{{else}}none (no inventory given){{end}}</p>
{{with .Comparison}}<h2>Side by side</h2>
<table class="compare"><tr><th>Measure</th>{{range $.Assessments}}<th>{{.Candidate.String}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Measure}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{if .Best}}<p>Best scored: <strong>{{.Best}}</strong>.</p>{{end}}{{end}}
{{range .Assessments}}<section class="candidate">
<h2>{{.Candidate.String}}</h2>
{{if and .Canonical (ne .Canonical .Candidate.Manufacturer)}}<p>Manufacturer recognised as <strong>{{.Canonical}}</strong>.</p>{{end}}
{{range .Messages}}<div class="msg">{{.}}</div>{{end}}
<p>{{if .Score.Total}}<span class="grade {{gradeClass .Score.Grade}}">{{.Score.Grade}}</span><span class="score">{{f0p .Score.Total}} / 100</span>{{else}}<span class="grade gna">–</span><span class="score">No grade: no part of the assessment had evidence.</span>{{end}}</p>
<table><tr><th>Part</th><th>Points</th><th>Why</th></tr>{{range .Score.Parts}}<tr><td>{{.Name}}</td><td>{{if .Scored}}{{f1 .Points}} / {{printf "%.0f" .Max}}{{else}}not scored{{end}}</td><td>{{.Why}}</td></tr>{{end}}</table>
<h3>Key findings</h3><ul>{{range .KeyFindings}}<li>{{.}}</li>{{end}}</ul>
<h3>Questions for the manufacturer</h3><ol class="q">{{range .Questions}}<li>{{.Text}}<small>Evidence: {{.Evidence}}</small></li>{{end}}</ol>
{{if hasRecord .Record}}{{with .Record}}
<h3>Security record</h3>
<p>{{.Advisories}} advisories and {{.CVERecords}} standalone CVE records with {{.CVEs}} CVEs, {{date .First}} to {{date .Last}}. Trend: <strong>{{.Trend.Verdict}}</strong>{{if .Trend.Notes}} ({{join .Trend.Notes "; "}}){{end}}.</p>
<div class="charts">
{{yearsChart .}}
{{if sevTotal .}}{{severityChart .}}{{else}}<p class="nochart">No CVSS scores in the record: no severity chart.</p>{{end}}
{{with fixChart .Timeliness}}{{.}}{{else}}<p class="nochart">No CVE of a manufacturer advisory to time: no time-to-fix chart.</p>{{end}}
</div>
<p>Timeliness: {{len .Timeliness.CVEs}} CVEs in advisories, {{.Timeliness.WithCVEDate}} with a CVE record date, {{.Timeliness.WithoutCVEDate}} without one (no disclosure-to-advisory figure for those).
{{with .Timeliness.MedianDaysToAdvisory}}Median days from CVE publication to the advisory: {{f0p .}}.{{end}}
{{with .Timeliness.MedianDaysToFix}}Median days from public disclosure to a fix: {{f0p .}}.{{end}}</p>
<p>Remediation: {{.Remediation.Fix}} with a fix ({{.Remediation.FixWithEOL}} also leave products without one), {{.Remediation.MitigationOnly}} mitigations only, {{.Remediation.NoFix}} no fix / replace, {{.Remediation.NonePublished}} none published.</p>
{{if .KEV}}<p class="kev">Known exploited (CISA KEV):</p><ul>{{range .KEV}}<li>{{.CVE}} {{.Name}} — added {{date .DateAdded}}; {{join .Advisories ", "}}{{if .Ransomware}} — <span class="kev">ransomware</span>{{end}}</li>{{end}}</ul>{{else}}<p>No CVE of the record is in CISA KEV.</p>{{end}}
{{if .CWEs}}<p>Weakness classes: {{range $i, $c := .CWEs}}{{if lt $i 10}}{{if $i}}, {{end}}{{if $c.Recurring}}<strong>{{$c.CWE}} ×{{len $c.Advisories}} (recurring)</strong>{{else}}{{$c.CWE}} ×{{len $c.Advisories}}{{end}}{{end}}{{end}}.</p>{{end}}
<table><tr><th>Advisory</th><th>Released</th><th>Max CVSS</th><th>CVEs</th><th>KEV</th><th>Remediation</th><th>Title</th></tr>
{{range .Items}}<tr><td>{{.ID}}</td><td>{{date .Published}}</td><td>{{f1 .MaxCVSS}}</td><td>{{len .CVEs}}</td><td>{{if .KEV}}<span class="kev">{{len .KEV}}</span>{{else}}0{{end}}</td><td>{{.Remediation}}</td><td>{{.Title}}</td></tr>{{end}}</table>
{{end}}{{else}}<p class="nochart">No advisories in the loaded feeds: no record charts.</p>{{end}}
{{with .Model}}<h3>The model</h3>{{if .Advisories}}<ul>{{range .Advisories}}<li>{{.ID}} {{date .Published}} — {{.Title}} ({{.Confidence}}, {{if .Range}}range {{.Range}}{{else}}versions not loaded{{end}}, CVSS {{f1 .MaxCVSS}}, {{len .CVEs}} CVEs{{if .KEV}}, <span class="kev">KEV {{join .KEV ", "}}</span>{{end}})</li>{{end}}</ul>{{else}}<p>No advisory matches this model name.</p>{{end}}{{end}}
{{with .Field}}<h3>Field evidence from your network</h3>
{{if .Devices}}<p>{{count (len .Devices) "device" "devices"}} seen; {{.OpenFindings}} open findings ({{.KEVFindings}} KEV).{{if .Tiers}} Risk tiers: {{range $i, $t := .Tiers}}{{if $i}}, {{end}}{{$t.Tier}} {{$t.Count}}{{end}}.{{end}} {{.RiskSource}}</p>
<table><tr><th>Device</th><th>Model</th><th>Version</th><th>OS</th><th>IP</th><th>Findings</th><th>Behaviour</th></tr>
{{range .Devices}}<tr><td>{{.Name}}</td><td>{{.Model}}</td><td>{{.Version}}</td><td>{{.OS}}</td><td>{{.IP}}</td><td>{{.Findings}}{{with .Top}} ({{.}}){{end}}</td><td>{{range $i, $b := .Behaviours}}{{if $i}}; {{end}}{{label $b}}{{end}}</td></tr>{{end}}</table>
{{if .Behaviours}}<ul>{{range .Behaviours}}<li><strong>{{.Label}}</strong> on {{count (len .Devices) "device" "devices"}}: {{join .Detail "; "}}</li>{{end}}</ul>{{end}}
{{range .VersionLag}}<p>{{.Model}}: newest version seen {{.Newest}}; behind: {{join .Behind ", "}}</p>{{end}}
{{else}}<p>No device of this manufacturer/model in the inventory.</p>{{end}}{{end}}
{{with .SBOM}}<h3>SBOM ({{.Spec}}{{with .Name}}: {{.}}{{end}})</h3>
<p>{{len .Components}} components: {{.Vulnerable}} vulnerable, {{.KEV}} with KEV CVEs, {{.HighEPSS}} with high EPSS, {{.Unresolvable}} unresolvable.</p>
<table><tr><th>Component</th><th>Version</th><th>Status</th><th>KEV</th><th>Max EPSS</th><th>Detail</th></tr>
{{range .Components}}<tr><td>{{.Name}}</td><td>{{.Version}}</td><td>{{.Status}}</td><td>{{if .KEV}}<span class="kev">{{join .KEV ", "}}</span>{{end}}</td><td>{{with .MaxEPSS}}{{f3p .}}{{end}}</td><td>{{if .Findings}}{{range $i, $f := .Findings}}{{if $i}}; {{end}}{{$f.Advisory}} ({{len $f.CVEs}} CVEs, CVSS {{f1 $f.MaxCVSS}}){{end}}{{else}}{{.Reason}}{{end}}</td></tr>{{end}}</table>{{end}}
</section>{{end}}
<h2>Method and limits</h2><ul>{{range .Method}}<li>{{.}}</li>{{end}}</ul>
</body></html>
`
