package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wardiomt/ward/internal/api"
	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// StackOptions tunes NewStack.
type StackOptions struct {
	Inventory inventory.Options // zero: inventory.DefaultOptions()
	RulesDir  string            // extra fingerprint rules
	Risk      *risk.Config      // nil: risk.DefaultConfig()
	NoMatcher bool              // no vulnerability matching nor risk (load tests of the inventory only)
	NoAlerts  bool              // do not baseline uploaded batches (the alert routes still serve)
	Logger    *slog.Logger
	Now       func() time.Time
	API       api.Config // limits and cache settings; service fields are filled in
}

// Stack is everything the server serves, over one database.
type Stack struct {
	DB        *db.DB
	Auth      *auth.Store
	Inventory *inventory.Service
	Origin    feeds.Origin
	API       *api.API

	plugins []api.Plugin // alerts, CMMS, assessment
	stages  *stages
}

// NewStack migrates d and wires the tenancy store, the inventory (with the
// fingerprint engine), the vulnerability matcher (feeds in d, else the
// bundled snapshot imported into d) and the API.
func NewStack(ctx context.Context, d *db.DB, o StackOptions) (*Stack, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Keep every pooled connection open between requests (database/sql
	// keeps 2 idle by default): under concurrent uploads and UI pages the
	// pool otherwise closes and reopens connections all the time, each a
	// new PostgreSQL backend or a SQLite connection re-reading the schema
	// with a cold page cache.
	if n := d.Stats().MaxOpenConnections; n > 0 {
		d.SetMaxIdleConns(n)
	}
	as, err := auth.Open(ctx, d, o.Now)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	eng, err := fingerprint.New(fingerprint.Options{UserDir: o.RulesDir, Vendors: canon.NewTable(nil), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("fingerprint rules: %w", err)
	}
	iopt := o.Inventory
	if iopt.MaxIPs == 0 {
		iopt = inventory.DefaultOptions()
	}
	iopt.Logger = log
	inv, err := inventory.New(st, eng, iopt)
	if err != nil {
		return nil, err
	}
	s := &Stack{DB: d, Auth: as, Inventory: inv}
	cfg := o.API
	cfg.Auth, cfg.Inventory, cfg.Logger, cfg.Now = as, inv, log, o.Now
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.MaxIngest = cmp.Or(cfg.MaxIngest, api.DefaultMaxIngest())
	cfg.IngestSlots = make(chan struct{}, cfg.MaxIngest)
	if !o.NoMatcher {
		p, origin, err := feeds.OpenProvider(ctx, d, log)
		if err != nil {
			return nil, fmt.Errorf("vulnerability data: %w", err)
		}
		m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("vulnerability data: %w", err)
		}
		fs, err := feeds.NewStore(ctx, d, log)
		if err != nil {
			return nil, err
		}
		cfg.Matcher, cfg.Feeds, cfg.Origin = m, fs, origin
		s.Origin = origin
		rc := risk.DefaultConfig()
		if o.Risk != nil {
			rc = *o.Risk
		}
		eng, err := risk.New(rc, nil)
		if err != nil {
			return nil, fmt.Errorf("risk engine: %w", err)
		}
		rs, err := risk.OpenStore(ctx, d)
		if err != nil {
			return nil, err
		}
		ttl := cmp.Or(cfg.CacheTTL, 15*time.Second)
		cfg.Risk = &riskSource{eng: eng, store: rs, inv: inv, provider: p, matcher: m, origin: origin, ttl: ttl, now: cfg.Now, log: log, cache: map[string]riskRun{}}
		s.plugins, s.stages, err = plugins(ctx, d, st, inv, m, p, eng, fmt.Sprintf("%s %s", origin.Kind, origin.SnapshotDate), cfg.IngestSlots, log)
		if err != nil {
			return nil, err
		}
		if !o.NoAlerts {
			cfg.AfterIngest = s.stages.afterIngest
		}
	}
	if s.API, err = api.New(cfg); err != nil {
		return nil, err
	}
	s.API.AddPlugins(s.plugins...)
	return s, nil
}
