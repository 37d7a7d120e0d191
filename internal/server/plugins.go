package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/wardiomt/ward/internal/api"
	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/report"
	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/threat"
	"github.com/wardiomt/ward/internal/vuln"
)

// stages are the later stages the server serves through API plugins.
type stages struct {
	threat  *threat.Engine
	log     *slog.Logger
	queue   chan batchJob
	dropped atomic.Int64
	// slots are the API's ingest slots: baselining a batch is upload work
	// and shares their bound, so together they leave the UI its cores.
	slots chan struct{}
}

type batchJob struct {
	site string
	obs  []observe.Observation
}

// afterIngest hands an applied sensor batch to the threat engine. It runs
// beside the upload, not inside it: baselines must never slow sensors or
// hold the ingest slots. A full queue drops the batch for alerting only
// (the inventory has it), counted and logged.
func (s *stages) afterIngest(_ context.Context, site string, obs []observe.Observation) {
	if s.threat == nil {
		return
	}
	select {
	case s.queue <- batchJob{site, obs}:
	default:
		n := s.dropped.Add(1)
		s.log.Warn("threat engine busy; batch not baselined", "site", site, "dropped_total", n)
	}
}

func (s *stages) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.queue:
			if s.slots != nil {
				select {
				case s.slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
			if _, err := s.threat.Observe(ctx, j.site, j.obs); err != nil && ctx.Err() == nil {
				s.log.Warn("threat engine failed on an uploaded batch", "site", j.site, "err", err)
			}
			if s.slots != nil {
				<-s.slots
			}
		}
	}
}

// plugins wires alerts, CMMS and procurement assessment into the API.
func plugins(ctx context.Context, d *db.DB, st *sqlstore.Store, inv *inventory.Service, m *vuln.Matcher, p vuln.Provider,
	re *risk.Engine, origin string, slots chan struct{}, log *slog.Logger) ([]api.Plugin, *stages, error) {
	ts, err := threat.OpenStore(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	topt := threat.DefaultOptions()
	topt.Logger = log
	res := threat.NewInventoryResolver(st, nil)
	res.MaxAge = 10 * time.Minute // catch up merges and lease moves key lookups did not meet
	eng, err := threat.New(ts, res, topt)
	if err != nil {
		return nil, nil, err
	}
	th := threat.Handler(ts, topt)
	ob, err := cmms.Open(ctx, d, st, cmms.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	vendors := canon.NewTable(nil)
	cmmsFor := func(sites []string) http.Handler {
		return &cmms.Handler{Outbox: siteOutbox{ob, sites}, Devices: inv, Logger: log, Canon: vendors.Manufacturer}
	}
	var rsk assess.RiskAssessor
	if re != nil {
		rsk = re
	}
	as, err := assess.New(assess.Deps{History: m, Matcher: m, Provider: p, Inventory: st, Risk: rsk, Canon: vendors, Feeds: origin, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	site := api.Param{Name: "site", Type: "string", Description: "the site (required when your organization has several)"}
	ps := []api.Plugin{
		{Method: "GET", Path: "/api/v1/alerts", Tag: "threats", Summary: "Alerts raised against device baselines", Scope: api.SiteScoped, Handler: th,
			Params: []api.Param{site, {Name: "device", Type: "string", Description: "device id"}, {Name: "kind", Type: "string", Description: "alert kind (repeatable)"},
				{Name: "severity", Type: "string", Description: "minimum severity"}, {Name: "state", Type: "string", Description: "open or snoozed"},
				{Name: "since", Type: "string", Description: "RFC 3339 time"}, {Name: "limit", Type: "integer", Description: "at most this many"}}},
		{Method: "GET", Path: "/api/v1/devices/{id}/baseline", Tag: "threats", Summary: "A device's learned communication baseline", Scope: api.DeviceScoped, Handler: th},
		{Method: "GET", Path: "/api/v1/cmms/outbox", Tag: "cmms", Summary: "CMMS deliveries (pending, delivered, dead letters)", Scope: api.SiteScoped, For: cmmsFor,
			Params: []api.Param{site, {Name: "status", Type: "string", Description: "pending, delivered or dead"}, {Name: "connector", Type: "string", Description: "connector name"},
				{Name: "device", Type: "string", Description: "device id"}, {Name: "limit", Type: "integer", Description: "1..10000"}}},
		{Method: "POST", Path: "/api/v1/cmms/outbox/{id}/retry", Tag: "cmms", Summary: "Retry a delivery by hand", Roles: api.Operators, Scope: api.SiteScoped, For: cmmsFor,
			Params: []api.Param{site}},
		{Method: "POST", Path: "/api/v1/cmms/reconcile", Tag: "cmms", Summary: "Reconcile a CMMS asset list (CSV or FHIR Bundle) against the inventory",
			Roles: api.Operators, Scope: api.SiteScoped, For: cmmsFor, MaxBody: 32 << 20, Body: "CSV (text/csv) or a FHIR Bundle (JSON)",
			Params: []api.Param{site, {Name: "format", Type: "string", Description: "json or csv"}, {Name: "link", Type: "boolean", Description: "save matched asset tags"}}},
		{Method: "GET", Path: "/api/v1/assess", Tag: "procurement", Summary: "Pre-procurement assessment of manufacturers and models",
			Scope: api.SiteScoped, Handler: report.Handler(as, log), Produces: "application/json",
			Params: []api.Param{site, {Name: "manufacturer", Type: "string", Description: "manufacturer"}, {Name: "model", Type: "string", Description: "model"},
				{Name: "compare", Type: "string", Description: "M/X candidate (repeatable)"}, {Name: "format", Type: "string", Description: "json, html or md"}}},
	}
	sg := &stages{threat: eng, log: log, queue: make(chan batchJob, 256), slots: slots}
	go sg.run(ctx)
	return ps, sg, nil
}

// siteOutbox shows an organization only the deliveries of its own sites.
type siteOutbox struct {
	ob    *cmms.Outbox
	sites []string
}

func (s siteOutbox) List(ctx context.Context, f cmms.Filter) ([]cmms.Delivery, error) {
	all, err := s.ob.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, d := range all {
		if slices.Contains(s.sites, d.Site) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s siteOutbox) Retry(ctx context.Context, id int64) error {
	all, err := s.ob.List(ctx, cmms.Filter{Limit: 10000})
	if err != nil {
		return err
	}
	for _, d := range all {
		if d.ID == id {
			if !slices.Contains(s.sites, d.Site) {
				break
			}
			return s.ob.Retry(ctx, id)
		}
	}
	return fmt.Errorf("delivery %d: %w", id, cmms.ErrNotFound)
}

func (s siteOutbox) Links(ctx context.Context, site string) (map[string]string, error) {
	return s.ob.Links(ctx, site)
}

func (s siteOutbox) Link(ctx context.Context, site, deviceID, assetTag string) error {
	return s.ob.Link(ctx, site, deviceID, assetTag)
}
