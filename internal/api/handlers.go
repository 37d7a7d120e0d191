package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/uplink"
	"github.com/wardiomt/ward/internal/vuln"
)

func (a *API) table() []Route {
	site := Param{"site", "string", "only this site (default: every site of your organization)"}
	return []Route{
		{Method: "POST", Path: "/login", Tag: "session", Summary: "Open a browser session from an API token (form field or JSON 'token'); sets the ward_session cookie",
			Body: "form token=..., or JSON {\"token\"}", handle: a.handleLogin},
		{Method: "POST", Path: "/logout", Tag: "session", Summary: "End the browser session", Roles: everybody, handle: a.handleLogout},
		{Method: "GET", Path: "/api/openapi.json", Tag: "meta", Summary: "This OpenAPI 3 document", handle: a.handleOpenAPI},
		{Method: "GET", Path: "/api/v1/me", Tag: "session", Summary: "The caller: organization, role, CSRF token, sites", Roles: everybody, handle: a.handleMe},
		{Method: "GET", Path: "/api/v1/dashboard", Tag: "inventory", Summary: "Counts by type and manufacturer, risk tiers and trend, newest events",
			Roles: readers, Params: []Param{site}, handle: a.handleDashboard},
		{Method: "GET", Path: "/api/v1/devices", Tag: "inventory", Summary: "List devices (filter, sort, page)", Roles: readers,
			Params: append(append([]Param{}, deviceParams...), pageParams...), handle: a.handleDevices},
		{Method: "GET", Path: "/api/v1/devices.csv", Tag: "inventory", Summary: "Export devices as CSV (same filters)", Roles: readers,
			Params: deviceParams, Produces: "text/csv", handle: a.handleDevicesCSV},
		{Method: "GET", Path: "/api/v1/devices/{id}", Tag: "inventory", Summary: "One device with evidence, services, peers, events, findings and actions",
			Roles: readers, handle: a.handleDevice},
		{Method: "GET", Path: "/api/v1/events", Tag: "inventory", Summary: "Device change events, newest first", Roles: readers,
			Params: append([]Param{site, {"type", "string", "event type (new, moved, software_update, configuration_change, silent, returned)"},
				{"since", "string", "at or after this RFC 3339 time or date"}, {"device_id", "string", "only this device"}}, pageParams...),
			handle: a.handleEvents},
		{Method: "GET", Path: "/api/v1/findings", Tag: "vulnerabilities", Summary: "Vulnerability findings of the inventory", Roles: readers,
			Params: append([]Param{site, {"device_id", "string", "only this device"}, {"status", "string", "affected, under_investigation, ..."},
				{"kev", "boolean", "only findings with (true) or without (false) a known exploited CVE"},
				{"sort", "string", "sort field: " + strings.Join(findingSorts, ", ") + " (default -cvss)"}}, pageParams...),
			handle: a.handleFindings},
		{Method: "GET", Path: "/api/v1/risks", Tag: "risk", Summary: "Ranked risk items", Roles: readers,
			Params: append([]Param{site, {"tier", "string", "Immediate, Out-of-Cycle, Scheduled or Defer"}, {"device_id", "string", "only this device"}},
				pageParams...), handle: a.handleRisks},
		{Method: "GET", Path: "/api/v1/plan", Tag: "risk", Summary: "Remediation plan: ranked actions and the cumulative risk curve", Roles: readers,
			Params: []Param{site}, handle: a.handlePlan},
		{Method: "GET", Path: "/api/v1/sites", Tag: "tenancy", Summary: "Sites of your organization", Roles: readers, handle: a.handleSites},
		{Method: "POST", Path: "/api/v1/sites", Tag: "tenancy", Summary: "Create a site", Roles: admins, Body: `{"id", "name"}`, handle: a.handleCreateSite},
		{Method: "GET", Path: "/api/v1/sensors", Tag: "tenancy", Summary: "Remote sensors: last upload, batches, spool backlog, dropped batches",
			Roles: readers, Params: []Param{site}, handle: a.handleSensors},
		{Method: "POST", Path: "/api/v1/sensors/upload", Tag: "sensors", Summary: "Upload one observation batch (gzip JSON); idempotent per batch_id",
			Roles: sensors, Body: `gzip JSON {"batch_id", "sensor", "site", "observations"}`, MaxBody: a.cfg.MaxUpload, handle: a.handleUpload},
		{Method: "GET", Path: "/api/v1/feeds/status", Tag: "vulnerabilities", Summary: "Loaded vulnerability feeds", Roles: readers, handle: a.handleFeeds},
		{Method: "GET", Path: "/api/v1/tokens", Tag: "tenancy", Summary: "API tokens of your organization (never their secrets)", Roles: admins,
			handle: a.handleTokens},
		{Method: "POST", Path: "/api/v1/tokens", Tag: "tenancy", Summary: "Create a token; the secret is in this response only", Roles: admins,
			Body: `{"role", "site", "name"}`, handle: a.handleCreateToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Tag: "tenancy", Summary: "Revoke a token and end its sessions", Roles: admins,
			handle: a.handleRevokeToken},
		{Method: "GET", Path: "/api/v1/audit", Tag: "tenancy", Summary: "Audit log of your organization, newest first", Roles: admins,
			Params: pageParams, handle: a.handleAudit},
	}
}

