package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/report"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/vuln"
)

var (
	once sync.Once
	asr  *assess.Assessor
	aErr error
)

// assessor runs on the feed snapshot bundled in Ward (real CISA/NVD/KEV
// data, see internal/feeds/snapshot), so these tests need no shared folder.
func assessor(t *testing.T) *assess.Assessor {
	t.Helper()
	once.Do(func() {
		ctx := context.Background()
		p, origin, err := feeds.OpenProvider(ctx, nil, nil)
		if err != nil {
			aErr = err
			return
		}
		m, err := vuln.NewMatcher(ctx, p, vuln.Options{})
		if err != nil {
			aErr = err
			return
		}
		asr, aErr = assess.New(assess.Deps{History: m, Matcher: m, Provider: p, Feeds: "snapshot " + origin.SnapshotDate,
			Now: func() time.Time { return time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC) }})
	})
	if aErr != nil {
		t.Fatal(aErr)
	}
	return asr
}

func run(t *testing.T, cs ...assess.Candidate) *assess.Report {
	t.Helper()
	r, err := assessor(t).Assess(context.Background(), assess.Request{Candidates: cs})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var chartRe = regexp.MustCompile(`<svg class="chart"[^>]*aria-label="([^"]+)"`)

func charts(html string) []string {
	var out []string
	for _, m := range chartRe.FindAllStringSubmatch(html, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestHTMLChartsOnlyWithData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      assess.Candidate
		charts []string
		say    []string
	}{
		{"record", assess.Candidate{Manufacturer: "Philips"}, []string{"Advisories per year", "Severity mix by scoring source", "Time to fix distribution"}, []string{"ICSMA-", "CVE-2017-0144"}},
		{"unknown", assess.Candidate{Manufacturer: "Zzyzx Devices Corp"}, nil, []string{"Unknown manufacturer", "no record charts"}},
		{"empty history", assess.Candidate{Manufacturer: "Mindray"}, nil, []string{"No advisory in the loaded feeds names Mindray", "no record charts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.HTML(&b, run(t, tc.c)); err != nil {
				t.Fatal(err)
			}
			h := b.String()
			got := charts(h)
			if strings.Join(got, "|") != strings.Join(tc.charts, "|") {
				t.Errorf("charts %q, want %q", got, tc.charts)
			}
			for _, s := range tc.say {
				if !strings.Contains(h, s) {
					t.Errorf("HTML does not say %q", s)
				}
			}
			// Self-contained: no script, stylesheet link or external source.
			for _, bad := range []string{"<script", "<link", "src=", "url("} {
				if strings.Contains(h, bad) {
					t.Errorf("HTML contains %q", bad)
				}
			}
		})
	}
}

func TestHTMLEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := report.HTML(&b, run(t, assess.Candidate{Manufacturer: `<img src=x onerror=alert(1)>`})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<img") {
		t.Error("manufacturer name not escaped")
	}
}

func TestMarkdownAndJSON(t *testing.T) {
	rep := run(t, assess.Candidate{Manufacturer: "BD", Model: "Alaris PC 8015"}, assess.Candidate{Manufacturer: "Baxter", Model: "Sigma Spectrum"})
	var md bytes.Buffer
	if err := report.Markdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# Pre-procurement assessment: BD Alaris PC 8015 vs Baxter Sigma Spectrum", "## Side by side", "### Questions for the manufacturer", "## Method and limits", "CVE-2017-0143"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q", s)
		}
	}
	var js bytes.Buffer
	if err := report.JSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back assess.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Assessments) != 2 || back.Comparison == nil || back.Assessments[1].Record.CVEs != rep.Assessments[1].Record.CVEs {
		t.Errorf("JSON round trip lost data: %d assessments", len(back.Assessments))
	}
	if _, err := report.Renderer("pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(report.Handler(assessor(t), nil))
	defer srv.Close()
	get := func(q url.Values) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + "/api/v1/assess?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res, b.String()
	}
	for _, tc := range []struct {
		name    string
		q       url.Values
		status  int
		ctype   string
		reports int
	}{
		{"one", url.Values{"manufacturer": {"BD"}, "model": {"Alaris PC 8015"}}, 200, "application/json", 1},
		{"compare", url.Values{"compare": {"BD/Alaris PC 8015", "Baxter/Sigma Spectrum"}}, 200, "application/json", 2},
		{"compare joined", url.Values{"compare": {"BD/Alaris;Philips/IntelliVue"}}, 200, "application/json", 2},
		{"html", url.Values{"manufacturer": {"Philips"}, "format": {"html"}}, 200, "text/html; charset=utf-8", 0},
		{"unknown manufacturer is a report", url.Values{"manufacturer": {"Zzyzx"}}, 200, "application/json", 1},
		{"missing", url.Values{}, 400, "", 0},
		{"bad candidate", url.Values{"compare": {"/model only"}}, 400, "", 0},
		{"bad format", url.Values{"manufacturer": {"BD"}, "format": {"pdf"}}, 400, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(tc.q)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.ctype != "" && res.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("content type %q", res.Header.Get("Content-Type"))
			}
			if tc.reports > 0 {
				var r assess.Report
				if err := json.Unmarshal([]byte(body), &r); err != nil {
					t.Fatal(err)
				}
				if len(r.Assessments) != tc.reports {
					t.Errorf("%d assessments, want %d", len(r.Assessments), tc.reports)
				}
			}
		})
	}
	res, err := http.Post(srv.URL+"/api/v1/assess?manufacturer=BD", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", res.StatusCode)
	}
}
