package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/demo"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// TestPluginsTenancy serves alerts, baselines, CMMS and assessment through
// the API: authenticated, role-checked and kept within the caller's
// organization.
func TestPluginsTenancy(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the demo capture")
	}
	ctx := context.Background()
	d := dbtest.SQLite(t)
	st, err := NewStack(ctx, d, StackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct{ org, site string }{{"hospital-a", "site-a"}, {"hospital-b", "site-b"}} {
		if _, err := st.Auth.EnsureOrg(ctx, "t", o.org, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Auth.CreateSite(ctx, "t", o.org, o.site, ""); err != nil {
			t.Fatal(err)
		}
	}
	tok := func(org string, role auth.Role) string {
		s, _, err := st.Auth.CreateToken(ctx, "t", org, role, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	viewerA, viewerB, analystA := tok("hospital-a", auth.Viewer), tok("hospital-b", auth.Viewer), tok("hospital-a", auth.Analyst)
	pcap, err := demo.WriteCapture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var col observe.Collector
	if _, err := sensor.ReadFiles(ctx, []string{pcap}, decode.DefaultConfig(), &col, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Inventory.Ingest(ctx, "site-a", col.Obs); err != nil {
		t.Fatal(err)
	}
	devs, _, err := st.Inventory.Devices(ctx, inventory.DeviceFilter{Limit: 1})
	if err != nil || len(devs) == 0 {
		t.Fatalf("no devices: %v", err)
	}
	devA := devs[0].ID
	h, err := Handler(Config{API: st.API, DB: d})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "text/csv")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		name, method, path, token, body string
		want                            int
		contains                        string
	}{
		{"alerts need a token", "GET", "/api/v1/alerts", "", "", 401, ""},
		{"alerts of own site", "GET", "/api/v1/alerts", viewerA, "", 200, `"alerts"`},
		{"alerts of another organization's site", "GET", "/api/v1/alerts?site=site-a", viewerB, "", 403, "not a site"},
		{"baseline of own device", "GET", "/api/v1/devices/" + devA + "/baseline", viewerA, "", 404, "baseline"},
		{"baseline of a foreign device", "GET", "/api/v1/devices/" + devA + "/baseline", viewerB, "", 404, "device"},
		{"cmms outbox", "GET", "/api/v1/cmms/outbox", viewerA, "", 200, `"deliveries"`},
		{"viewer may not reconcile", "POST", "/api/v1/cmms/reconcile", viewerA, "Serial Number\n123\n", 403, "may not"},
		{"analyst reconciles own site", "POST", "/api/v1/cmms/reconcile?format=json", analystA, "Asset Tag,Serial Number,MAC Address\nA1,NOPE-1,00:11:22:33:44:55\n", 200, `ghost`},
		{"assessment", "GET", "/api/v1/assess?manufacturer=BD", viewerA, "", 200, `"BD"`},
		{"assessment needs a candidate", "GET", "/api/v1/assess", viewerA, "", 400, ""},
		{"openapi documents the plugins", "GET", "/api/openapi.json", "", "", 200, `/api/v1/cmms/reconcile`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := do(c.method, c.path, c.token, c.body)
			if code != c.want || (c.contains != "" && !strings.Contains(strings.ToLower(body), strings.ToLower(c.contains))) {
				t.Fatalf("%s %s = %d %.300s; want %d containing %q", c.method, c.path, code, body, c.want, c.contains)
			}
			if strings.HasPrefix(body, "{") && !json.Valid([]byte(body)) {
				t.Fatalf("invalid JSON: %.300s", body)
			}
		})
	}
}
