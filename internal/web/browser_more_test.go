package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/cmms/reconcile"
	"github.com/wardiomt/ward/internal/threat"
)

// raw GETs path with the bearer token and returns the status, content
// type and body, whatever the status.
func (c apiClient) raw(path string, params url.Values) (int, string, []byte) {
	c.t.Helper()
	u := c.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// mounted reports whether the server serves an API route: 404 means not
// mounted, and the browser may then log the UI's requests to it as failed.
func (c apiClient) mounted(b *browser, path string) bool {
	c.t.Helper()
	code, _, _ := c.raw(path, nil)
	if code == http.StatusNotFound {
		b.allowFailedRequest(path)
		return false
	}
	return true
}

const notAvailableText = "not available on this server"

// moreJourney walks the alerts, CMMS and procurement pages and the device
// page's baseline section. Each page's content is checked against the API
// when the server serves its routes; otherwise the page must say it is not
// available on this server.
func moreJourney(t *testing.T, b *browser, api apiClient, devID string, devs []map[string]any) {
	t.Helper()
	alertsOn := api.mounted(b, "/api/v1/alerts")
	cmmsOn := api.mounted(b, "/api/v1/cmms/outbox")
	assessOn := api.mounted(b, "/api/v1/assess")
	t.Logf("mounted: alerts %v, cmms %v, assess %v", alertsOn, cmmsOn, assessOn)

	// Alerts.
	b.do("open alerts", chromedp.Click(chromedp.CSS(`header nav a[href="/alerts"]`)))
	b.waitRendered("/alerts")
	text := b.mainText()
	if !alertsOn {
		if !strings.Contains(text, notAvailableText) {
			t.Errorf("alerts page without the API does not say so: %.300s", text)
		}
	} else {
		all := items(api.get("/api/v1/alerts", url.Values{"limit": {"200"}}), "alerts")
		if got := eval[int](b, `document.querySelectorAll('#alert-list article').length`); got != len(all) {
			t.Errorf("alerts page shows %d alerts, API has %d", got, len(all))
		}
		for _, a := range all {
			if !strings.Contains(text, str(a["title"])) {
				t.Errorf("alerts page lacks %q", a["title"])
			}
		}
		if len(all) == 0 && !strings.Contains(text, "No alerts") {
			t.Errorf("empty alerts page does not say so: %.300s", text)
		}
		if len(all) > 0 {
			// SetValue fires change, which applies the filter.
			b.do("filter high", chromedp.SetValue(chromedp.CSS("#al-severity"), "high"))
			b.waitRendered("/alerts?severity=high")
			high := items(api.get("/api/v1/alerts", url.Values{"severity": {"high"}, "limit": {"200"}}), "alerts")
			if got := eval[int](b, `document.querySelectorAll('#alert-list article').length`); got != len(high) {
				t.Errorf("severity ≥ high shows %d alerts, API has %d", got, len(high))
			}
			for _, a := range high {
				if lv := slices.Index([]string{"low", "medium", "high", "critical"}, str(a["severity"])); lv < 2 {
					t.Errorf("API answered a %s alert for severity=high", a["severity"])
				}
			}
		}
	}
	b.screenshot("10-alerts")

	// The device page's baseline section.
	if devID != "" {
		b.do("device baseline", chromedp.Navigate(api.base+"/devices/"+url.PathEscape(devID)))
		b.waitRendered("/devices/")
		text := b.mainText()
		if !strings.Contains(text, "Baseline and alerts") {
			t.Error("device page lacks the baseline section")
		}
		switch {
		case !alertsOn:
			if !strings.Contains(text, "Baselines and alerts are "+notAvailableText) {
				t.Error("device page does not say baselines are not available")
			}
		default:
			code, _, _ := api.raw("/api/v1/devices/"+url.PathEscape(devID)+"/baseline", nil)
			if code == http.StatusNotFound && !strings.Contains(text, "No baseline yet") {
				t.Error("device without a baseline does not say so")
			}
			if code == http.StatusOK && !strings.Contains(text, "Learned") {
				t.Error("device baseline not shown")
			}
			n := len(items(api.get("/api/v1/alerts", url.Values{"device": {devID}, "limit": {"50"}}), "alerts"))
			if !strings.Contains(text, fmt.Sprintf("Alerts (%d)", n)) {
				t.Errorf("device page does not count its %d alerts", n)
			}
		}
	}

	// CMMS.
	b.do("open cmms", chromedp.Click(chromedp.CSS(`header nav a[href="/cmms"]`)))
	b.waitRendered("/cmms")
	text = b.mainText()
	if !cmmsOn {
		if !strings.Contains(text, notAvailableText) {
			t.Errorf("CMMS page without the API does not say so: %.300s", text)
		}
	} else {
		ds := items(api.get("/api/v1/cmms/outbox", url.Values{"limit": {"200"}}), "deliveries")
		if got := eval[int](b, `document.querySelectorAll('main table tbody tr').length`); got != len(ds) {
			t.Errorf("outbox shows %d deliveries, API has %d", got, len(ds))
		}
		want := 0
		for _, d := range ds {
			if st := str(d["status"]); st == "dead" || (st == "pending" && (d["attempts"].(float64) > 0 || str(d["last_error"]) != "")) {
				want++
			}
		}
		if got := eval[int](b, `document.querySelectorAll('button.retry').length`); got != want {
			t.Errorf("%d retry buttons, want %d (dead or failed deliveries)", got, want)
		}
		if len(ds) == 0 && !strings.Contains(text, "The outbox is empty") {
			t.Errorf("empty outbox does not say so: %.300s", text)
		}
		if !eval[bool](b, `!!document.querySelector('#rc-form input[type=file]')`) {
			t.Error("no reconcile upload form")
		}
	}
	b.screenshot("11-cmms")

	// Procurement: the page asks for a candidate, then assesses it.
	b.do("open assess", chromedp.Click(chromedp.CSS(`header nav a[href="/assess"]`)))
	b.waitRendered("/assess")
	if !strings.Contains(b.mainText(), "No candidate yet") {
		t.Error("assess page without a candidate does not say what is missing")
	}
	man := "Baxter"
	for _, d := range devs {
		if m := str(d["manufacturer"]); m != "" && !strings.ContainsAny(m, "<>/") {
			man = m
			break
		}
	}
	b.do("assess "+man, chromedp.SetValue(chromedp.CSS("#cand-m-1"), man), chromedp.Click(chromedp.CSS("#assess-go")))
	b.waitRendered("/assess?manufacturer=")
	text = b.mainText()
	if !assessOn {
		if !strings.Contains(text, notAvailableText) {
			t.Errorf("assess page without the API does not say so: %.300s", text)
		}
		b.screenshot("12-assess")
		return
	}
	rep := api.get("/api/v1/assess", url.Values{"manufacturer": {man}})
	as := items(rep, "assessments")
	if len(as) != 1 {
		t.Fatalf("API assessed %d candidates for %q", len(as), man)
	}
	sc, _ := as[0]["score"].(map[string]any)
	if g := eval[string](b, `document.querySelector('main .grade')?.textContent || ''`); g != str(sc["grade"]) {
		t.Errorf("grade shows %q, API says %v", g, sc["grade"])
	}
	kf, _ := as[0]["key_findings"].([]any)
	if got := eval[int](b, `document.querySelectorAll('ul.key-findings li').length`); got != len(kf) {
		t.Errorf("%d key findings shown, API has %d", got, len(kf))
	}
	qs := items(as[0], "questions")
	if got := eval[int](b, `document.querySelectorAll('ol.questions li').length`); got != len(qs) {
		t.Errorf("%d questions shown, API has %d", got, len(qs))
	}
	for _, q := range qs {
		if !strings.Contains(text, str(q["text"])) {
			t.Errorf("question missing: %.80s", q["text"])
		}
	}
	rec, _ := as[0]["record"].(map[string]any)
	withData := false
	for _, y := range items(rec, "per_year") {
		withData = withData || y["advisories"].(float64)+y["cves"].(float64)+y["cve_records"].(float64) > 0
	}
	charts := eval[int](b, `document.querySelectorAll('main svg.chart').length`)
	if withData != (charts == 1) {
		t.Errorf("%d charts for a record with data %v", charts, withData)
	}
	href := eval[string](b, `document.getElementById('assess-html').getAttribute('href')`)
	u, err := url.Parse(href)
	if err != nil || u.Path != "/api/v1/assess" || u.Query().Get("format") != "html" || u.Query().Get("manufacturer") != man {
		t.Errorf("HTML report link %q", href)
	} else {
		code, ct, body := api.raw(u.Path, u.Query())
		if code != http.StatusOK || !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "<html") {
			t.Errorf("HTML report link answers %d %s", code, ct)
		}
	}
	b.screenshot("12-assess")
}

