package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser for the real-browser tests: $WARD_CHROMIUM,
// then the Debian package's binary. The tests skip without one, except
// under CI=true, where its absence is a broken runner.
func chromiumPath(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("WARD_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found (apt-get install -y chromium, or set WARD_CHROMIUM)")
	}
	t.Skip("chromium not found; install the Debian package chromium to run the browser tests")
	return ""
}

// artifactDir is where screenshots go: $WARD_ARTIFACTS/<test name>, or a
// temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("WARD_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium tab that records every console error,
// uncaught exception, failed request logged by the browser, and dialog
// (an alert() would mean injected script ran).
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
	mu        sync.Mutex
	problems  []string
	dialogs   []string
	allowed   []string // URLs whose failed requests a test provokes on purpose
}

// allowFailedRequest accepts the browser's network error log entry for a
// request the test expects to fail (a 404 for a device that does not exist).
func (b *browser) allowFailedRequest(urlPart string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, urlPart)
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	// A device without a learned baseline answers 404 by contract.
	b := &browser{t: t, ctx: ctx, artifacts: artifactDir(t), allowed: []string{"/baseline"}}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				if m.Source == "network" && slices.ContainsFunc(b.allowed, func(a string) bool { return strings.Contains(m.URL, a) }) {
					b.mu.Unlock()
					continue
				}
				b.problems = append(b.problems, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	t.Cleanup(b.checkClean)
	return b
}

// checkClean fails the test on any console error, exception or dialog.
func (b *browser) checkClean() {
	time.Sleep(100 * time.Millisecond) // let the last console events arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
	for _, d := range b.dialogs {
		b.t.Errorf("browser opened a dialog (injected script?): %s", d)
	}
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitRendered waits until the router finished the page at path (a prefix
// of pathname+search), then checks it shows no error box.
func (b *browser) waitRendered(path string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const m = document.querySelector('main'); return !!(m && m.dataset.rendered && m.dataset.rendered.startsWith(%q)); })()`, path)
	// Poll from Go: a navigation (form post, redirect) replaces the page's
	// JavaScript context, and an in-page poll would fail with it.
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href + ' rendered=' + (document.querySelector('main') || {dataset: {}}).dataset.rendered + ': ' + (document.body ? document.body.innerText.slice(0, 400) : '')`))
			b.t.Fatalf("page %s did not render (last error %v): %s", path, err, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Logf("%s rendered within %s", path, time.Since(start).Round(10*time.Millisecond))
	if msg := eval[string](b, `Array.from(document.querySelectorAll('main .error')).map(e => e.textContent).join('; ')`); msg != "" {
		b.t.Errorf("page %s shows an error: %s", path, msg)
	}
	if msg := eval[string](b, a11yCheck); msg != "" {
		b.t.Errorf("page %s accessibility: %s", path, msg)
	}
}

// a11yCheck lists basic accessibility defects of the page: one h1, every
// form control labelled, every link and button named, every chart titled.
const a11yCheck = `(() => {
  const bad = [];
  const h1 = document.querySelectorAll('main h1').length;
  if (h1 !== 1) bad.push(h1 + ' h1 headings');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) bad.push('unlabelled ' + el.tagName + '#' + el.id);
  }
  for (const el of document.querySelectorAll('a, button')) {
    if (!el.textContent.trim() && !el.getAttribute('aria-label')) bad.push('unnamed ' + el.tagName);
  }
  for (const svg of document.querySelectorAll('main svg')) {
    if (svg.getAttribute('role') !== 'img' || !svg.querySelector('title') || !svg.querySelector('title').textContent) bad.push('untitled chart');
  }
  return bad.join('; ');
})()`

func (b *browser) mainText() string {
	b.t.Helper()
	return eval[string](b, `document.querySelector('main').innerText`)
}

