package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wardiomt/ward/internal/auth"
)

// Page bounds.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// page is a list window.
type page struct {
	limit, offset int
	sort          string // field, "-" prefix descending; "" = default
}

// listResponse is the shape of every list.
type listResponse struct {
	Items  any `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

var pageParams = []Param{
	{"limit", "integer", "page size, 1-500 (default 50)"},
	{"offset", "integer", "items to skip (default 0)"},
}

func parsePage(q url.Values, sorts []string, def string) (page, error) {
	p := page{limit: DefaultLimit, sort: def}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, errorf(http.StatusBadRequest, "limit must be an integer from 1 to %d, got %q", MaxLimit, v)
		}
		p.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100_000_000 {
			return p, errorf(http.StatusBadRequest, "offset must be a non-negative integer, got %q", v)
		}
		p.offset = n
	}
	if v := q.Get("sort"); v != "" {
		if !slices.Contains(sorts, strings.TrimPrefix(v, "-")) {
			return p, errorf(http.StatusBadRequest, "cannot sort by %q; use one of %s (prefix '-' for descending)", v, strings.Join(sorts, ", "))
		}
		p.sort = v
	}
	return p, nil
}

// window returns the page of n items as [lo, hi).
func (p page) window(n int) (int, int) {
	lo := min(p.offset, n)
	return lo, min(lo+p.limit, n)
}

func parseBool(q url.Values, name string) (*bool, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%s must be true or false, got %q", name, v)
	}
	return &b, nil
}

func parseTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if d, derr := time.Parse(time.DateOnly, v); derr == nil {
			return d, nil
		}
		return time.Time{}, errorf(http.StatusBadRequest, "%s must be an RFC 3339 time or a YYYY-MM-DD date, got %q", name, v)
	}
	return t, nil
}

// checkLen bounds free-text parameters.
func checkLen(q url.Values, names ...string) error {
	for _, n := range names {
		if len(q.Get(n)) > 256 {
			return errorf(http.StatusBadRequest, "%s longer than 256 characters", n)
		}
	}
	return nil
}

// scope returns the sites a request covers: the one named by ?site= (which
// must belong to the caller's organization) or all of the organization's.
func (a *API) scope(ctx context.Context, p auth.Principal, site string) ([]string, error) {
	if site != "" {
		org, err := a.cfg.Auth.SiteOrg(ctx, site)
		if errors.Is(err, auth.ErrNotFound) || (err == nil && org != p.Org) {
			// Unknown and foreign sites answer alike, so site names do not leak.
			return nil, errorf(http.StatusForbidden, "site %q is not a site of organization %s", site, p.Org)
		}
		if err != nil {
			return nil, err
		}
		return []string{site}, nil
	}
	sites, err := a.cfg.Auth.Sites(ctx, p.Org)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(sites))
	for _, s := range sites {
		out = append(out, s.ID)
	}
	return out, nil
}

// cache keeps aggregate views for a short time: dashboards and finding lists
// are computed over whole sites and requested by every page view.
type cache struct {
	ttl time.Duration
	now func() time.Time
	sf  singleflight.Group // one computation per key at a time, however many viewers ask
	mu  sync.Mutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	at time.Time
	v  any
}

func newCache(ttl time.Duration, now func() time.Time) *cache {
	return &cache{ttl: ttl, now: now, m: map[string]cacheEntry{}}
}

func (c *cache) get(key string, fill func() (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err, _ := c.sf.Do(key, func() (any, error) {
		v, err := fill()
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.m) > 10000 {
			clear(c.m)
		}
		c.m[key] = cacheEntry{at: c.now(), v: v}
		c.mu.Unlock()
		return v, nil
	})
	return v, err
}

func siteKey(kind string, sites []string) string { return kind + "|" + strings.Join(sites, ",") }
