package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/report"
)

func chromium(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("WARD_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
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
	t.Skip("chromium not found; install Debian's chromium to run the browser test")
	return ""
}

func artifacts(t *testing.T) string {
	t.Helper()
	base := os.Getenv("WARD_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHTMLInChromium opens a two-candidate report (one with a record, one
// unknown) from a file in headless Chromium: it must render without console
// errors, draw its charts with visible bars, say why the second candidate
// has none, print to PDF, and leave a screenshot.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := artifacts(t)
	rep := run(t, assess.Candidate{Manufacturer: "Philips", Model: "IntelliVue MX450"}, assess.Candidate{Manufacturer: "Zzyzx Devices Corp"})
	htmlPath := filepath.Join(dir, "assessment.html")
	f, err := os.Create(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(f, rep); err != nil {
		t.Fatal(err)
	}
	f.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	var mu sync.Mutex
	var problems []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+htmlPath), chromedp.WaitVisible(chromedp.CSS("svg.chart"))); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	nCharts := eval(`document.querySelectorAll("svg.chart").length`).(float64)
	nBars := eval(`document.querySelectorAll("svg.chart rect.bar, svg.chart rect.sev").length`).(float64)
	barsVisible := eval(`[...document.querySelectorAll("svg.chart rect.bar.adv")].some(r => r.getBoundingClientRect().height > 5 && r.getBoundingClientRect().width > 5)`).(bool)
	nGrades := eval(`document.querySelectorAll(".grade").length`).(float64)
	second := eval(`document.querySelectorAll("section.candidate")[1].innerText`).(string)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	chartShot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("div.charts")))
	if err != nil {
		t.Fatal(err)
	}
	bg := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &bg, PaperWidth: 8.27, PaperHeight: 11.69})
	if err != nil {
		t.Fatal(err)
	}
	pdf := res.Data
	time.Sleep(100 * time.Millisecond) // let the last console events arrive
	if !strings.Contains(title, "Philips IntelliVue MX450 vs Zzyzx Devices Corp") {
		t.Errorf("title %q", title)
	}
	if nCharts != 3 {
		t.Errorf("%v charts rendered, want 3 (per year, severity, time to fix) for Philips and none for the unknown", nCharts)
	}
	if nBars < 10 || !barsVisible {
		t.Errorf("%v bars, visible %v", nBars, barsVisible)
	}
	if nGrades != 2 {
		t.Errorf("%v grade badges, want 2", nGrades)
	}
	if !strings.Contains(second, "Unknown manufacturer") || !strings.Contains(second, "no record charts") {
		t.Errorf("unknown candidate section does not explain itself: %q", second)
	}
	mu.Lock()
	if len(problems) > 0 {
		t.Errorf("browser problems: %q", problems)
	}
	mu.Unlock()
	if len(pdf) < 1000 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("print to PDF gave %d bytes", len(pdf))
	}
	for name, b := range map[string][]byte{"assessment.png": shot, "assessment-charts.png": chartShot, "assessment.pdf": pdf} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("artifacts in %s (%d-byte screenshot)", dir, len(shot))
}