// screenshot saves a PNG of the viewport (what a 1366×768 laptop shows
// first) and one of the whole page.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	full, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("full screenshot %s: %v", name, err)
	}
	for suffix, data := range map[string][]byte{"": png, "-full": full} {
		if len(data) < 8 || string(data[1:4]) != "PNG" {
			b.t.Fatalf("screenshot %s%s is not a PNG", name, suffix)
		}
		if err := os.WriteFile(filepath.Join(b.artifacts, name+suffix+".png"), data, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// apiClient reads the same API the page reads, with the bearer token, so
// assertions follow the data (canned or demo) instead of hard-coding it.
type apiClient struct {
	t           *testing.T
	base, token string
}

func (c apiClient) get(path string, params url.Values) map[string]any {
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
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		c.t.Fatalf("GET %s: %v", u, err)
	}
	switch v := v.(type) {
	case map[string]any:
		return v
	case []any: // a bare list: give it the list envelope
		return map[string]any{"items": v, "total": float64(len(v))}
	}
	c.t.Fatalf("GET %s: unexpected JSON %T", u, v)
	return nil
}

func items(m map[string]any, key string) []map[string]any {
	arr, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if o, ok := x.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// uiJourney logs in and walks dashboard, inventory (search and sort), a
// device page, findings, plan, sites and feeds, checking each page shows
// what the API holds. It returns the id of the device page it opened.
func uiJourney(t *testing.T, b *browser, api apiClient) string {
	t.Helper()
	base := api.base

	// Log in through the form, as a person would.
	b.do("open login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.screenshot("00-login")
	b.do("log in", chromedp.SendKeys(chromedp.CSS("#token"), api.token), chromedp.Submit(chromedp.CSS("#token")))
	b.waitRendered("/")

	// Dashboard.
	dash := api.get("/api/v1/dashboard", nil)
	text := b.mainText()
	if !strings.Contains(text, "Dashboard") || !strings.Contains(text, "Devices by type") {
		t.Errorf("dashboard text: %.500s", text)
	}
	total := int(dash["devices_total"].(float64))
	if total > 0 {
		if n := eval[int](b, `document.querySelectorAll('main svg.chart').length`); n < 2 {
			t.Errorf("dashboard with %d devices draws %d charts", total, n)
		}
		if kpi := eval[string](b, `document.querySelector('.kpi .n').textContent`); strings.ReplaceAll(kpi, ",", "") != fmt.Sprint(total) {
			t.Errorf("device count shows %q, API says %d", kpi, total)
		}
		// The most common type is always drawn (smaller ones may be folded
		// into "others").
		top, topN := "", -1.0
		for typ, n := range dash["devices_by_type"].(map[string]any) {
			if f := n.(float64); f > topN || (f == topN && typ < top) {
				top, topN = typ, f
			}
		}
		if top != "" && !eval[bool](b, fmt.Sprintf(`[...document.querySelectorAll('main svg.chart text')].some(t => t.firstChild && t.firstChild.textContent === %q)`, top)) {
			t.Errorf("most common type %q missing from the chart", top)
		}
	} else if !strings.Contains(text, "No devices in the inventory yet") {
		t.Errorf("empty dashboard does not say so: %.300s", text)
	}
	b.screenshot("01-dashboard")

	// Inventory, reached by keyboard-accessible navigation.
	b.do("open inventory", chromedp.Click(chromedp.CSS(`header nav a[href="/devices"]`)))
	b.waitRendered("/devices")
	devs := api.get("/api/v1/devices", url.Values{"sort": {"hostname"}, "limit": {"50"}})
	list := items(devs, "items")
	rows := eval[int](b, `document.querySelectorAll('#inventory tbody tr').length`)
	if rows != len(list) {
		t.Errorf("inventory shows %d rows, API page has %d", rows, len(list))
	}
	for _, d := range list {
		href := "/devices/" + url.PathEscape(str(d["id"]))
		if !eval[bool](b, fmt.Sprintf(`!!document.querySelector('#inventory a[href=%q]')`, href)) {
			t.Errorf("inventory has no link to %s", href)
		}
	}
	if csv := eval[string](b, `(document.querySelector('a[href^="/api/v1/devices.csv"]') || {}).href || ''`); csv == "" {
		t.Error("no CSV export link")
	}
	b.screenshot("02-inventory")
	if total := int(devs["total"].(float64)); total > len(list) {
		// Page forward and check the range the status line reports.
		b.do("next page", chromedp.Click(chromedp.CSS("#inv-next")))
		b.waitRendered("/devices?offset=50")
		want := fmt.Sprintf("Devices 51–%d of %d", min(100, total), total)
		if got := strings.ReplaceAll(eval[string](b, `document.getElementById('inv-count').textContent`), ",", ""); !strings.HasPrefix(got, want) {
			t.Errorf("second page status %q, want %q", got, want)
		}
		if f := eval[string](b, `document.activeElement.id`); f != "inv-next" && f != "inv-prev" {
			t.Errorf("paging moved the keyboard focus to %q", f)
		}
		b.do("previous page", chromedp.Click(chromedp.CSS("#inv-prev")))
		b.waitRendered("/devices")
	}
	if len(list) > 0 {
		// Search for the first device's manufacturer (or id) and compare
		// with the API's answer to the same query.
		term := str(list[0]["manufacturer"])
		if term == "" {
			term = str(list[0]["id"])
		}
		term = strings.Fields(term)[0]
		b.do("search", chromedp.SetValue(chromedp.CSS("#inv-q"), term), chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
		b.waitRendered("/devices?q=")
		want := api.get("/api/v1/devices", url.Values{"q": {term}, "sort": {"hostname"}, "limit": {"50"}})
		if got := eval[int](b, `document.querySelectorAll('#inventory tbody tr').length`); got != len(items(want, "items")) {
			t.Errorf("search %q shows %d rows, API has %d", term, got, len(items(want, "items")))
		}
		status := eval[string](b, `document.getElementById('inv-count').textContent`)
		if !strings.Contains(strings.ReplaceAll(status, ",", ""), fmt.Sprintf("of %d", int(want["total"].(float64)))) {
			t.Errorf("search status %q, API total %v", status, want["total"])
		}
		// Sort by last seen, descending (two clicks), via the header button.
		b.do("sort", chromedp.Click(chromedp.CSS(`th button.sort[data-key="last_seen"]`)))
		b.waitRendered("/devices?q=")
		b.do("sort desc", chromedp.Click(chromedp.CSS(`th button.sort[data-key="last_seen"]`)))
		b.waitRendered("/devices?q=")
		if s := eval[string](b, `location.search`); !strings.Contains(s, "sort=-last_seen") {
			t.Errorf("sort not in URL: %s", s)
		}
		if s := eval[string](b, `document.querySelector('th[aria-sort="descending"]')?.textContent || ''`); s != "Last seen (UTC)" {
			t.Errorf("aria-sort marks %q", s)
		}
	}

	// A device page: one with findings if there are any.
	fnd := api.get("/api/v1/findings", url.Values{"limit": {"50"}})
	devID := ""
	if fl := items(fnd, "items"); len(fl) > 0 {
		devID = str(fl[0]["device_id"])
	} else if len(list) > 0 {
		devID = str(list[0]["id"])
	}
	if devID != "" {
		b.do("open device", chromedp.Navigate(base+"/devices/"+url.PathEscape(devID)))
		b.waitRendered("/devices/")
		dev := api.get("/api/v1/devices/"+url.PathEscape(devID), nil)
		text := b.mainText()
		for _, want := range []string{devID, "Identity and evidence", "Services and peers", "Change timeline", "Recommended actions"} {
			if !strings.Contains(text, want) {
				t.Errorf("device page lacks %q", want)
			}
		}
		for _, s := range items(dev, "services") {
			if want := fmt.Sprintf("%s/%v", str(s["transport"]), s["port"]); !strings.Contains(text, want) {
				t.Errorf("device page lacks service %s", want)
			}
		}
		for _, f := range items(dev, "findings") {
			if !strings.Contains(text, str(f["advisory"])) {
				t.Errorf("device page lacks finding %s", f["advisory"])
			}
			if len(items(f, "explanation")) > 0 && eval[int](b, `document.querySelectorAll('main ul.explain li').length`) == 0 {
				t.Error("finding explanation not shown")
			}
		}
		b.screenshot("03-device")
	}

	// Findings.
	b.do("open findings", chromedp.Click(chromedp.CSS(`header nav a[href="/findings"]`)))
	b.waitRendered("/findings")
	text = b.mainText()
	fl := items(fnd, "items")
	for _, f := range fl {
		if !strings.Contains(text, str(f["advisory"])) {
			t.Errorf("findings page lacks %s", f["advisory"])
		}
	}
	if len(fl) == 0 && !strings.Contains(text, "No vulnerability findings") {
		t.Errorf("empty findings page does not say so: %.300s", text)
	}
	b.screenshot("04-findings")

	// Plan.
	b.do("open plan", chromedp.Click(chromedp.CSS(`header nav a[href="/plan"]`)))
	b.waitRendered("/plan")
	plan := api.get("/api/v1/plan", nil)
	acts := items(plan, "actions")
	if len(acts) > 0 {
		if got := eval[int](b, `document.querySelectorAll('#plan tbody tr').length`); got != len(acts) {
			t.Errorf("plan shows %d actions, API has %d", got, len(acts))
		}
		if eval[int](b, `document.querySelectorAll('main svg.chart').length`) != 1 {
			t.Error("plan has no cumulative risk curve")
		}
		if h := eval[string](b, `document.getElementById('plan-headline')?.textContent || ''`); !strings.Contains(h, "% of the current risk") {
			t.Errorf("plan headline %q", h)
		}
	} else {
		if !strings.Contains(b.mainText(), "No remediation actions") {
			t.Errorf("empty plan does not say so")
		}
		if eval[int](b, `document.querySelectorAll('main svg').length`) != 0 {
			t.Error("empty plan draws a chart")
		}
	}
	b.screenshot("05-plan")

	b.do("open sites", chromedp.Click(chromedp.CSS(`header nav a[href="/sites"]`)))
	b.waitRendered("/sites")
	if !strings.Contains(b.mainText(), "Sensors") {
		t.Error("sites page lacks the sensor list")
	}
	b.screenshot("06-sites")
	b.do("open feeds", chromedp.Click(chromedp.CSS(`header nav a[href="/feeds"]`)))
	b.waitRendered("/feeds")
	b.screenshot("07-feeds")
	moreJourney(t, b, api, devID, list)
	return devID
}

func TestBrowserStub(t *testing.T) {
	srv, stub := newStubServer(t, false)
	b := newBrowser(t)
	api := apiClient{t: t, base: srv.URL, token: stub.token}
	if id := uiJourney(t, b, api); id != "dev-mr1" {
		t.Errorf("journey opened device %q, want the one with findings", id)
	}

	// The rich device page: evidence with rule and confidence, peers,
	// utilization heat map, timeline, finding explanation, ACL snippet.
	b.do("open mr", chromedp.Navigate(srv.URL+"/devices/dev-mr1"))
	b.waitRendered("/devices/dev-mr1")
	text := b.mainText()
	for _, want := range []string{
		"MR-VIDA-1", "Siemens Healthineers", "implementation_version_name", "SIEMENS_SWFVA30A", "rule dicom-siemens-impl",
		"99 %", "1 other candidate value", "tcp/104", "10.30.0.20 (290×)", "Radiology MR1", "dhcp-option-82", "sw-rad-1/0/7",
		"software update — version: VA20A → VA30A", "ICSMA-25-100-01", "Out-of-Cycle", "KEV", "Disable SMBv1 on the host.",
		"CVE-2017-0144 is in CISA's Known Exploited Vulnerabilities catalog", "Restrict tcp/445 on MR-VIDA-1 to 10.40.7.3", "smbv1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("device page lacks %q", want)
		}
	}
	if n := eval[int](b, `document.querySelectorAll('main svg.chart rect').length`); n != 3*24 {
		t.Errorf("utilization heat map has %d cells, want 72", n)
	}

	// Hostile names from the network are shown as text, never run.
	b.do("open inventory", chromedp.Navigate(srv.URL+"/devices"))
	b.waitRendered("/devices")
	if !strings.Contains(b.mainText(), "<script>alert('xss')</script>") || !strings.Contains(b.mainText(), "<img src=x onerror=alert(1)>") {
		t.Error("hostile device names are not shown literally")
	}
	if n := eval[int](b, `document.querySelectorAll('main img, main script').length`); n != 0 {
		t.Errorf("%d injected elements in the page", n)
	}
	b.do("open hostile device", chromedp.Navigate(srv.URL+"/devices/dev-evil"))
	b.waitRendered("/devices/dev-evil")
	if h := eval[string](b, `document.querySelector('main h1').textContent`); h != "<script>alert('xss')</script>" {
		t.Errorf("hostile device heading %q", h)
	}
	if n := eval[int](b, `document.querySelectorAll('main img, main script').length`); n != 0 {
		t.Errorf("%d injected elements in the device page", n)
	}

	// Filters reach the API.
	b.do("filter by type", chromedp.Navigate(srv.URL+"/devices"))
	b.waitRendered("/devices")
	b.do("choose type", chromedp.SetValue(chromedp.CSS("#inv-type"), "infusion_pump"), chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	b.waitRendered("/devices?type=infusion_pump")
	if got := eval[int](b, `document.querySelectorAll('#inventory tbody tr').length`); got != 2 {
		t.Errorf("type filter shows %d rows, want 2", got)
	}
	sawType := false
	for _, r := range stub.requests() {
		if strings.HasPrefix(r, "/api/v1/devices?") && strings.Contains(r, "type=infusion_pump") {
			sawType = true
		}
	}
	if !sawType {
		t.Errorf("no API request carried type=infusion_pump: %v", stub.requests())
	}

	// Keyboard: focus a sort button and press Enter.
	b.do("keyboard sort", chromedp.Focus(chromedp.CSS(`th button.sort[data-key="type"]`)), chromedp.KeyEvent("\r"))
	b.waitRendered("/devices?type=infusion_pump&sort=type")

	// The header's site selector scopes the dashboard.
	b.do("dashboard", chromedp.Navigate(srv.URL+"/dashboard"))
	b.waitRendered("/dashboard")
	b.do("choose site", chromedp.SetValue(chromedp.CSS("#site-select"), "north-clinic"))
	b.do("fire change", chromedp.Evaluate[chromedp.Void](`document.getElementById('site-select').dispatchEvent(new Event('change'))`))
	b.waitRendered("/dashboard")
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(stub.requests(), "/api/v1/dashboard?site=north-clinic") {
		if time.Now().After(deadline) {
			t.Fatalf("site choice did not reach the API: %v", stub.requests())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.do("back to all sites", chromedp.SetValue(chromedp.CSS("#site-select"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('site-select').dispatchEvent(new Event('change'))`))

	// Printing hides the navigation and keeps the content.
	b.do("device for print", chromedp.Navigate(srv.URL+"/devices/dev-mr1"))
	b.waitRendered("/devices/dev-mr1")
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if d := eval[string](b, `getComputedStyle(document.querySelector('header.top')).display`); d != "none" {
		t.Errorf("printed page shows the navigation (display %q)", d)
	}
	b.screenshot("08-device-print-media")
	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF())
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("print to PDF: %v", err)
	}
	if err := os.WriteFile(filepath.Join(b.artifacts, "device-print.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
		t.Fatal(err)
	}

	// Unknown client route and unknown device.
	b.allowFailedRequest("/api/v1/devices/nope")
	b.do("unknown device", chromedp.Navigate(srv.URL+"/devices/nope"))
	b.waitRendered("/devices/nope")
	if !strings.Contains(b.mainText(), "No device with id “nope”") {
		t.Errorf("unknown device page: %.200s", b.mainText())
	}

	// Log out sends the CSRF token and returns to the login form.
	b.do("log out", chromedp.Navigate(srv.URL+"/dashboard"))
	b.waitRendered("/dashboard")
	b.do("click log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#token")))
	stub.mu.Lock()
	n := stub.logout
	stub.mu.Unlock()
	if n != 1 {
		t.Errorf("logout calls with a valid CSRF token: %d", n)
	}

	// A wrong token brings the form back with the reason, as text.
	b.do("wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "<b>nope</b>"), chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	if msg := eval[string](b, `document.getElementById('login-error').textContent`); msg != "Login failed: unknown or revoked token" {
		t.Errorf("login error %q", msg)
	}
}

// A fresh install: every page says what is missing and draws no chart.
func TestBrowserStubEmpty(t *testing.T) {
	srv, stub := newStubServer(t, true)
	b := newBrowser(t)
	uiJourney(t, b, apiClient{t: t, base: srv.URL, token: stub.token})
	checks := map[string]string{
		"/dashboard": "No devices in the inventory yet",
		"/devices":   "No devices in the inventory yet",
		"/findings":  "No vulnerability findings",
		"/plan":      "No remediation actions",
		"/feeds":     "No feeds loaded",
		"/sites":     "No sensors have uploaded yet",
		"/alerts":    "No alerts: no device departed from its learned behaviour",
		"/cmms":      "The outbox is empty",
		"/assess":    "No candidate yet",
	}
	for path, want := range checks {
		b.do("open "+path, chromedp.Navigate(srv.URL+path))
		b.waitRendered(path)
		if text := b.mainText(); !strings.Contains(text, want) {
			t.Errorf("%s: want %q in %.300s", path, want, text)
		}
		if n := eval[int](b, `document.querySelectorAll('main svg').length`); n != 0 {
			t.Errorf("%s draws %d charts without data", path, n)
		}
	}
	b.do("dashboard", chromedp.Navigate(srv.URL+"/dashboard"))
	b.waitRendered("/dashboard")
	b.screenshot("empty-dashboard")
}
