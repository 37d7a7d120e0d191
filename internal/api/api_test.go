package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/uplink"
	"github.com/wardiomt/ward/internal/vuln"
)

// fixture is two organizations: acme (sites a1, a2) and beta (site b1).
// Both use the same private addresses, which must stay separate devices.
type fixture struct {
	t      testing.TB
	api    *API
	mux    *http.ServeMux
	auth   *auth.Store
	tokens map[string]string // "acme/admin", "acme/sensor", "beta/admin", ...
	dev    map[string]string // site -> a device id there
}

// fakeMatcher reports one KEV finding per device that has a manufacturer.
type fakeMatcher struct{}

func (fakeMatcher) Match(_ context.Context, devs []vuln.Device) ([]vuln.Finding, error) {
	var out []vuln.Finding
	for _, d := range devs {
		out = append(out, vuln.Finding{DeviceID: d.ID, Status: vuln.Affected, Advisory: "ICSMA-TEST-" + d.Manufacturer, KEV: true,
			CVSS: []vuln.Score{{Version: "3.1", Score: 9.8}}, Remediations: []vuln.Remediation{{Category: "vendor_fix", Text: "update firmware"}}})
	}
	return out, nil
}

func dhcp(ip string, mac string, host string, at time.Time) observe.Observation {
	return testutil.DHCP(mac, ip, host, at)
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	as, err := auth.Open(ctx, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := fingerprint.New(fingerprint.Options{P0FPath: "-"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.New(st, eng, inventory.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Auth: as, Inventory: inv, Matcher: fakeMatcher{}, MaxBody: 64 << 10, MaxUpload: 256 << 10, MaxUploadJSON: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, api: a, mux: http.NewServeMux(), auth: as, tokens: map[string]string{}, dev: map[string]string{}}
	a.Register(f.mux)
	for org, sites := range map[string][]string{"acme": {"a1", "a2"}, "beta": {"b1"}} {
		if _, err := as.EnsureOrg(ctx, "test", org, ""); err != nil {
			t.Fatal(err)
		}
		for _, s := range sites {
			if _, err := as.CreateSite(ctx, "test", org, s, ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []auth.Role{auth.Admin, auth.Analyst, auth.Viewer, auth.Sensor} {
			site := ""
			if r == auth.Sensor {
				site = sites[0]
			}
			tok, _, err := as.CreateToken(ctx, "test", org, r, site, org+"-"+string(r))
			if err != nil {
				t.Fatal(err)
			}
			f.tokens[org+"/"+string(r)] = tok
		}
	}
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"a1", "a2", "b1"} {
		// Same addresses and MACs at every site.
		obs := []observe.Observation{dhcp("10.1.0.5", "00:09:fb:00:00:01", "infusion-"+s, at), dhcp("10.1.0.6", "00:09:fb:00:00:02", "monitor-"+s, at)}
		if _, err := inv.Ingest(ctx, s, obs); err != nil {
			t.Fatal(err)
		}
		devs, _, err := inv.Devices(ctx, inventory.DeviceFilter{Site: s})
		if err != nil || len(devs) != 2 {
			t.Fatalf("site %s: %d devices, %v", s, len(devs), err)
		}
		f.dev[s] = devs[0].ID
	}
	return f
}

type resp struct {
	code int
	body []byte
	hdr  http.Header
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %s: %v", r.code, r.body, err)
	}
}

// do sends a request; token "" sends none.
func (f *fixture) do(method, target, token string, body io.Reader, hdr ...string) resp {
	req := httptest.NewRequest(method, target, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, req)
	return resp{w.Code, w.Body.Bytes(), w.Header()}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func batchBody(t testing.TB, id, site string, n int) []byte {
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	b := uplink.Batch{BatchID: id, Sensor: "s1", Site: site}
	for i := 0; i < n; i++ {
		b.Observations = append(b.Observations, dhcp(fmt.Sprintf("10.2.%d.%d", i/250, i%250+1), fmt.Sprintf("00:09:fb:01:%02x:%02x", i/256, i%256), fmt.Sprintf("up-%s-%d", id, i), at))
	}
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// routeCase says how to call one route as a caller of org acme: own builds
// a request on acme's data; foreign aims the same request at beta's data
// (nil when the route has no foreign variant, like /api/v1/me).
type routeCase struct {
	own, foreign func(f *fixture) (target string, body func() io.Reader, hdr []string)
	ok           int // status for a permitted role on own data
	foreignCode  int // status for foreign data
}

func get(target string) func(f *fixture) (string, func() io.Reader, []string) {
	return func(*fixture) (string, func() io.Reader, []string) { return target, nil, nil }
}

func getf(format string, site string) func(f *fixture) (string, func() io.Reader, []string) {
	return func(f *fixture) (string, func() io.Reader, []string) {
		return fmt.Sprintf(format, f.dev[site]), nil, nil
	}
}

var siteSeq int

func routeCases() map[string]routeCase {
	return map[string]routeCase{
		"GET /api/v1/me":           {own: get("/api/v1/me"), ok: 200},
		"GET /api/v1/dashboard":    {own: get("/api/v1/dashboard?site=a1"), foreign: get("/api/v1/dashboard?site=b1"), ok: 200, foreignCode: 403},
		"GET /api/v1/devices":      {own: get("/api/v1/devices?site=a2&sort=-last_seen"), foreign: get("/api/v1/devices?site=b1"), ok: 200, foreignCode: 403},
		"GET /api/v1/devices.csv":  {own: get("/api/v1/devices.csv?type="), foreign: get("/api/v1/devices.csv?site=b1"), ok: 200, foreignCode: 403},
		"GET /api/v1/devices/{id}": {own: getf("/api/v1/devices/%s", "a1"), foreign: getf("/api/v1/devices/%s", "b1"), ok: 200, foreignCode: 404},
		"GET /api/v1/events":       {own: get("/api/v1/events?site=a1&type=new"), foreign: getf("/api/v1/events?device_id=%s", "b1"), ok: 200, foreignCode: 404},
		"GET /api/v1/findings":     {own: get("/api/v1/findings?kev=true"), foreign: get("/api/v1/findings?site=b1"), ok: 200, foreignCode: 403},
		"GET /api/v1/risks":        {own: get("/api/v1/risks"), foreign: get("/api/v1/risks?site=b1"), ok: 501, foreignCode: 403},
		"GET /api/v1/plan":         {own: get("/api/v1/plan?site=a1"), foreign: get("/api/v1/plan?site=b1"), ok: 501, foreignCode: 403},
		"GET /api/v1/sites":        {own: get("/api/v1/sites"), ok: 200},
		"POST /api/v1/sites": {own: func(*fixture) (string, func() io.Reader, []string) {
			siteSeq++
			id := fmt.Sprintf("new-%d", siteSeq)
			return "/api/v1/sites", func() io.Reader { return strings.NewReader(`{"id":"` + id + `","name":"New"}`) }, []string{"Content-Type", "application/json"}
		}, ok: 201},
		"GET /api/v1/sensors": {own: get("/api/v1/sensors?site=a1"), foreign: get("/api/v1/sensors?site=b1"), ok: 200, foreignCode: 403},
		"POST /api/v1/sensors/upload": {
			own: func(f *fixture) (string, func() io.Reader, []string) {
				siteSeq++
				data := batchBody(f.t, fmt.Sprintf("m%d", siteSeq), "a1", 2)
				return "/api/v1/sensors/upload", func() io.Reader { return bytes.NewReader(data) }, []string{"Content-Encoding", "gzip"}
			},
			foreign: func(f *fixture) (string, func() io.Reader, []string) {
				data := batchBody(f.t, "foreign", "b1", 2)
				return "/api/v1/sensors/upload", func() io.Reader { return bytes.NewReader(data) }, []string{"Content-Encoding", "gzip"}
			}, ok: 200, foreignCode: 403},
		"GET /api/v1/feeds/status": {own: get("/api/v1/feeds/status"), ok: 200},
		"GET /api/v1/tokens":       {own: get("/api/v1/tokens"), ok: 200},
		"POST /api/v1/tokens": {own: func(*fixture) (string, func() io.Reader, []string) {
			return "/api/v1/tokens", func() io.Reader { return strings.NewReader(`{"role":"sensor","site":"a2","name":"new"}`) }, nil
		}, foreign: func(*fixture) (string, func() io.Reader, []string) {
			return "/api/v1/tokens", func() io.Reader { return strings.NewReader(`{"role":"sensor","site":"b1"}`) }, nil
		}, ok: 201, foreignCode: 403},
		"DELETE /api/v1/tokens/{id}": {own: func(f *fixture) (string, func() io.Reader, []string) {
			// A fresh token of acme to revoke each time.
			_, tok, err := f.auth.CreateToken(context.Background(), "test", "acme", auth.Viewer, "", "victim")
			if err != nil {
				f.t.Fatal(err)
			}
			return "/api/v1/tokens/" + tok.ID, nil, nil
		}, foreign: func(f *fixture) (string, func() io.Reader, []string) {
			p, err := f.auth.Authenticate(context.Background(), f.tokens["beta/viewer"])
			if err != nil {
				f.t.Fatal(err)
			}
			return "/api/v1/tokens/" + p.TokenID, nil, nil
		}, ok: 200, foreignCode: 404},
		"GET /api/v1/audit": {own: get("/api/v1/audit?limit=5"), ok: 200},
		"POST /logout":      {own: get("/logout"), ok: 303},
	}
}

// TestRouteMatrix calls every authenticated route without credentials, with
// each role of acme, and with acme's permitted roles against beta's data.
func TestRouteMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cases := routeCases()
		for _, rt := range f.api.Routes() {
			key := rt.Method + " " + rt.Path
			if rt.Roles == nil {
				continue // public: covered by TestLogin and TestOpenAPI
			}
			c, ok := cases[key]
			if !ok {
				t.Errorf("route %s has no matrix case", key)
				continue
			}
			call := func(build func(*fixture) (string, func() io.Reader, []string), token string) resp {
				target, body, hdr := build(f)
				var r io.Reader
				if body != nil {
					r = body()
				}
				return f.do(rt.Method, target, token, r, hdr...)
			}
			if r := call(c.own, ""); r.code != 401 {
				t.Errorf("%s without token: %d %s, want 401", key, r.code, r.body)
			}
			if r := call(c.own, "ward_bogus"); r.code != 401 {
				t.Errorf("%s with unknown token: %d, want 401", key, r.code)
			}
			for _, role := range []auth.Role{auth.Admin, auth.Analyst, auth.Viewer, auth.Sensor} {
				r := call(c.own, f.tokens["acme/"+string(role)])
				want := 403
				if hasRole(rt.Roles, role) {
					want = c.ok
				}
				if r.code != want {
					t.Errorf("%s as acme %s: %d %s, want %d", key, role, r.code, r.body, want)
				}
				if r.code >= 400 {
					var e map[string]string
					if json.Unmarshal(r.body, &e) != nil || e["error"] == "" {
						t.Errorf("%s as %s: error body %q lacks {\"error\"}", key, role, r.body)
					}
				}
				if c.foreign != nil && hasRole(rt.Roles, role) {
					if r := call(c.foreign, f.tokens["acme/"+string(role)]); r.code != c.foreignCode {
						t.Errorf("%s as acme %s on beta's data: %d %s, want %d", key, role, r.code, r.body, c.foreignCode)
					}
				}
			}
		}
	})
}

func TestTenancyIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var list struct {
			Items []inventory.Summary `json:"items"`
			Total int                 `json:"total"`
		}
		// acme sees its two sites' devices (four, same addresses as beta's) merged.
		r := f.do("GET", "/api/v1/devices?sort=hostname", f.tokens["acme/viewer"], nil)
		r.json(t, &list)
		if r.code != 200 || list.Total != 4 || len(list.Items) != 4 {
			t.Fatalf("acme devices: %d total %d items %d", r.code, list.Total, len(list.Items))
		}
		var hosts []string
		for _, it := range list.Items {
			if it.Site == "b1" {
				t.Fatalf("beta's device leaked: %+v", it)
			}
			hosts = append(hosts, deref(it.Hostname))
		}
		if got := strings.Join(hosts, " "); got != "infusion-a1 infusion-a2 monitor-a1 monitor-a2" {
			t.Fatalf("merged sort by hostname: %s", got)
		}
		// Paging across sites.
		r = f.do("GET", "/api/v1/devices?sort=-hostname&limit=1&offset=1", f.tokens["acme/viewer"], nil)
		r.json(t, &list)
		if len(list.Items) != 1 || deref(list.Items[0].Hostname) != "monitor-a1" || list.Total != 4 {
			t.Fatalf("page 2 of -hostname: %+v", list)
		}
		r = f.do("GET", "/api/v1/devices?q=10.1.0.5", f.tokens["beta/viewer"], nil)
		r.json(t, &list)
		if list.Total != 1 || list.Items[0].Site != "b1" {
			t.Fatalf("beta search: %+v", list)
		}
		// Findings and events stay inside the organization.
		var fl struct {
			Items []vuln.Finding `json:"items"`
			Total int            `json:"total"`
		}
		f.do("GET", "/api/v1/devices", f.tokens["beta/viewer"], nil).json(t, &list)
		betaIDs := map[string]bool{}
		for _, it := range list.Items {
			betaIDs[it.ID] = true
		}
		r = f.do("GET", "/api/v1/findings", f.tokens["beta/analyst"], nil)
		r.json(t, &fl)
		if fl.Total != 2 || len(betaIDs) != 2 {
			t.Fatalf("beta findings: %s", r.body)
		}
		for _, x := range fl.Items {
			if !betaIDs[x.DeviceID] {
				t.Fatalf("finding of another organization's device: %+v", x)
			}
		}
		var me meResponse
		f.do("GET", "/api/v1/me", f.tokens["acme/sensor"], nil).json(t, &me)
		if me.Organization != "acme" || me.Role != auth.Sensor || len(me.Sites) != 1 || me.Sites[0].ID != "a1" {
			t.Fatalf("sensor me: %+v", me)
		}
		var ev struct {
			Items []inventory.Event `json:"items"`
		}
		f.do("GET", "/api/v1/events", f.tokens["acme/viewer"], nil).json(t, &ev)
		if len(ev.Items) != 4 {
			t.Fatalf("acme events: %d", len(ev.Items))
		}
		for _, e := range ev.Items {
			if e.Site == "b1" {
				t.Fatal("beta event leaked")
			}
		}
	})
}

