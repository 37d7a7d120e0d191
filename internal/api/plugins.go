package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/wardiomt/ward/internal/auth"
)

// Scope says which tenancy check guards a plugged-in endpoint.
type Scope int

// Scopes.
const (
	// SiteScoped: ?site= must name a site of the caller's organization; when
	// absent it is filled in if the organization has exactly one site, and
	// required otherwise, so the handler never sees another customer's data.
	SiteScoped Scope = iota
	// DeviceScoped: the {id} path value must be a device the caller may see.
	DeviceScoped
	// PublicData: the endpoint reads only public data (advisory feeds).
	PublicData
)

// Plugin is an endpoint served by another stage's handler (alerts, CMMS,
// procurement assessment) behind the API's authentication, roles, tenancy,
// body limits and OpenAPI document.
type Plugin struct {
	Method, Path, Tag, Summary string
	Roles                      []auth.Role // nil: readers
	Params                     []Param
	Body                       string
	Produces                   string
	MaxBody                    int64
	Scope                      Scope
	// Handler serves the request; For, when set, builds one bound to the
	// caller's sites (for stores that are not site-filtered themselves).
	Handler http.Handler
	For     func(sites []string) http.Handler
}

// Readers, Operators and Admins are the role sets plugins use.
var (
	Readers   = readers
	Operators = []auth.Role{auth.Admin, auth.Analyst}
	Admins    = admins
)

// AddPlugins adds endpoints before Register mounts the routes.
func (a *API) AddPlugins(ps ...Plugin) {
	for _, pl := range ps {
		pl := pl
		roles := pl.Roles
		if roles == nil {
			roles = readers
		}
		a.routes = append(a.routes, Route{
			Method: pl.Method, Path: pl.Path, Tag: pl.Tag, Summary: pl.Summary, Roles: roles,
			Params: pl.Params, Body: pl.Body, Produces: pl.Produces, MaxBody: pl.MaxBody,
			handle: func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
				sites, err := a.pluginScope(r, p, pl.Scope)
				if err != nil {
					return err
				}
				h := pl.Handler
				if pl.For != nil {
					h = pl.For(sites)
				}
				h.ServeHTTP(w, r)
				return nil
			},
		})
	}
}

func (a *API) pluginScope(r *http.Request, p auth.Principal, s Scope) ([]string, error) {
	ctx := r.Context()
	switch s {
	case DeviceScoped:
		d, err := a.device(ctx, p, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return []string{d.Site}, nil
	case PublicData:
		return a.orgSites(ctx, p)
	}
	q := r.URL.Query()
	sites, err := a.scope(ctx, p, q.Get("site"))
	if err != nil {
		return nil, err
	}
	if q.Get("site") == "" {
		switch len(sites) {
		case 0:
			return nil, errorf(http.StatusForbidden, "organization %s has no sites", p.Org)
		case 1:
			q.Set("site", sites[0])
			r.URL.RawQuery = q.Encode()
		default:
			return nil, errorf(http.StatusBadRequest, "site is required: organization %s has %d sites", p.Org, len(sites))
		}
	}
	if p.Role == auth.Sensor && !slices.Contains(sites, p.Site) {
		return nil, errorf(http.StatusForbidden, "a sensor token sees only its own site")
	}
	return sites, nil
}

func (a *API) orgSites(ctx context.Context, p auth.Principal) ([]string, error) {
	return a.scope(ctx, p, "")
}
