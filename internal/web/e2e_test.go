package web

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startDemo runs `ward demo --addr 127.0.0.1:0`, the README's first
// command, and returns its URL and admin token. The binary is
// $WARD_BIN, or built from ./cmd/ward.
func startDemo(t *testing.T) (baseURL, token string) {
	t.Helper()
	bin := os.Getenv("WARD_BIN")
	if bin == "" {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		bin = filepath.Join(t.TempDir(), "ward")
		build := exec.Command("go", "build", "-o", bin, "./cmd/ward")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/ward: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "demo", "--addr", "127.0.0.1:0")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ward demo stderr:\n%s", stderr.String())
		}
	})
	type result struct{ url, token string }
	done := make(chan result, 1)
	go func() {
		var r result
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "url: "); ok {
				r.url = strings.TrimSuffix(strings.TrimSpace(v), "/")
			}
			if v, ok := strings.CutPrefix(line, "token: "); ok {
				r.token = strings.TrimSpace(v)
			}
			if r.url != "" && r.token != "" {
				done <- r
				break
			}
		}
		for sc.Scan() { // keep draining so the demo never blocks on stdout
		}
	}()
	select {
	case r := <-done:
		return r.url, r.token
	case <-time.After(2 * time.Minute):
		t.Fatalf("ward demo printed no url/token line; stderr:\n%s", stderr.String())
	}
	return "", ""
}

// TestBrowserDemo walks the UI of a real `ward demo` in headless Chromium.
func TestBrowserDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ward demo")
	}
	chromiumPath(t)
	base, token := startDemo(t)
	b := newBrowser(t)
	api := apiClient{t: t, base: base, token: token}
	devID := uiJourney(t, b, api)
	if devID == "" {
		t.Fatal("the demo has no device to open")
	}
	// The demo is meant to show risk: findings, a plan and a curve.
	if n := len(items(api.get("/api/v1/plan", nil), "actions")); n == 0 {
		t.Error("demo plan has no actions")
	}
	b.do("reopen device", chromedp.Navigate(base+"/devices/"+url.PathEscape(devID)))
	b.waitRendered("/devices/")
	if !strings.Contains(b.mainText(), "Findings (") {
		t.Error("device page lacks the findings panel")
	}
}