func (r resp) String() string { return string(r.body) }

func TestBadRequests(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	admin := f.tokens["acme/admin"]
	for _, c := range []struct {
		method, target, body string
		hdr                  []string
		code                 int
		msg                  string
	}{
		{"GET", "/api/v1/devices?limit=0", "", nil, 400, "limit must be"},
		{"GET", "/api/v1/devices?limit=abc", "", nil, 400, "limit must be"},
		{"GET", "/api/v1/devices?limit=501", "", nil, 400, "limit must be"},
		{"GET", "/api/v1/devices?offset=-1", "", nil, 400, "offset must be"},
		{"GET", "/api/v1/devices?sort=password", "", nil, 400, "cannot sort by"},
		{"GET", "/api/v1/devices?silent=maybe", "", nil, 400, "silent must be"},
		{"GET", "/api/v1/devices?q=" + strings.Repeat("x", 300), "", nil, 400, "longer than"},
		{"GET", "/api/v1/events?since=yesterday", "", nil, 400, "since must be"},
		{"GET", "/api/v1/events?type=exploded", "", nil, 400, "unknown event type"},
		{"GET", "/api/v1/findings?kev=2", "", nil, 400, "kev must be"},
		{"GET", "/api/v1/devices/nope", "", nil, 404, "not found"},
		{"GET", "/api/v1/devices?site=zz", "", nil, 403, "not a site of organization"},
		{"POST", "/api/v1/sites", `{"id":`, nil, 400, "malformed JSON"},
		{"POST", "/api/v1/sites", `{"id":"x","admin":true}`, nil, 400, "unknown field"},
		{"POST", "/api/v1/sites", `{"id":"x"} {"id":"y"}`, nil, 400, "trailing data"},
		{"POST", "/api/v1/sites", `{"id":"bad id"}`, nil, 400, "site id"},
		{"POST", "/api/v1/sites", `{"id":"a1"}`, nil, 409, "already exists"},
		{"POST", "/api/v1/sites", `{"id":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "larger than"},
		{"GET", "/api/v1/audit?offset=x", "", nil, 400, "offset must be"},
		{"GET", "/api/v1/devices", "", []string{"Authorization", "Basic abc"}, 401, "Bearer"},
	} {
		req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+admin)
		for i := 0; i+1 < len(c.hdr); i += 2 {
			req.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, req)
		var e map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != c.code || !strings.Contains(e["error"], c.msg) {
			t.Errorf("%s %.60s: %d %q, want %d containing %q", c.method, c.target, w.Code, e["error"], c.code, c.msg)
		}
	}
}

func TestUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		tok := f.tokens["acme/sensor"]
		up := func(body []byte, hdr ...string) resp {
			return f.do("POST", "/api/v1/sensors/upload", tok, bytes.NewReader(body), append([]string{"Content-Encoding", "gzip"}, hdr...)...)
		}
		body := batchBody(t, "batch-1", "a1", 20)
		var res uplink.Response
		r := up(body, uplink.HeaderBacklog, "7", uplink.HeaderDropped, "3")
		r.json(t, &res)
		if r.code != 200 || !res.Applied {
			t.Fatalf("first upload: %d %s", r.code, r.body)
		}
		r = up(body)
		r.json(t, &res)
		if r.code != 200 || res.Applied {
			t.Fatalf("resend: %d %s, want applied=false", r.code, r.body)
		}
		var list struct{ Total int }
		f.do("GET", "/api/v1/devices?site=a1", f.tokens["acme/viewer"], nil).json(t, &list)
		if list.Total != 22 {
			t.Fatalf("a1 has %d devices after upload, want 22", list.Total)
		}
		var sensors struct{ Items []auth.SensorInfo }
		f.do("GET", "/api/v1/sensors", f.tokens["acme/viewer"], nil).json(t, &sensors)
		if len(sensors.Items) != 1 || sensors.Items[0].Batches != 1 || sensors.Items[0].Observations != 20 || sensors.Items[0].Dropped != 0 {
			t.Fatalf("sensors: %+v", sensors.Items)
		}
		// Plain JSON is accepted too; the site defaults to the token's.
		plain := `{"batch_id":"plain-1","sensor":"s2","observations":[]}`
		if r := f.do("POST", "/api/v1/sensors/upload", tok, strings.NewReader(plain)); r.code != 200 {
			t.Fatalf("plain upload: %d %s", r.code, r.body)
		}
		// Without a sensor name the token's name is used.
		if r := f.do("POST", "/api/v1/sensors/upload", tok, strings.NewReader(`{"batch_id":"anon-1","observations":[]}`)); r.code != 200 {
			t.Fatalf("anonymous upload: %d %s", r.code, r.body)
		}
		f.do("GET", "/api/v1/sensors", f.tokens["acme/viewer"], nil).json(t, &sensors)
		if len(sensors.Items) != 3 || sensors.Items[0].Name != "acme-sensor" {
			t.Fatalf("sensors after anonymous upload: %+v", sensors.Items)
		}
		for name, c := range map[string]struct {
			body []byte
			hdr  []string
			code int
		}{
			"other site":       {batchBody(t, "x1", "a2", 1), nil, 403},
			"not gzip":         {[]byte("{}"), nil, 400},
			"bad json":         {gz(t, []byte(`{"batch_id":`)), nil, 400},
			"no batch id":      {gz(t, []byte(`{"observations":[]}`)), nil, 400},
			"bad observation":  {gz(t, []byte(`{"batch_id":"q","observations":[{"time":"never"}]}`)), nil, 400},
			"bad sensor name":  {gz(t, []byte(`{"batch_id":"q","sensor":"a b","observations":[]}`)), nil, 400},
			"too large":        {gz(t, append([]byte(`{"batch_id":"`), randomText(500<<10)...)), nil, 413},
			"gzip bomb":        {gz(t, append([]byte(`{"batch_id":"bomb","sensor":"`), bytes.Repeat([]byte("a"), 2<<20)...)), nil, 413},
			"unknown encoding": {[]byte("x"), []string{"Content-Encoding", "br"}, 415},
		} {
			if r := up(c.body, c.hdr...); r.code != c.code {
				t.Errorf("%s: %d %s, want %d", name, r.code, r.body, c.code)
			}
		}
		// Audit: each applied batch is a change.
		var audit struct{ Items []auth.AuditEntry }
		f.do("GET", "/api/v1/audit?limit=500", f.tokens["acme/admin"], nil).json(t, &audit)
		n := 0
		for _, e := range audit.Items {
			if e.Action == "sensor.upload" {
				n++
			}
		}
		if n != 3 {
			t.Fatalf("%d sensor.upload audit entries, want 3 (batch-1, plain-1, anon-1)", n)
		}
	})
}

func TestLoginSessionCSRF(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	// Form login.
	r := f.do("POST", "/login", "", strings.NewReader("token="+url.QueryEscape(f.tokens["acme/admin"])), "Content-Type", "application/x-www-form-urlencoded")
	if r.code != 303 || r.hdr.Get("Location") != "/" {
		t.Fatalf("login: %d %v", r.code, r.hdr)
	}
	cookies := (&http.Response{Header: r.hdr}).Cookies()
	if len(cookies) != 1 || cookies[0].Name != SessionCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookies)
	}
	ck := SessionCookie + "=" + cookies[0].Value
	var me meResponse
	f.do("GET", "/api/v1/me", "", nil, "Cookie", ck).json(t, &me)
	if me.CSRFToken == "" || me.Role != auth.Admin {
		t.Fatalf("me: %+v", me)
	}
	body := func() io.Reader { return strings.NewReader(`{"id":"via-ui"}`) }
	if r := f.do("POST", "/api/v1/sites", "", body(), "Cookie", ck); r.code != 403 || !strings.Contains(r.String(), CSRFHeader) {
		t.Fatalf("POST without CSRF: %d %s", r.code, r.body)
	}
	if r := f.do("POST", "/api/v1/sites", "", body(), "Cookie", ck, CSRFHeader, "wrong"); r.code != 403 {
		t.Fatalf("POST with wrong CSRF: %d", r.code)
	}
	if r := f.do("POST", "/api/v1/sites", "", body(), "Cookie", ck, CSRFHeader, me.CSRFToken); r.code != 201 {
		t.Fatalf("POST with CSRF: %d %s", r.code, r.body)
	}
	// Bad logins.
	if r := f.do("POST", "/login", "", strings.NewReader("token=ward_nope"), "Content-Type", "application/x-www-form-urlencoded"); r.code != 303 || !strings.HasPrefix(r.hdr.Get("Location"), "/login?error=") {
		t.Fatalf("bad form login: %d %v", r.code, r.hdr)
	}
	if r := f.do("POST", "/login", "", strings.NewReader(`{"token":"ward_nope"}`), "Content-Type", "application/json"); r.code != 401 {
		t.Fatalf("bad JSON login: %d", r.code)
	}
	if r := f.do("POST", "/login", "", strings.NewReader(`{"token":`), "Content-Type", "application/json"); r.code != 400 {
		t.Fatalf("malformed JSON login: %d", r.code)
	}
	if r := f.do("POST", "/login", "", strings.NewReader(`x`), "Content-Type", "text/plain"); r.code != 415 {
		t.Fatalf("text login: %d", r.code)
	}
	// JSON login answers the CSRF token directly.
	var lj map[string]string
	f.do("POST", "/login", "", strings.NewReader(`{"token":"`+f.tokens["acme/viewer"]+`"}`), "Content-Type", "application/json").json(t, &lj)
	if lj["csrf_token"] == "" || lj["role"] != "viewer" {
		t.Fatalf("JSON login: %v", lj)
	}
	// Logout needs the CSRF token too, then the session is gone.
	if r := f.do("POST", "/logout", "", nil, "Cookie", ck); r.code != 403 {
		t.Fatalf("logout without CSRF: %d", r.code)
	}
	if r := f.do("POST", "/logout", "", strings.NewReader("csrf_token="+me.CSRFToken), "Cookie", ck, "Content-Type", "application/x-www-form-urlencoded"); r.code != 303 {
		t.Fatalf("form logout: %d %s", r.code, r.body)
	}
	if r := f.do("GET", "/api/v1/me", "", nil, "Cookie", ck); r.code != 401 {
		t.Fatalf("after logout: %d", r.code)
	}
}

