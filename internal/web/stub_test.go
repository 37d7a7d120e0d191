package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// stubAPI answers the /api/v1 routes the UI uses with the canned JSON in
// testdata/stub, shaped as the API contract says, with real list
// semantics (q/type/manufacturer/site filters, sort, limit/offset, the
// {items,total,limit,offset} envelope), a session cookie set by POST
// /login and CSRF checked on mutating calls. It records every API request
// so tests can check what the UI asked for.
type stubAPI struct {
	t      *testing.T
	dir    string
	token  string
	empty  bool // answer as a fresh install with no data
	mu     sync.Mutex
	reqs   []string
	logout int
	threat *fakeThreat
	outbox *fakeOutbox
}

const stubSession = "stub-session-1"

func newStubServer(t *testing.T, empty bool) (*httptest.Server, *stubAPI) {
	t.Helper()
	return newStubServerWith(t, empty, true)
}

// newStubServerWith can leave out the alerts, CMMS and assess routes, as
// a server that does not mount them.
func newStubServerWith(t *testing.T, empty, more bool) (*httptest.Server, *stubAPI) {
	t.Helper()
	s := &stubAPI{t: t, dir: filepath.Join("testdata", "stub"), token: "ward_test_admin_token", empty: empty}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.authed(s.logoutH))
	mux.HandleFunc("GET /api/v1/", s.authed(s.api))
	if more {
		s.mountMore(t, mux)
	}
	mux.Handle("/", Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, s
}

func (s *stubAPI) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *stubAPI) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") != s.token {
		// As the server does for a form post: back to the form, with why.
		http.Redirect(w, r, "/login?error="+url.QueryEscape("unknown or revoked token"), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "ward_session", Value: stubSession, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *stubAPI) logoutH(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-CSRF-Token") != "csrf-test-token" {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "missing or wrong CSRF token"})
		return
	}
	s.mu.Lock()
	s.logout++
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "ward_session", Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (s *stubAPI) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("ward_session")
		bearer := r.Header.Get("Authorization") == "Bearer "+s.token
		if !bearer && (err != nil || c.Value != stubSession) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "authentication required"})
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, r.URL.RequestURI())
		s.mu.Unlock()
		next(w, r)
	}
}

func (s *stubAPI) load(name string, v any) {
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		s.t.Errorf("stub: %v", err)
		return
	}
	if err := json.Unmarshal(b, v); err != nil {
		s.t.Errorf("stub %s: %v", name, err)
	}
}

func (s *stubAPI) api(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	q := r.URL.Query()
	var v any
	switch {
	case p == "me":
		s.load("me.json", &v)
	case p == "dashboard":
		if s.empty {
			v = map[string]any{"devices_total": 0, "devices_by_type": map[string]int{}, "devices_by_manufacturer": map[string]int{},
				"risk_tiers": map[string]int{"Immediate": 0, "Out-of-Cycle": 0, "Scheduled": 0, "Defer": 0}, "risk_trend": []any{}, "recent_events": []any{}}
		} else {
			s.load("dashboard.json", &v)
		}
	case p == "devices":
		v = s.list(w, q, "devices.json", []string{"q", "type", "manufacturer", "site"})
	case strings.HasPrefix(p, "devices/"):
		id := strings.TrimPrefix(p, "devices/")
		if _, err := os.Stat(filepath.Join(s.dir, "device-"+id+".json")); err == nil && !s.empty {
			s.load("device-"+id+".json", &v)
			break
		}
		// Other devices answer their summary with empty detail lists.
		var devs []map[string]any
		if !s.empty {
			s.load("devices.json", &devs)
		}
		for _, d := range devs {
			if d["id"] == id {
				d["events"], d["findings"], d["actions"] = []any{}, []any{}, []any{}
				v = d
			}
		}
		if v == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no device " + id})
			return
		}
	case p == "risks":
		v = s.list(w, q, "risks.json", []string{"device_id", "site"})
	case p == "findings":
		v = s.list(w, q, "findings.json", []string{"device_id", "status", "kev", "site"})
	case p == "plan":
		if s.empty {
			v = map[string]any{"total_risk": 0, "actions": []any{}}
		} else {
			s.load("plan.json", &v)
		}
	case p == "sites":
		v = s.list(w, q, "sites.json", nil)
	case p == "sensors":
		v = s.list(w, q, "sensors.json", nil)
	case p == "feeds/status":
		if s.empty {
			v = map[string]any{"advisories": map[string]int{}, "kev": 0, "epss": 0, "imports": []any{}}
		} else {
			s.load("feeds.json", &v)
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.URL.Path})
		return
	}
	if v != nil {
		writeJSON(w, http.StatusOK, v)
	}
}

// list applies the contract's list semantics to a fixture.
func (s *stubAPI) list(w http.ResponseWriter, q map[string][]string, file string, filters []string) any {
	get := func(k string) string {
		if vs := q[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	var items []map[string]any
	if !s.empty {
		s.load(file, &items)
	}
	kept := items[:0]
	for _, it := range items {
		ok := true
		for _, f := range filters {
			want := get(f)
			if want == "" {
				continue
			}
			if f == "q" {
				var buf strings.Builder
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				_ = enc.Encode(it)
				ok = ok && strings.Contains(strings.ToLower(buf.String()), strings.ToLower(want))
			} else {
				ok = ok && fmt.Sprint(it[f]) == want
			}
		}
		if ok {
			kept = append(kept, it)
		}
	}
	if key := get("sort"); key != "" {
		desc := strings.HasPrefix(key, "-")
		key = strings.TrimPrefix(key, "-")
		sort.SliceStable(kept, func(i, j int) bool {
			a, b := fmt.Sprint(kept[i][key]), fmt.Sprint(kept[j][key])
			if desc {
				return a > b
			}
			return a < b
		})
	}
	limit, offset := 50, 0
	if l, err := strconv.Atoi(get("limit")); err == nil && l > 0 {
		limit = min(l, 500)
	}
	if o, err := strconv.Atoi(get("offset")); err == nil && o > 0 {
		offset = o
	}
	total := len(kept)
	page := append([]map[string]any{}, kept[min(offset, total):min(offset+limit, total)]...)
	return map[string]any{"items": page, "total": total, "limit": limit, "offset": offset}
}