type meResponse struct {
	Organization string      `json:"organization"`
	Role         auth.Role   `json:"role"`
	Token        string      `json:"token_id"`
	Name         string      `json:"name,omitempty"`
	CSRFToken    string      `json:"csrf_token"`
	Sites        []auth.Site `json:"sites"`
}

func (a *API) handleMe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	out := meResponse{Organization: p.Org, Role: p.Role, Token: p.TokenID, Name: p.Name, Sites: []auth.Site{}}
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, csrf, err := a.cfg.Auth.Session(r.Context(), c.Value); err == nil {
			out.CSRFToken = csrf
		}
	}
	sites, err := a.cfg.Auth.Sites(r.Context(), p.Org)
	if err != nil {
		return err
	}
	for _, s := range sites {
		if p.Role == auth.Sensor && s.ID != p.Site {
			continue
		}
		out.Sites = append(out.Sites, s)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Dashboard is GET /api/v1/dashboard.
type Dashboard struct {
	DevicesTotal          int               `json:"devices_total"`
	DevicesByType         map[string]int    `json:"devices_by_type"`
	DevicesByManufacturer map[string]int    `json:"devices_by_manufacturer"`
	RiskTiers             map[string]int    `json:"risk_tiers"`
	RiskTrend             []TrendPoint      `json:"risk_trend"`
	RiskAvailable         bool              `json:"risk_available"`
	RecentEvents          []inventory.Event `json:"recent_events"`
}

func (a *API) handleDashboard(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkLen(r.URL.Query(), "site"); err != nil {
		return err
	}
	sites, err := a.scope(r.Context(), p, r.URL.Query().Get("site"))
	if err != nil {
		return err
	}
	v, err := a.cache.get(siteKey("dashboard", sites), func() (any, error) { return a.dashboard(r.Context(), sites) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) dashboard(ctx context.Context, sites []string) (*Dashboard, error) {
	d := &Dashboard{DevicesByType: map[string]int{}, DevicesByManufacturer: map[string]int{},
		RiskTiers: map[string]int{"Immediate": 0, "Out-of-Cycle": 0, "Scheduled": 0, "Defer": 0}, RiskTrend: []TrendPoint{}}
	var evs []inventory.Event
	for _, s := range sites {
		devs, n, err := a.cfg.Inventory.Devices(ctx, inventory.DeviceFilter{Site: s})
		if err != nil {
			return nil, err
		}
		d.DevicesTotal += n
		for _, dv := range devs {
			sum := dv.Summarize()
			d.DevicesByType[cmp.Or(deref(sum.Type), "unknown")]++
			d.DevicesByManufacturer[cmp.Or(deref(sum.Manufacturer), "unknown")]++
		}
		e, err := a.cfg.Inventory.Events(ctx, inventory.EventFilter{Site: s})
		if err != nil {
			return nil, err
		}
		evs = append(evs, e...)
	}
	sortEventsNewest(evs)
	d.RecentEvents = nonNil(evs[:min(len(evs), 20)])
	if a.cfg.Risk != nil && len(sites) > 0 {
		tiers, trend, err := a.cfg.Risk.Tiers(ctx, sites)
		if err != nil {
			return nil, err
		}
		for k, v := range tiers {
			d.RiskTiers[k] = v
		}
		d.RiskTrend = nonNil(trend)
		d.RiskAvailable = true
	}
	return d, nil
}

func sortEventsNewest(evs []inventory.Event) {
	slices.SortStableFunc(evs, func(x, y inventory.Event) int {
		if c := y.Time.Compare(x.Time); c != 0 {
			return c
		}
		return cmp.Compare(y.ID, x.ID)
	})
}

var eventTypes = []string{string(inventory.EventNew), string(inventory.EventMoved), string(inventory.EventSoftware),
	string(inventory.EventConfiguration), string(inventory.EventSilent), string(inventory.EventReturned)}

func (a *API) handleEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	if err := checkLen(q, "site", "device_id"); err != nil {
		return err
	}
	pg, err := parsePage(q, nil, "")
	if err != nil {
		return err
	}
	f := inventory.EventFilter{DeviceID: q.Get("device_id")}
	if t := q.Get("type"); t != "" {
		for _, one := range strings.Split(t, ",") {
			if !slices.Contains(eventTypes, one) {
				return errorf(http.StatusBadRequest, "unknown event type %q; use %s", one, strings.Join(eventTypes, ", "))
			}
			f.Types = append(f.Types, inventory.EventType(one))
		}
	}
	if f.Since, err = parseTime(q, "since"); err != nil {
		return err
	}
	sites, err := a.scope(r.Context(), p, q.Get("site"))
	if err != nil {
		return err
	}
	if f.DeviceID != "" {
		d, err := a.device(r.Context(), p, f.DeviceID)
		if err != nil {
			return err
		}
		if !slices.Contains(sites, d.Site) {
			sites = nil
		} else {
			sites = []string{d.Site}
		}
	}
	var evs []inventory.Event
	for _, s := range sites {
		f.Site = s
		e, err := a.cfg.Inventory.Events(r.Context(), f)
		if err != nil {
			return err
		}
		evs = append(evs, e...)
	}
	sortEventsNewest(evs)
	lo, hi := pg.window(len(evs))
	writeJSON(w, http.StatusOK, listResponse{Items: nonNil(evs[lo:hi]), Total: len(evs), Limit: pg.limit, Offset: pg.offset})
	return nil
}

var findingSorts = []string{"cvss", "epss", "published", "advisory", "device_id", "kev"}

func (a *API) siteFindings(ctx context.Context, site string) ([]vuln.Finding, error) {
	v, err := a.cache.get(siteKey("findings", []string{site}), func() (any, error) {
		devs, _, err := a.cfg.Inventory.Devices(ctx, inventory.DeviceFilter{Site: site})
		if err != nil {
			return nil, err
		}
		return a.match(ctx, devs)
	})
	if err != nil {
		return nil, err
	}
	return v.([]vuln.Finding), nil
}

func (a *API) handleFindings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	if err := checkLen(q, "site", "device_id", "status"); err != nil {
		return err
	}
	pg, err := parsePage(q, findingSorts, "-cvss")
	if err != nil {
		return err
	}
	kev, err := parseBool(q, "kev")
	if err != nil {
		return err
	}
	status := q.Get("status")
	sites, err := a.scope(r.Context(), p, q.Get("site"))
	if err != nil {
		return err
	}
	var fs []vuln.Finding
	if id := q.Get("device_id"); id != "" {
		d, err := a.device(r.Context(), p, id)
		if err != nil {
			return err
		}
		if slices.Contains(sites, d.Site) {
			if fs, err = a.match(r.Context(), []*inventory.Device{d}); err != nil {
				return err
			}
		}
	} else {
		for _, s := range sites {
			sf, err := a.siteFindings(r.Context(), s)
			if err != nil {
				return err
			}
			fs = append(fs, sf...)
		}
	}
	kept := make([]vuln.Finding, 0, len(fs))
	for _, f := range fs {
		if (status == "" || string(f.Status) == status) && (kev == nil || f.KEV == *kev) {
			kept = append(kept, f)
		}
	}
	sortFindings(kept, pg.sort)
	lo, hi := pg.window(len(kept))
	writeJSON(w, http.StatusOK, listResponse{Items: kept[lo:hi], Total: len(kept), Limit: pg.limit, Offset: pg.offset})
	return nil
}

func sortFindings(fs []vuln.Finding, by string) {
	desc := strings.HasPrefix(by, "-")
	field := strings.TrimPrefix(by, "-")
	epss := func(f *vuln.Finding) float64 {
		if f.EPSS == nil {
			return -1
		}
		return *f.EPSS
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	sort.SliceStable(fs, func(i, j int) bool {
		x, y := &fs[i], &fs[j]
		var c int
		switch field {
		case "epss":
			c = cmp.Compare(epss(x), epss(y))
		case "published":
			c = x.Published.Compare(y.Published)
		case "advisory":
			c = strings.Compare(x.Advisory, y.Advisory)
		case "device_id":
			c = strings.Compare(x.DeviceID, y.DeviceID)
		case "kev":
			c = cmp.Compare(b2i(x.KEV), b2i(y.KEV))
		default:
			c = cmp.Compare(x.MaxCVSS(), y.MaxCVSS())
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
		if x.DeviceID != y.DeviceID {
			return x.DeviceID < y.DeviceID
		}
		return x.Advisory < y.Advisory
	})
}

func (a *API) handleRisks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	if err := checkLen(q, "site", "tier", "device_id"); err != nil {
		return err
	}
	sites, err := a.scope(r.Context(), p, q.Get("site"))
	if err != nil {
		return err
	}
	if a.cfg.Risk == nil {
		return errorf(http.StatusNotImplemented, "risk prioritization is not available in this build of the server")
	}
	rq := RiskQuery{Sites: sites, Tier: q.Get("tier")}
	if q.Has("limit") || q.Has("offset") {
		pg, err := parsePage(q, nil, "")
		if err != nil {
			return err
		}
		rq.Limit, rq.Offset = pg.limit, pg.offset
	}
	if id := q.Get("device_id"); id != "" {
		d, err := a.device(r.Context(), p, id)
		if err != nil {
			return err
		}
		rq.DeviceID, rq.Sites = d.ID, []string{d.Site}
	}
	v, err := a.cfg.Risk.Risks(r.Context(), rq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) handlePlan(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := checkLen(r.URL.Query(), "site"); err != nil {
		return err
	}
	sites, err := a.scope(r.Context(), p, r.URL.Query().Get("site"))
	if err != nil {
		return err
	}
	if a.cfg.Risk == nil {
		return errorf(http.StatusNotImplemented, "remediation planning is not available in this build of the server")
	}
	v, err := a.cfg.Risk.Plan(r.Context(), sites)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// SiteView is a site with its device count.
type SiteView struct {
	auth.Site
	Devices int `json:"devices"`
}

func (a *API) handleSites(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	sites, err := a.cfg.Auth.Sites(r.Context(), p.Org)
	if err != nil {
		return err
	}
	out := make([]SiteView, 0, len(sites))
	for _, s := range sites {
		_, n, err := a.cfg.Inventory.Devices(r.Context(), inventory.DeviceFilter{Site: s.ID, Limit: 1})
		if err != nil {
			return err
		}
		out = append(out, SiteView{Site: s, Devices: n})
	}
	writeJSON(w, http.StatusOK, listResponse{Items: out, Total: len(out), Limit: len(out), Offset: 0})
	return nil
}

type createSite struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (a *API) handleCreateSite(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in createSite
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := a.cfg.Auth.CreateSite(r.Context(), p.Actor(), p.Org, in.ID, in.Name)
	switch {
	case errors.Is(err, auth.ErrInvalid):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, auth.ErrExists):
		return errorf(http.StatusConflict, "site %q already exists", in.ID)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (a *API) handleSensors(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	site := r.URL.Query().Get("site")
	if site != "" {
		if _, err := a.scope(r.Context(), p, site); err != nil {
			return err
		}
	}
	ss, err := a.cfg.Auth.Sensors(r.Context(), p.Org, site)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse{Items: ss, Total: len(ss), Limit: len(ss), Offset: 0})
	return nil
}

type feedsResponse struct {
	Origin any `json:"origin"`
	Status any `json:"status,omitempty"`
}

func (a *API) handleFeeds(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	out := feedsResponse{Origin: a.cfg.Origin}
	if a.cfg.Feeds != nil {
		st, err := a.cfg.Feeds.Status(r.Context())
		if err != nil {
			return err
		}
		out.Status = st
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) handleAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	pg, err := parsePage(r.URL.Query(), nil, "")
	if err != nil {
		return err
	}
	log, total, err := a.cfg.Auth.AuditLog(r.Context(), p.Org, pg.limit, pg.offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse{Items: log, Total: total, Limit: pg.limit, Offset: pg.offset})
	return nil
}

// handleUpload applies one sensor batch exactly once. The ledger is checked
// first; the inventory's own digest check covers a crash between applying a
// batch and recording it, so a resend after that is not applied again.
func (a *API) handleUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc != "" && enc != "gzip" && enc != "identity" {
		return errorf(http.StatusUnsupportedMediaType, "Content-Encoding %q not supported; send gzip", enc)
	}
	// The (compressed) body is read before waiting for a slot, so a slow
	// sensor link never holds one; decoding it is CPU work and waits.
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "%v", err)
		}
		return errorf(http.StatusBadRequest, "reading batch: %v", err)
	}
	t := time.NewTimer(a.cfg.IngestWait)
	defer t.Stop()
	select {
	case a.ingest <- struct{}{}:
		defer func() { <-a.ingest }()
	case <-t.C:
		w.Header().Set("Retry-After", "5")
		return errorf(http.StatusServiceUnavailable, "server busy applying other batches; retry later")
	case <-ctx.Done():
		return ctx.Err()
	}
	b, err := uplink.Decode(bytes.NewReader(raw), enc == "gzip", a.cfg.MaxUploadJSON)
	if err != nil {
		if errors.Is(err, uplink.ErrTooLarge) {
			return errorf(http.StatusRequestEntityTooLarge, "%v", err)
		}
		return errorf(http.StatusBadRequest, "malformed batch: %v", err)
	}
	if b.Site == "" {
		b.Site = p.Site
	}
	if b.Site != p.Site {
		return errorf(http.StatusForbidden, "this sensor token uploads for site %q, not %q", p.Site, b.Site)
	}
	if b.Sensor == "" {
		// Token names are free text; fall back to the token id.
		b.Sensor = p.TokenID
		if auth.ValidID(p.Name) {
			b.Sensor = p.Name
		}
	}
	if !auth.ValidID(b.Sensor) {
		return errorf(http.StatusBadRequest, "sensor name %q: use 1-64 letters, digits, '.', '_' or '-'", b.Sensor)
	}
	backlog, _ := strconv.ParseInt(r.Header.Get(uplink.HeaderBacklog), 10, 64)
	dropped, _ := strconv.ParseInt(r.Header.Get(uplink.HeaderDropped), 10, 64)
	u := auth.Upload{BatchID: b.BatchID, Sensor: b.Sensor, Site: b.Site, Observations: len(b.Observations),
		SpoolBacklog: max(backlog, 0), Dropped: max(dropped, 0)}
	seen, err := a.cfg.Auth.BatchSeen(ctx, b.BatchID)
	if err != nil {
		return err
	}
	applied := false
	if !seen && len(b.Observations) > 0 {
		res, err := a.cfg.Inventory.Ingest(ctx, b.Site, b.Observations)
		if err != nil {
			return err
		}
		// Cached dashboards and findings of the site are not invalidated: under
		// steady uploads they would be recomputed on every view. They age out
		// after CacheTTL.
		applied = !res.Skipped
		if applied && a.cfg.AfterIngest != nil {
			a.cfg.AfterIngest(ctx, b.Site, b.Observations)
		}
	}
	u.Applied = applied
	fresh, err := a.cfg.Auth.RecordUpload(ctx, p, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, uplink.Response{Applied: applied && fresh})
	return nil
}

func (a *API) handleTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ts, err := a.cfg.Auth.Tokens(r.Context(), p.Org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse{Items: ts, Total: len(ts), Limit: len(ts), Offset: 0})
	return nil
}

type createToken struct {
	Role auth.Role `json:"role"`
	Site string    `json:"site"`
	Name string    `json:"name"`
}

func (a *API) handleCreateToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in createToken
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Name) > 128 {
		return errorf(http.StatusBadRequest, "name longer than 128 characters")
	}
	if in.Site != "" {
		if _, err := a.scope(r.Context(), p, in.Site); err != nil {
			return err
		}
	}
	secret, tok, err := a.cfg.Auth.CreateToken(r.Context(), p.Actor(), p.Org, in.Role, in.Site, in.Name)
	if errors.Is(err, auth.ErrInvalid) || errors.Is(err, auth.ErrNotFound) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": tok})
	return nil
}

func (a *API) handleRevokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	err := a.cfg.Auth.RevokeToken(r.Context(), p.Actor(), p.Org, id)
	if errors.Is(err, auth.ErrNotFound) {
		return errorf(http.StatusNotFound, "token %q not found", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
	return nil
}
