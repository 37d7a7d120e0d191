package api

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/db/dbtest"
)

// TestRandomRequestsNo5xx sends a bounded number of random method, path,
// query and body combinations, with random credentials, and fails on any
// 5xx other than the documented 501 of the risk routes without a risk engine.
func TestRandomRequestsNo5xx(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
	var paths []string
	for _, rt := range f.api.Routes() {
		paths = append(paths, rt.Path)
	}
	paths = append(paths, "/api/v1/devices/"+f.dev["a1"], "/api/v1/devices/"+f.dev["b1"], "/api/v1/", "/api/v1/devices/%00", "/login/../api")
	keys := []string{"limit", "offset", "sort", "site", "q", "type", "manufacturer", "since", "device_id", "kev", "status", "tier", "silent", "criticality", "x"}
	vals := []string{"", "0", "-1", "1", "500", "501", "99999999999999999999", "abc", "-hostname", "a1", "b1", "true", "2026-01-01",
		"2026-01-01T00:00:00Z", "%", "'; DROP TABLE inv_devices; --", strings.Repeat("z", 300), "\x00", "new,moved", "-cvss", "epss", "日本"}
	bodies := []string{"", "{}", "{", "null", "[]", `{"id":"a"}`, `{"token":"ward_x"}`, "token=ward_x", `{"batch_id":"r","observations":[{}]}`,
		string(bytes.Repeat([]byte("["), 5000)), `{"id":` + strings.Repeat("9", 400) + `}`}
	tokens := []string{"", "ward_bad", f.tokens["acme/admin"], f.tokens["acme/viewer"], f.tokens["acme/sensor"], f.tokens["beta/analyst"]}
	ctypes := []string{"", "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"}
	const n = 3000
	codes := map[int]int{}
	for i := 0; i < n; i++ {
		q := url.Values{}
		for j := rng.IntN(4); j > 0; j-- {
			q.Add(pick(keys), pick(vals))
		}
		target := pick(paths)
		target = strings.ReplaceAll(target, "{id}", pick([]string{f.dev["a1"], "x", "%2e%2e"}))
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		method := pick(methods)
		body := pick(bodies)
		req := httptest.NewRequest(method, "http://ward.test/", strings.NewReader(body))
		req.URL.Path = target // set raw, so odd paths are not rejected by NewRequest
		if u, err := url.Parse(target); err == nil {
			req.URL = u
		}
		if tok := pick(tokens); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if ct := pick(ctypes); ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if rng.IntN(4) == 0 {
			req.Header.Set("Content-Encoding", pick([]string{"gzip", "br", "identity"}))
		}
		if rng.IntN(5) == 0 {
			req.Header.Set("Cookie", SessionCookie+"="+pick([]string{"", "x", strings.Repeat("y", 200)}))
			req.Header.Del("Authorization")
		}
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, req)
		codes[w.Code/100*100]++
		if w.Code >= 500 && !(w.Code == http.StatusNotImplemented && (strings.HasPrefix(req.URL.Path, "/api/v1/risks") || strings.HasPrefix(req.URL.Path, "/api/v1/plan"))) {
			t.Fatalf("%s %s (body %.40q, ctype %q): %d %s", method, target, body, req.Header.Get("Content-Type"), w.Code, w.Body.Bytes())
		}
	}
	// The run must reach the handlers, not only the auth checks.
	if codes[200] < 100 || codes[400] < 100 {
		t.Fatalf("status classes %v: too few requests reached the handlers", codes)
	}
	t.Logf("status classes: %v", codes)
}
