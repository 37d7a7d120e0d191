package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func TestHandlerRoutes(t *testing.T) {
	h := Handler()
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantType           string // prefix of Content-Type
		wantBody           string // substring
	}{
		{"root is the shell", "GET", "/", 200, "text/html", `<main id="main"`},
		{"dashboard route", "GET", "/dashboard", 200, "text/html", `src="/assets/app.js"`},
		{"inventory route", "GET", "/devices", 200, "text/html", `<main id="main"`},
		{"device route", "GET", "/devices/dev-0001", 200, "text/html", `<main id="main"`},
		{"device id with encoded slash", "GET", "/devices/a%2Fb", 200, "text/html", `<main id="main"`},
		{"findings route", "GET", "/findings", 200, "text/html", `<main id="main"`},
		{"plan route", "GET", "/plan", 200, "text/html", `<main id="main"`},
		{"sites route", "GET", "/sites", 200, "text/html", `<main id="main"`},
		{"feeds route", "GET", "/feeds", 200, "text/html", `<main id="main"`},
		{"alerts route", "GET", "/alerts?severity=high", 200, "text/html", `href="/alerts"`},
		{"cmms route", "GET", "/cmms", 200, "text/html", `href="/cmms"`},
		{"assess route", "GET", "/assess?compare=Baxter%2FSigma", 200, "text/html", `href="/assess"`},
		{"assess view module", "GET", "/assets/views/assess.js", 200, "text/javascript", "export async function render"},
		{"route with query", "GET", "/devices?q=pump&sort=-last_seen", 200, "text/html", `<main id="main"`},
		{"login form", "GET", "/login", 200, "text/html", `action="/login"`},
		{"script", "GET", "/assets/app.js", 200, "text/javascript", "import"},
		{"view module", "GET", "/assets/views/device.js", 200, "text/javascript", "export async function render"},
		{"stylesheet", "GET", "/assets/app.css", 200, "text/css", "@media print"},
		{"icon", "GET", "/assets/favicon.svg", 200, "image/svg+xml", "<svg"},
		{"favicon.ico", "GET", "/favicon.ico", 200, "image/svg+xml", "<svg"},
		{"head", "HEAD", "/assets/app.css", 200, "text/css", ""},
		{"missing asset", "GET", "/assets/nope.js", 404, "text/plain", "not found"},
		{"unknown page", "GET", "/wp-admin", 404, "text/plain", "not found"},
		{"nested device path", "GET", "/devices/a/b", 404, "text/plain", "not found"},
		{"api is not the UI's", "GET", "/api/v1/devices", 404, "text/plain", "not found"},
		{"traversal", "GET", "/assets/../web.go", 404, "text/plain", "not found"},
		{"post", "POST", "/dashboard", 405, "text/plain", "method not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, tc.method, tc.path)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want prefix %q", ct, tc.wantType)
			}
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body does not contain %q:\n%.300s", tc.wantBody, body)
			}
			if tc.wantStatus == 200 {
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Error("missing nosniff")
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
					t.Errorf("CSP %q", csp)
				}
			}
		})
	}
}

func TestHandlerETag(t *testing.T) {
	h := Handler()
	resp := get(t, h, "GET", "/assets/app.js")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/assets/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", rec.Code)
	}
}

func TestHandlerGzip(t *testing.T) {
	h := Handler()
	plain := get(t, h, "GET", "/assets/app.css")
	want, _ := io.ReadAll(plain.Body)
	tests := []struct {
		accept string
		gz     bool
	}{
		{"gzip, deflate, br", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"gzip;q=0", false},
		{"identity", false},
		{"", false},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/assets/app.css", nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gz {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gz)
			continue
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: no Vary", tc.accept)
		}
		var body io.Reader = resp.Body
		if tc.gz {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
			if resp.Header.Get("ETag") == plain.Header.Get("ETag") {
				t.Error("gzip and identity share an ETag")
			}
		}
		got, err := io.ReadAll(body)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Accept-Encoding %q: body differs (%v)", tc.accept, err)
		}
	}
}

// Every asset must be served from this binary: no CDN, no external font,
// no remote script. XML namespace names are identifiers, never fetched.
func TestNoExternalURLs(t *testing.T) {
	namespaces := strings.NewReplacer("http://www.w3.org/2000/svg", "")
	external := regexp.MustCompile(`(?i)https?://|//cdn|(?:src|href)\s*=\s*["']?//|url\(\s*["']?(?:https?:)?//|@import`)
	n := 0
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if loc := external.FindIndex([]byte(namespaces.Replace(string(b)))); loc != nil {
			s := namespaces.Replace(string(b))
			t.Errorf("%s: external reference %q", p, s[max(0, loc[0]-30):min(len(s), loc[1]+30)])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("walked only %d assets", n)
	}
}

// Data from the API (device names, banners) must never reach markup.
func TestNoHTMLInjectionSinks(t *testing.T) {
	sinks := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, _ := static.ReadFile(p)
		if m := sinks.Find(b); m != nil {
			t.Errorf("%s uses %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every module an asset imports must exist, so a renamed file cannot
// break the UI with a 404 only a browser would notice.
func TestModuleImportsResolve(t *testing.T) {
	h := Handler().(*handler)
	imp := regexp.MustCompile(`(?m)^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]`)
	for name, a := range h.assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imp.FindAllStringSubmatch(string(a.body), -1) {
			ref := m[1]
			dir := name[:strings.LastIndex(name, "/")+1]
			target := resolve(dir, ref)
			if _, ok := h.assets[target]; !ok {
				t.Errorf("%s imports %q (%s): not an asset", name, ref, target)
			}
		}
	}
}

func resolve(dir, ref string) string {
	if strings.HasPrefix(ref, "/") {
		return ref
	}
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	for _, seg := range strings.Split(ref, "/") {
		switch seg {
		case ".":
		case "..":
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "/")
}
