// Package api is Ward's REST API: JSON handlers over the inventory, the
// vulnerability matcher, risk and plan, the tenancy store, and the remote
// sensor upload. Every route is declared once in a table that drives the
// mux, the role checks and the OpenAPI document, so they cannot drift apart.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/vuln"
)

// Inventory is what the API needs of the inventory (*inventory.Service).
type Inventory interface {
	Devices(ctx context.Context, f inventory.DeviceFilter) ([]*inventory.Device, int, error)
	Device(ctx context.Context, id string) (*inventory.Device, error)
	Events(ctx context.Context, f inventory.EventFilter) ([]inventory.Event, error)
	Ingest(ctx context.Context, site string, obs []observe.Observation) (inventory.IngestResult, error)
}

// Matcher finds advisories concerning devices (*vuln.Matcher).
type Matcher interface {
	Match(ctx context.Context, devices []vuln.Device) ([]vuln.Finding, error)
}

// FeedStatus reports what vulnerability data is loaded (*feeds.Store).
type FeedStatus interface {
	Status(ctx context.Context) (feeds.Status, error)
}

// RiskSource ranks risks and builds the remediation plan for a set of
// sites. The results are passed through as JSON (the risk package owns
// their contract). Nil: the risk routes answer 501.
type RiskSource interface {
	Risks(ctx context.Context, q RiskQuery) (any, error)
	Plan(ctx context.Context, sites []string) (any, error)
	// Tiers counts open risk items per tier ("Immediate", ...) and the open
	// risk trend, for the dashboard.
	Tiers(ctx context.Context, sites []string) (map[string]int, []TrendPoint, error)
}

// RiskQuery filters risks.
type RiskQuery struct {
	Sites    []string
	Tier     string
	DeviceID string
	Limit    int // 0: all
	Offset   int
}

// TrendPoint is one day of the open-risk trend.
type TrendPoint struct {
	Date     string  `json:"date"`
	OpenRisk float64 `json:"open_risk"`
}

// Config wires the API.
type Config struct {
	Auth      *auth.Store // required
	Inventory Inventory   // required
	Matcher   Matcher     // nil: findings are empty
	Feeds     FeedStatus  // nil: feeds status reports the origin only
	Origin    feeds.Origin
	Risk      RiskSource // nil: /risks and /plan answer 501
	Logger    *slog.Logger
	// AfterIngest, when set, sees each applied sensor batch after the
	// inventory committed it (the threat engine's baselines and alerts).
	AfterIngest func(ctx context.Context, site string, obs []observe.Observation)

	MaxBody       int64         // request body limit of JSON routes (default 1 MiB)
	MaxUpload     int64         // compressed sensor upload limit (default 32 MiB)
	MaxUploadJSON int64         // decompressed sensor upload limit (default 256 MiB)
	CacheTTL      time.Duration // how long aggregate views (dashboard, findings) are reused (default 15s)
	// MaxIngest bounds concurrent batch applications (default: half the
	// CPUs, one to four). Each holds a database connection while it waits
	// for the write lock; unbounded, fifty sensors would take every pooled
	// connection and starve the UI. Decoding a batch happens inside the
	// slot too, so uploads arriving together (sensors flush on the same
	// clock) cannot take every core from people using the UI.
	MaxIngest int
	// IngestSlots, when set, is the slot channel itself (capacity =
	// MaxIngest), shared with later per-batch work such as the threat engine
	// so all upload work together stays within the bound.
	IngestSlots chan struct{}
	// IngestWait is how long an upload waits for an ingest slot before it
	// is answered 503 with Retry-After; the sensor keeps it spooled (default 20s).
	IngestWait     time.Duration
	SecureCookies  bool // mark the session cookie Secure even without TLS on this hop (behind a TLS proxy)
	Now            func() time.Time
	maxDeviceMerge int // devices read per site when merging sites for one page (default 10000)
}

// API serves the routes.
type API struct {
	docMu  sync.Mutex
	extra  []Route // served by the embedding server, documented here
	cfg    Config
	log    *slog.Logger
	routes []Route
	cache  *cache
	ingest chan struct{}
}

// New checks cfg and builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Auth == nil || cfg.Inventory == nil {
		return nil, errors.New("api: Auth and Inventory are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 32 << 20
	}
	if cfg.MaxUploadJSON <= 0 {
		cfg.MaxUploadJSON = 256 << 20
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.maxDeviceMerge <= 0 {
		cfg.maxDeviceMerge = 10000
	}
	if cfg.MaxIngest <= 0 {
		cfg.MaxIngest = DefaultMaxIngest()
	}
	if cfg.IngestSlots == nil {
		cfg.IngestSlots = make(chan struct{}, cfg.MaxIngest)
	}
	if cfg.IngestWait <= 0 {
		cfg.IngestWait = 20 * time.Second
	}
	a := &API{cfg: cfg, log: cfg.Logger, cache: newCache(cfg.CacheTTL, cfg.Now), ingest: cfg.IngestSlots}
	a.routes = a.table()
	return a, nil
}