func TestDeviceDetail(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	var dd DeviceDetail
	r := f.do("GET", "/api/v1/devices/"+f.dev["a1"], f.tokens["acme/viewer"], nil)
	r.json(t, &dd)
	if dd.ID != f.dev["a1"] || dd.Site != "a1" || len(dd.Events) == 0 || len(dd.Addresses) == 0 || deref(dd.Hostname) == "" {
		t.Fatalf("detail: %s", r.body)
	}
	for _, k := range []string{`"findings":`, `"actions":`, `"services":`, `"utilization":`, `"signals":`, `"external":`, `"identity":`} {
		if !strings.Contains(r.String(), k) {
			t.Errorf("detail lacks %s", k)
		}
	}
}

func TestCSVExport(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	r := f.do("GET", "/api/v1/devices.csv?sort=hostname", f.tokens["acme/viewer"], nil)
	if r.code != 200 || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", r.code, r.hdr)
	}
	lines := strings.Split(strings.TrimSpace(r.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "id,site,mac") || !strings.Contains(lines[1], "infusion-a1") {
		t.Fatalf("csv:\n%s", r.body)
	}
	if got := csvSafe("=HYPERLINK(1)"); got != "'=HYPERLINK(1)" {
		t.Fatalf("csvSafe: %q", got)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	r := f.do("GET", "/api/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	r.json(t, &doc)
	if r.code != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %.200s", r.code, r.body)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			if op["responses"] == nil || op["operationId"] == nil {
				t.Errorf("%s lacks responses or operationId", key)
			}
			// The mux really serves this operation under this pattern.
			concrete := pathParamRE.ReplaceAllString(path, "x")
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			if _, pat := f.mux.Handler(req); pat != key {
				t.Errorf("documented %s is served by %q", key, pat)
			}
		}
	}
	for _, rt := range f.api.Routes() {
		if !documented[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s is not documented", rt.Method, rt.Path)
		}
	}
	if len(documented) != len(f.api.Routes()) {
		t.Errorf("%d documented operations, %d routes", len(documented), len(f.api.Routes()))
	}
}