// TestBrowserStubPages checks the alerts, CMMS and procurement pages in
// depth against the real handlers behind the stub: hostile text, the
// baseline, retry with the CSRF token, a reconciliation upload and a
// comparison.
func TestBrowserStubPages(t *testing.T) {
	srv, stub := newStubServer(t, false)
	b := newBrowser(t)
	api := apiClient{t: t, base: srv.URL, token: stub.token}
	b.do("open login", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.do("log in", chromedp.SendKeys(chromedp.CSS("#token"), api.token), chromedp.Submit(chromedp.CSS("#token")))
	b.waitRendered("/")

	// Alerts: evidence, the broken baseline, snoozes; hostile text stays text.
	b.do("alerts", chromedp.Navigate(srv.URL+"/alerts"))
	b.waitRendered("/alerts")
	text := b.mainText()
	for _, want := range []string{
		"SMBv1 session from an unusual peer 10.40.7.99", "critical", "smbv1 rdp unusual peer", "seen 4×",
		"New in baseline “conversations”: in|10.40.7.99|tcp/445 (1 known value, e.g. in|10.40.7.3|tcp/445)",
		"New in baseline “peers”: 10.40.7.99",
		"snoozed (biomed maintenance window)", "New in baseline “public ips”: 203.0.113.50 (nothing known)",
		"<img src=x onerror=alert(2)>", "New listening service tcp/8080 <script>alert(3)</script>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
	// Evidence is folded away; it is in the page all the same.
	all := eval[string](b, `document.querySelector('main').textContent`)
	for _, want := range []string{"smb · tcp · 10.40.7.99:50112 → 10.30.0.15:445 · dialect=NT LM 0.12", "server=<svg onload=alert(4)>", "Evidence (1 observation)"} {
		if !strings.Contains(all, want) {
			t.Errorf("alert evidence lacks %q", want)
		}
	}
	if n := eval[int](b, `document.querySelectorAll('main img, main script, main svg, main b').length`); n != 0 {
		t.Errorf("%d injected elements in the alerts page", n)
	}
	if got := eval[string](b, `document.getElementById('al-count').textContent`); got != "5 alerts" {
		t.Errorf("alert count %q", got)
	}
	b.screenshot("alerts")
	b.do("open snoozed", chromedp.Navigate(srv.URL+"/alerts?state=snoozed"))
	b.waitRendered("/alerts?state=snoozed")
	if got := eval[int](b, `document.querySelectorAll('#alert-list article').length`); got != 1 {
		t.Errorf("state=snoozed shows %d alerts, want 1", got)
	}
	if v := eval[string](b, `document.getElementById('al-state').value`); v != "snoozed" {
		t.Errorf("state filter shows %q", v)
	}
	b.do("critical only", chromedp.Navigate(srv.URL+"/alerts?severity=critical"))
	b.waitRendered("/alerts?severity=critical")
	if got := eval[int](b, `document.querySelectorAll('#alert-list article').length`); got != 1 {
		t.Errorf("severity=critical shows %d alerts, want 1", got)
	}
	if !slices.Contains(stub.requests(), "/api/v1/alerts?severity=critical&limit=200") {
		t.Errorf("severity did not reach the API: %v", stub.requests())
	}
	var kinds []string
	for _, k := range threat.Kinds {
		kinds = append(kinds, string(k))
	}
	if got := eval[string](b, `[...document.querySelectorAll('#al-kind option')].slice(1).map(o => o.value).join(',')`); got != strings.Join(kinds, ",") {
		t.Errorf("kind choices %q, the threat engine has %q", got, kinds)
	}
	b.do("kind", chromedp.SetValue(chromedp.CSS("#al-kind"), "cleartext_credentials"))
	b.waitRendered("/alerts?severity=critical&kind=cleartext_credentials")
	if !strings.Contains(b.mainText(), "No alert matches these filters.") {
		t.Errorf("critical cleartext alerts: %.300s", b.mainText())
	}
	b.do("kind only", chromedp.Navigate(srv.URL+"/alerts?kind=cleartext_credentials"))
	b.waitRendered("/alerts?kind=")
	if got := eval[int](b, `document.querySelectorAll('#alert-list article').length`); got != 1 {
		t.Errorf("kind=cleartext_credentials shows %d alerts, want 1", got)
	}

	// The device page: learned baseline, volume chart, the device's alerts.
	b.do("mr baseline", chromedp.Navigate(srv.URL+"/devices/dev-mr1"))
	b.waitRendered("/devices/dev-mr1")
	text = b.mainText()
	for _, want := range []string{"Baseline and alerts", "18,342", "Internal peers", "10.30.0.20 (290×)", "Services it offers", "tcp/104 (300×)",
		"Public destinations\nnone", "above", "Alerts (2)", "SMBv1 session from an unusual peer", "New outbound port udp/123"} {
		if !strings.Contains(text, want) {
			t.Errorf("device baseline section lacks %q", want)
		}
	}
	if !eval[bool](b, `[...document.querySelectorAll('main svg.chart title')].some(t => t.textContent.startsWith('Bytes per hour'))`) {
		t.Error("no hourly volume chart for a baseline with 48 hours")
	}
	b.screenshot("device-baseline")
	b.do("pump without baseline", chromedp.Navigate(srv.URL+"/devices/dev-pump2"))
	b.waitRendered("/devices/dev-pump2")
	if text := b.mainText(); !strings.Contains(text, "No baseline yet") || !strings.Contains(text, "Alerts (1)") {
		t.Errorf("device without a baseline: %.400s", text[strings.Index(text, "Baseline and alerts"):])
	}

	// CMMS: retry a dead delivery with the CSRF token.
	b.do("cmms", chromedp.Navigate(srv.URL+"/cmms"))
	b.waitRendered("/cmms")
	text = b.mainText()
	for _, want := range []string{"servicenow: 400 Bad Request: invalid u_asset_tag", "version change", "4 deliveries: 2 pending, 1 dead, 1 delivered"} {
		if !strings.Contains(text, want) {
			t.Errorf("CMMS page lacks %q", want)
		}
	}
	if got := eval[string](b, `[...document.querySelectorAll('button.retry')].map(b => b.getAttribute('aria-label')).join(',')`); got != "Retry delivery 11,Retry delivery 12" {
		t.Errorf("retry buttons %q, want deliveries 11 (dead) and 12 (failed attempts)", got)
	}
	b.do("retry 11", chromedp.Click(chromedp.CSS(`button[aria-label="Retry delivery 11"]`)))
	waitFor(t, b, `document.getElementById('ob-msg').dataset.done === '11'`)
	if msg := eval[string](b, `document.getElementById('ob-msg').textContent`); msg != "Delivery 11 queued again (pending)." {
		t.Errorf("retry message %q", msg)
	}
	stub.outbox.mu.Lock()
	retried := slices.Clone(stub.outbox.retried)
	stub.outbox.mu.Unlock()
	if !slices.Equal(retried, []int64{11}) {
		t.Errorf("retried deliveries %v, want [11]", retried)
	}
	b.do("dead only", chromedp.Navigate(srv.URL+"/cmms?status=dead"))
	b.waitRendered("/cmms?status=dead")
	if !strings.Contains(b.mainText(), "No dead deliveries.") {
		t.Error("after the retry the dead filter still lists deliveries")
	}

	// Reconcile the hand-written CMMS export and compare with the report
	// the real package makes of it.
	b.do("cmms again", chromedp.Navigate(srv.URL+"/cmms"))
	b.waitRendered("/cmms")
	csvPath, err := filepath.Abs(filepath.Join("..", "cmms", "reconcile", "testdata", "cmms-export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b.do("upload", chromedp.SetUploadFiles(chromedp.CSS("#rc-file"), []string{csvPath}), chromedp.Click(chromedp.CSS(`#rc-form button[type=submit]`)))
	waitFor(t, b, `document.getElementById('rc-result').dataset.done === 'ok'`)
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := cmms.Reconcile(t.Context(), &fakeDevices{ds: truthDevices(t)}, &fakeOutbox{}, "", f, reconcile.Mapping{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text = b.mainText()
	for _, sec := range []struct {
		id string
		n  int
	}{{"rc-matched", len(rep.Matched)}, {"rc-unmanaged", len(rep.Unmanaged)}, {"rc-ghosts", len(rep.Ghosts)}} {
		if got := eval[int](b, fmt.Sprintf(`document.querySelectorAll('#%s tbody tr').length`, sec.id)); got != sec.n {
			t.Errorf("%s: %d rows, report has %d", sec.id, got, sec.n)
		}
	}
	mism := 0
	for _, m := range rep.Matched {
		mism += len(m.Mismatches)
		for _, x := range m.Mismatches {
			if !strings.Contains(text, x.Suggested) || !strings.Contains(text, x.Evidence) {
				t.Errorf("mismatch %s of row %d: suggestion or evidence missing", x.Field, m.Asset.Row)
			}
		}
		for _, r := range m.Reasons {
			if !strings.Contains(text, r) {
				t.Errorf("match reason missing: %s", r)
			}
		}
	}
	if got := eval[int](b, `document.querySelectorAll('#rc-mismatched tbody tr').length`); got != mism || mism == 0 {
		t.Errorf("%d mismatch rows, report has %d", got, mism)
	}
	for _, g := range rep.Ghosts {
		if !strings.Contains(text, g.Reason) {
			t.Errorf("ghost reason missing: %s", g.Reason)
		}
	}
	if got := eval[string](b, `[...document.querySelectorAll('#rc-summary .n')].map(e => e.textContent).join(' ')`); got != fmt.Sprintf("%d %d %d %d %d %d",
		rep.Summary.Assets, rep.Summary.Devices, rep.Summary.Matched, rep.Summary.Mismatched, rep.Summary.Unmanaged, rep.Summary.Ghosts) {
		t.Errorf("reconcile summary %q, report %+v", got, rep.Summary)
	}
	b.screenshot("cmms-reconcile")

	// Procurement: compare two candidates through the form.
	b.do("assess", chromedp.Navigate(srv.URL+"/assess"))
	b.waitRendered("/assess")
	b.do("two candidates", chromedp.SetValue(chromedp.CSS("#cand-m-1"), "Baxter"), chromedp.SetValue(chromedp.CSS("#cand-x-1"), "Sigma Spectrum"),
		chromedp.Click(chromedp.CSS("#cand-add")), chromedp.SetValue(chromedp.CSS("#cand-m-2"), "BD"), chromedp.SetValue(chromedp.CSS("#cand-x-2"), "Alaris"),
		chromedp.Click(chromedp.CSS("#assess-go")))
	b.waitRendered("/assess?compare=")
	want := api.get("/api/v1/assess", url.Values{"compare": {"Baxter/Sigma Spectrum", "BD/Alaris"}})
	text = b.mainText()
	cmp, _ := want["comparison"].(map[string]any)
	if best := str(cmp["best"]); best == "" || !strings.Contains(text, "Best scored: "+best) {
		t.Errorf("comparison best %q not shown", best)
	}
	for _, r := range items(cmp, "rows") {
		if !strings.Contains(text, str(r["measure"])) {
			t.Errorf("comparison lacks %q", r["measure"])
		}
	}
	as := items(want, "assessments")
	if got := eval[string](b, `[...document.querySelectorAll('main .grade')].map(g => g.textContent).join(',')`); len(as) != 2 ||
		got != str(as[0]["score"].(map[string]any)["grade"])+","+str(as[1]["score"].(map[string]any)["grade"]) {
		t.Errorf("grades %q", got)
	}
	for _, a := range as {
		for _, p := range items(a["score"].(map[string]any), "parts") {
			if !strings.Contains(text, str(p["why"])) {
				t.Errorf("score part %s: why missing", p["name"])
			}
		}
	}
	if n := eval[int](b, `document.querySelectorAll('main svg.chart').length`); n != 2 {
		t.Errorf("%d advisories-per-year charts, want 2", n)
	}
	href := eval[string](b, `document.getElementById('assess-html').getAttribute('href')`)
	if u, err := url.Parse(href); err != nil || !slices.Equal(u.Query()["compare"], []string{"Baxter/Sigma Spectrum", "BD/Alaris"}) || u.Query().Get("format") != "html" {
		t.Errorf("HTML report link %q", href)
	}
	b.screenshot("assess-compare")

	// An unknown manufacturer: the report says so and draws no chart.
	b.do("unknown maker", chromedp.Navigate(srv.URL+"/assess?manufacturer="+url.QueryEscape("Nobody Medical <i>x</i>")))
	b.waitRendered("/assess?manufacturer=")
	text = b.mainText()
	if !strings.Contains(text, "No advisories on record for") || eval[int](b, `document.querySelectorAll('main svg').length`) != 0 {
		t.Errorf("unknown manufacturer: %.600s", text)
	}
	if eval[int](b, `document.querySelectorAll('main i').length`) != 0 {
		t.Error("markup in the manufacturer name became an element")
	}
	var reqs []string
	for _, r := range stub.requests() {
		if strings.HasPrefix(r, "/api/v1/assess") {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) < 2 {
		t.Errorf("assess requests: %v", reqs)
	}
}

// waitFor polls a JavaScript condition for up to 20 s.
func waitFor(t *testing.T, b *browser, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !eval[bool](b, js) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %.500s", js, b.mainText())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// A server that does not mount the alerts, CMMS and assess routes: each
// page, and the device page's baseline section, says so instead of failing.
func TestBrowserStubUnmounted(t *testing.T) {
	srv, stub := newStubServerWith(t, false, false)
	b := newBrowser(t)
	api := apiClient{t: t, base: srv.URL, token: stub.token}
	for _, p := range []string{"/api/v1/alerts", "/api/v1/cmms/", "/api/v1/assess"} {
		b.allowFailedRequest(p)
	}
	b.do("open login", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.do("log in", chromedp.SendKeys(chromedp.CSS("#token"), api.token), chromedp.Submit(chromedp.CSS("#token")))
	b.waitRendered("/")
	for _, tc := range []struct{ path, want string }{
		{"/alerts", "Alerts are " + notAvailableText},
		{"/cmms", "The CMMS integration is " + notAvailableText},
		{"/assess?manufacturer=Baxter", "Procurement assessment is " + notAvailableText},
		{"/devices/dev-mr1", "Baselines and alerts are " + notAvailableText},
	} {
		b.do("open "+tc.path, chromedp.Navigate(srv.URL+tc.path))
		b.waitRendered(tc.path)
		if text := b.mainText(); !strings.Contains(text, tc.want) {
			t.Errorf("%s: want %q in %.300s", tc.path, tc.want, text)
		}
		b.screenshot("unmounted-" + strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(tc.path), "-"))
	}
}
