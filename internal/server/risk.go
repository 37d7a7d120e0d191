package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/api"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// riskSource adapts the risk engine to the API: it assesses the devices of
// the requested sites together (one fleet) and keeps the result briefly,
// since every dashboard view asks for it.
type riskSource struct {
	eng      *risk.Engine
	store    *risk.Store
	inv      *inventory.Service
	provider vuln.Provider
	matcher  *vuln.Matcher
	origin   feeds.Origin
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu    sync.Mutex
	cache map[string]riskRun
}

type riskRun struct {
	at      time.Time
	devices int
	items   []risk.Item
	plan    *risk.Plan
}

var _ api.RiskSource = (*riskSource)(nil)

func (r *riskSource) run(ctx context.Context, sites []string) (riskRun, error) {
	key := strings.Join(sites, ",")
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && r.now().Sub(c.at) < r.ttl {
		return c, nil
	}
	var devs []*inventory.Device
	for _, s := range sites {
		ds, _, err := r.inv.Devices(ctx, inventory.DeviceFilter{Site: s})
		if err != nil {
			return riskRun{}, err
		}
		devs = append(devs, ds...)
	}
	fs, err := r.matcher.Match(ctx, risk.VulnDevices(devs))
	if err != nil {
		return riskRun{}, err
	}
	texts, err := risk.Texts(ctx, r.provider, fs)
	if err != nil {
		return riskRun{}, err
	}
	epss, err := risk.EPSS(ctx, r.provider, fs)
	if err != nil {
		return riskRun{}, err
	}
	controls, err := r.store.Controls(ctx)
	if err != nil {
		return riskRun{}, err
	}
	in := risk.Input{Devices: devs, Findings: fs, Texts: texts, EPSS: epss, Controls: controls, At: r.now().UTC().Truncate(time.Second)}
	items, err := r.eng.Assess(in)
	if err != nil {
		return riskRun{}, fmt.Errorf("assess risk: %w", err)
	}
	plan, err := r.eng.Plan(in, items)
	if err != nil {
		return riskRun{}, fmt.Errorf("plan: %w", err)
	}
	// Each assessment is the day's figure for the trend; a failure to
	// record it must not cost the user the assessment itself.
	siteOf := make(map[string]string, len(devs))
	for _, d := range devs {
		siteOf[d.ID] = d.Site
	}
	if err := r.store.RecordRisk(ctx, in.At, risk.SiteRisk(items, siteOf, sites)); err != nil {
		r.log.Warn("risk history not recorded", "err", err)
	}
	c = riskRun{at: r.now(), devices: len(devs), items: items, plan: plan}
	r.mu.Lock()
	if len(r.cache) > 1000 {
		clear(r.cache)
	}
	r.cache[key] = c
	r.mu.Unlock()
	return c, nil
}

// risksReport is the shape of `ward risks --json`.
type risksReport struct {
	GeneratedAt time.Time   `json:"generated_at"`
	Feeds       string      `json:"feeds"`
	Devices     int         `json:"devices"`
	Total       int         `json:"total"`
	Limit       int         `json:"limit"`
	Offset      int         `json:"offset"`
	Items       []risk.Item `json:"items"`
}

var tiers = []string{"Immediate", "Out-of-Cycle", "Scheduled", "Defer"}

func (r *riskSource) Risks(ctx context.Context, q api.RiskQuery) (any, error) {
	if q.Tier != "" && !slices.ContainsFunc(tiers, func(t string) bool { return strings.EqualFold(t, q.Tier) }) {
		return nil, api.Errorf(http.StatusBadRequest, "tier %q: use one of %s", q.Tier, strings.Join(tiers, ", "))
	}
	c, err := r.run(ctx, q.Sites)
	if err != nil {
		return nil, err
	}
	items := make([]risk.Item, 0, len(c.items))
	for _, it := range c.items {
		if q.DeviceID != "" && it.DeviceID != q.DeviceID {
			continue
		}
		if q.Tier != "" && !strings.EqualFold(it.Decision.PriorityName, q.Tier) {
			continue
		}
		items = append(items, it)
	}
	gen := c.at.UTC()
	if c.plan != nil {
		gen = c.plan.GeneratedAt
	}
	out := risksReport{GeneratedAt: gen, Feeds: r.origin.Kind, Devices: c.devices, Total: len(items), Items: items, Limit: len(items)}
	if q.Limit > 0 {
		lo := min(q.Offset, len(items))
		out.Items, out.Limit, out.Offset = items[lo:min(lo+q.Limit, len(items))], q.Limit, q.Offset
	}
	return out, nil
}

func (r *riskSource) Plan(ctx context.Context, sites []string) (any, error) {
	c, err := r.run(ctx, sites)
	if err != nil {
		return nil, err
	}
	return c.plan, nil
}

// trendDays is how far back the dashboard's open-risk trend goes.
const trendDays = 90

// Tiers counts items by their residual priority (after applied controls)
// and gives the open-risk trend: one point per day the sites were
// assessed (risk_history), today's being the plan's total.
func (r *riskSource) Tiers(ctx context.Context, sites []string) (map[string]int, []api.TrendPoint, error) {
	c, err := r.run(ctx, sites)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]int{}
	for _, it := range c.items {
		out[it.Residual.PriorityName]++
	}
	open := 0.0
	if c.plan != nil {
		open = c.plan.TotalRisk
	}
	today := r.now().UTC().Format(time.DateOnly)
	hist, err := r.store.RiskHistory(ctx, sites, r.now().AddDate(0, 0, -trendDays))
	if err != nil {
		return nil, nil, err
	}
	trend := make([]api.TrendPoint, 0, len(hist)+1)
	for _, h := range hist {
		if h.Day != today { // today is the plan's own total, below
			trend = append(trend, api.TrendPoint{Date: h.Day, OpenRisk: h.OpenRisk})
		}
	}
	return out, append(trend, api.TrendPoint{Date: today, OpenRisk: open}), nil
}