// randomText is base64 of random bytes: it compresses poorly.
func randomText(n int) []byte {
	b := make([]byte, n*3/4)
	_, _ = rand.Read(b)
	return []byte(base64.StdEncoding.EncodeToString(b))
}

// An upload waits for an ingest slot (shared with the threat stage); when
// none frees in time it is answered 503 with Retry-After and nothing is
// applied, so the sensor keeps the batch and resends it.
func TestUploadWaitsForSlot(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.api.cfg.IngestWait = 50 * time.Millisecond
	for range cap(f.api.ingest) {
		f.api.ingest <- struct{}{} // other upload work holds every slot
	}
	body := batchBody(t, "slot-1", "a1", 5)
	up := func() resp {
		return f.do("POST", "/api/v1/sensors/upload", f.tokens["acme/sensor"], bytes.NewReader(body), "Content-Encoding", "gzip")
	}
	r := up()
	if r.code != 503 || r.hdr.Get("Retry-After") == "" || !strings.Contains(r.String(), "busy") {
		t.Fatalf("upload with every slot taken: %d %v %s", r.code, r.hdr, r.body)
	}
	var list struct{ Total int }
	f.do("GET", "/api/v1/devices?site=a1", f.tokens["acme/viewer"], nil).json(t, &list)
	if list.Total != 2 {
		t.Fatalf("a1 has %d devices after a refused upload, want 2", list.Total)
	}
	for range cap(f.api.ingest) {
		<-f.api.ingest
	}
	var res uplink.Response
	r = up()
	r.json(t, &res)
	if r.code != 200 || !res.Applied {
		t.Fatalf("resend once a slot is free: %d %s", r.code, r.body)
	}
	if len(f.api.ingest) != 0 {
		t.Fatalf("%d slots still held after the upload", len(f.api.ingest))
	}
}

func TestDefaultMaxIngest(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 1, 2: 1, 4: 2, 8: 4, 64: 4} {
		runtime.GOMAXPROCS(procs)
		if got := DefaultMaxIngest(); got != want {
			t.Errorf("%d CPUs: %d ingest slots, want %d", procs, got, want)
		}
	}
}