// DefaultMaxIngest is half the CPUs Go may use, at least one: uploads never
// take the whole machine from the UI. At most four: each slot can hold a
// pooled database connection (SQLite's pool has eight, and its writes are
// serialized anyway).
func DefaultMaxIngest() int { return min(4, max(1, runtime.GOMAXPROCS(0)/2)) }

// MaxBody is the largest body any route accepts (for an outer MaxBytesHandler).
func (a *API) MaxBody() int64 { return max(a.cfg.MaxBody, a.cfg.MaxUpload) }

// Register mounts every route on mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt))
	}
}

// Document adds a route the embedding server serves itself (probes,
// metrics) to the OpenAPI document; documenting the same route again is a
// no-op.
func (a *API) Document(method, path, tag, summary, produces string) {
	a.docMu.Lock()
	defer a.docMu.Unlock()
	for _, r := range a.extra {
		if r.Method == method && r.Path == path {
			return
		}
	}
	a.extra = append(a.extra, Route{Method: method, Path: path, Tag: tag, Summary: summary, Produces: produces})
}

// Routes returns the route table.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }

// Route is one endpoint.
type Route struct {
	Method   string
	Path     string
	Summary  string
	Tag      string
	Roles    []auth.Role // nil: no authentication (login, openapi)
	Params   []Param     // query parameters
	Body     string      // request body description ("" = none)
	MaxBody  int64
	Produces string // response media type (default application/json)
	handle   func(w http.ResponseWriter, r *http.Request, p auth.Principal) error
}

// Param is a query parameter.
type Param struct {
	Name, Type, Description string
}

type principalKey struct{}

// apiError is an error with an HTTP status and a message safe to show.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// Errorf returns an error that the API answers with status and the
// message (for RiskSource and other plugged-in services).
func Errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

var (
	readers   = []auth.Role{auth.Admin, auth.Analyst, auth.Viewer}
	admins    = []auth.Role{auth.Admin}
	sensors   = []auth.Role{auth.Sensor}
	everybody = []auth.Role{auth.Admin, auth.Analyst, auth.Viewer, auth.Sensor}
)

func (a *API) wrap(rt Route) http.Handler {
	limit := rt.MaxBody
	if limit <= 0 {
		limit = a.cfg.MaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		var p auth.Principal
		if rt.Roles != nil {
			var err error
			p, err = a.authenticate(r)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			if !hasRole(rt.Roles, p.Role) {
				a.fail(w, r, errorf(http.StatusForbidden, "role %s may not %s %s", p.Role, rt.Method, rt.Path))
				return
			}
		}
		if err := rt.handle(w, r, p); err != nil {
			a.fail(w, r, err)
		}
	})
}

func hasRole(roles []auth.Role, r auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// SessionCookie is the browser session cookie's name.
const SessionCookie = "ward_session"

// CSRFHeader carries the CSRF token on mutating browser requests.
const CSRFHeader = "X-CSRF-Token"

func (a *API) authenticate(r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, errorf(http.StatusUnauthorized, "Authorization must be 'Bearer <token>'")
		}
		p, err := a.cfg.Auth.Authenticate(r.Context(), strings.TrimSpace(tok))
		if errors.Is(err, auth.ErrUnauthenticated) {
			return p, errorf(http.StatusUnauthorized, "unknown or revoked token")
		}
		return p, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return auth.Principal{}, errorf(http.StatusUnauthorized, "authentication required: send 'Authorization: Bearer <token>' or log in")
	}
	p, csrf, err := a.cfg.Auth.Session(r.Context(), c.Value)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return p, errorf(http.StatusUnauthorized, "session expired or unknown: log in again")
	}
	if err != nil {
		return p, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !auth.CSRFEqual(csrfOf(r), csrf) {
		return p, errorf(http.StatusForbidden, "missing or wrong %s header (see GET /api/v1/me)", CSRFHeader)
	}
	return p, nil
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
	case errors.Is(err, context.Canceled) || r.Context().Err() != nil:
		// The client went away; drivers report that in their own words
		// ("bad connection"), which is not a server fault.
		ae = &apiError{499, "request canceled"}
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{http.StatusInternalServerError, "internal error"}
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// decodeJSON reads a strict JSON body: unknown fields and trailing data are errors.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "malformed JSON body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "malformed JSON body: trailing data after the object")
	}
	return nil
}

// csrfOf reads the CSRF token from the header, or from the csrf_token field
// of an HTML form post.
func csrfOf(r *http.Request) string {
	if h := r.Header.Get(CSRFHeader); h != "" {
		return h
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return r.PostFormValue("csrf_token")
	}
	return ""
}
