package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/uplink"
)

func stack(t *testing.T, d *db.DB) *Stack {
	t.Helper()
	s, err := NewStack(context.Background(), d, StackOptions{NoMatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProbesMetricsAndFallbacks(t *testing.T) {
	d := dbtest.SQLite(t)
	s := stack(t, d)
	reg := prometheus.NewRegistry()
	h, err := Handler(Config{API: s.API, DB: d, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string, http.Header) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if c, b, _ := get("/healthz"); c != 200 || b != "ok\n" {
		t.Fatalf("healthz %d %q", c, b)
	}
	if c, _, _ := get("/readyz"); c != 200 {
		t.Fatalf("readyz %d", c)
	}
	if c, b, _ := get("/api/v1/nothing"); c != 404 || !strings.Contains(b, `"error"`) {
		t.Fatalf("unknown API path: %d %s", c, b)
	}
	if c, _, h := get("/api/v1/devices"); c != 401 || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("devices without token: %d %v", c, h)
	}
	if c, b, _ := get("/"); c != 200 || !strings.Contains(b, "openapi") {
		t.Fatalf("placeholder UI: %d %q", c, b)
	}
	// Every operation of the OpenAPI document is served by this handler.
	_, doc, _ := get("/api/openapi.json")
	var od struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(doc), &od); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/devices", "/login"} {
		if od.Paths[p] == nil {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
	for p, ops := range od.Paths {
		for m := range ops {
			req, _ := http.NewRequest(strings.ToUpper(m), srv.URL+strings.ReplaceAll(p, "{id}", "x"), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound && !strings.Contains(p, "{") || resp.StatusCode == http.StatusMethodNotAllowed {
				t.Errorf("documented %s %s answers %d", m, p, resp.StatusCode)
			}
		}
	}
	_, m, _ := get("/metrics")
	for _, want := range []string{
		`ward_http_requests_total{code="401",method="GET",route="GET /api/v1/devices"}`,
		`ward_http_requests_total{code="200",method="GET",route="GET /healthz"}`,
		`ward_http_request_duration_seconds_bucket`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A second handler on the same registry is refused rather than silently sharing.
	if _, err := Handler(Config{API: s.API, Registry: reg}); err == nil {
		t.Error("duplicate metrics registration accepted")
	}
	// Readiness follows the database.
	d.Close()
	if c, _, _ := get("/readyz"); c != 503 {
		t.Fatalf("readyz with closed DB: %d", c)
	}
}

func TestBodyLimitAndGracefulShutdown(t *testing.T) {
	d := dbtest.SQLite(t)
	s, err := NewStack(context.Background(), d, StackOptions{NoMatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	h, err := Handler(Config{API: s.API, DB: d})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(Config{API: s.API}, h).Serve(ctx, ln, "", "") }()
	base := "http://" + ln.Addr().String()
	big := strings.NewReader(`{"token":"` + strings.Repeat("a", int(s.API.MaxBody())+10) + `"}`)
	resp, err := http.Post(base+"/login", "application/json", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func observation(i int) observe.Observation {
	o := observe.Observation{
		Time:    time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		SrcMAC:  net.HardwareAddr{0x00, 0x09, 0xfb, 0x10, byte(i >> 8), byte(i)},
		SrcIP:   netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}),
		DstIP:   netip.MustParseAddr("10.9.255.254"),
		SrcPort: 68, DstPort: 67, Transport: "udp", Protocol: "dhcp",
	}
	o.Add("dhcp.hostname", fmt.Sprintf("dev-%d", i))
	return o
}

// crashing wraps a handler: the uploads whose number is in crashAt are
// applied, then the connection is cut before the answer, as when the server
// dies between committing and responding.
type crashing struct {
	next    http.Handler
	n       atomic.Int64
	crashAt map[int64]bool
}

func (c *crashing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != uplink.UploadPath || !c.crashAt[c.n.Add(1)] {
		c.next.ServeHTTP(w, r)
		return
	}
	c.next.ServeHTTP(httptest.NewRecorder(), r)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// TestServerKilledMidUpload runs a sensor against a server that dies after
// committing some batches without answering, then is killed outright
// (connections cut mid-request) and restarted on a fresh database handle.
// Every batch must be applied exactly once.
func TestServerKilledMidUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d0 *db.DB) {
		dsn := d0.DSN
		ctx := context.Background()
		s0 := stack(t, d0)
		if _, err := s0.Auth.EnsureOrg(ctx, "test", "acme", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s0.Auth.CreateSite(ctx, "test", "acme", "icu", ""); err != nil {
			t.Fatal(err)
		}
		token, _, err := s0.Auth.CreateToken(ctx, "test", "acme", auth.Sensor, "icu", "s1")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		start := func(ln net.Listener, crashAt map[int64]bool) (*http.Server, *db.DB) {
			d, err := db.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			s := stack(t, d)
			h, err := Handler(Config{API: s.API, DB: d})
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: &crashing{next: h, crashAt: crashAt}}
			go srv.Serve(ln)
			return srv, d
		}
		srv, d1 := start(ln, map[int64]bool{3: true, 4: true, 9: true})

		sp, err := uplink.OpenSpool(filepath.Join(t.TempDir(), "spool"), 10000, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := uplink.New(uplink.Config{Server: "http://" + addr, Token: token, Sensor: "s1", Site: "icu", Spool: sp, BatchSize: 25,
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, HTTP: &http.Client{Timeout: 5 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		const total, batches = 1000, 40
		rctx, cancel := context.WithCancel(ctx)
		runDone := make(chan error, 1)
		go func() { runDone <- c.Run(rctx) }()
		for i := 0; i < total/2; i++ {
			o := observation(i)
			c.Emit(&o)
		}
		// Let some batches through, then kill the server with requests in flight.
		waitFor(t, func() bool { return c.Stats().Sent >= 8 })
		srv.Close()
		d1.Close()
		for i := total / 2; i < total; i++ {
			o := observation(i)
			c.Emit(&o)
		}
		time.Sleep(100 * time.Millisecond) // the sensor retries against nothing
		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv2, d2 := start(ln2, nil)
		defer srv2.Close()
		defer d2.Close()
		waitFor(t, func() bool { st := c.Stats(); return st.Backlog == 0 && st.Spooled == batches })
		cancel()
		<-runDone

		st := c.Stats()
		if st.Failures == 0 || st.Duplicates == 0 {
			t.Errorf("stats %+v: the test should have caused failed and duplicate uploads", st)
		}
		s2 := stack(t, d2)
		n, err := s2.Auth.BatchCount(ctx, "icu")
		if err != nil || n != batches {
			t.Fatalf("ledger holds %d batches (%v), want %d", n, err, batches)
		}
		devs, count, err := s2.Inventory.Devices(ctx, inventory.DeviceFilter{Site: "icu"})
		if err != nil || count != total {
			t.Fatalf("%d devices (%v), want %d", count, err, total)
		}
		for _, dv := range devs {
			if dv.Observations != 1 {
				t.Fatalf("device %s has %d observations: a batch was applied twice", dv.ID, dv.Observations)
			}
		}
		ss, err := s2.Auth.Sensors(ctx, "acme", "icu")
		if err != nil || len(ss) != 1 || ss[0].Batches != batches || ss[0].Observations != total {
			t.Fatalf("sensor stats %+v %v", ss, err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
