package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// riskFlags are the flags of risks, plan and controls.
type riskFlags struct {
	dsn, config, site string
	minObs            time.Duration
}

func (f *riskFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.dsn, "db", "", "Ward database (inventory, feeds, controls)")
	c.Flags().StringVar(&f.config, "risk-config", "", "risk config YAML: min_observation, hub_peers, site overrides")
	c.Flags().StringVar(&f.site, "site", "", "only this site (default: every site)")
	c.Flags().DurationVar(&f.minObs, "min-observation", 0, "how long a service must go unseen to count as unused (default: the config's, 168h)")
	_ = c.MarkFlagRequired("db")
}

// riskRun is one assessment with its plan, from a database.
type riskRun struct {
	Feeds  feeds.Origin
	Items  []risk.Item
	Plan   *risk.Plan
	store  *risk.Store
	closer func()
}

// RisksReport is the JSON contract of `ward risks --json` (docs/risk.md).
type RisksReport struct {
	GeneratedAt time.Time   `json:"generated_at"`
	Feeds       string      `json:"feeds"`
	Devices     int         `json:"devices"`
	Items       []risk.Item `json:"items"`
}

func (f *riskFlags) run(ctx context.Context, log *slog.Logger) (*riskRun, int, error) {
	cfg := risk.DefaultConfig()
	if f.config != "" {
		fh, err := os.Open(f.config)
		if err != nil {
			return nil, 0, err
		}
		cfg, err = risk.LoadConfig(fh)
		fh.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f.config, err)
		}
	}
	if f.minObs > 0 {
		cfg.MinObservation = f.minObs
	}
	eng, err := risk.New(cfg, nil)
	if err != nil {
		return nil, 0, err
	}
	d, err := db.Open(ctx, f.dsn)
	if err != nil {
		return nil, 0, err
	}
	r := &riskRun{closer: func() { d.Close() }}
	fail := func(err error) (*riskRun, int, error) { d.Close(); return nil, 0, err }
	inv, err := sqlstore.Open(ctx, d)
	if err != nil {
		return fail(err)
	}
	if r.store, err = risk.OpenStore(ctx, d); err != nil {
		return fail(err)
	}
	devs, _, err := inv.ListDevices(ctx, inventory.DeviceFilter{Site: f.site})
	if err != nil {
		return fail(err)
	}
	p, origin, err := feeds.OpenProvider(ctx, d, log)
	if err != nil {
		return fail(err)
	}
	r.Feeds = origin
	m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
	if err != nil {
		return fail(err)
	}
	fs, err := m.Match(ctx, risk.VulnDevices(devs))
	if err != nil {
		return fail(err)
	}
	texts, err := risk.Texts(ctx, p, fs)
	if err != nil {
		return fail(err)
	}
	epss, err := risk.EPSS(ctx, p, fs)
	if err != nil {
		return fail(err)
	}
	controls, err := r.store.Controls(ctx)
	if err != nil {
		return fail(err)
	}
	in := risk.Input{Devices: devs, Findings: fs, Texts: texts, EPSS: epss, Controls: controls, At: time.Now().UTC().Truncate(time.Second)}
	if r.Items, err = eng.Assess(in); err != nil {
		return fail(err)
	}
	if r.Plan, err = eng.Plan(in, r.Items); err != nil {
		return fail(err)
	}
	return r, len(devs), nil
}

func newRisksCmd(g *globalOpts) *cobra.Command {
	var f riskFlags
	var asJSON, why bool
	var limit int
	c := &cobra.Command{
		Use:   "risks --db DB [--json]",
		Short: "Rank vulnerability findings by likelihood on each device and clinical impact (SSVC)",
		Long: "Matches the inventory against the loaded feeds (or the bundled snapshot), weighs each finding\n" +
			"with threat intelligence (KEV, ransomware, EPSS, CVSS, CISA SSVC) and what Ward saw on the device\n" +
			"(is the vulnerable service used, by whom, from where), and decides with the official SSVC\n" +
			"Deployer table. Most urgent first. See docs/risk.md for the JSON contract.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ndev, err := f.run(cmd.Context(), g.logger())
			if err != nil {
				return err
			}
			defer r.closer()
			out := cmd.OutOrStdout()
			items := r.Items
			if limit > 0 && len(items) > limit {
				items = items[:limit]
			}
			if asJSON {
				return writeJSON(out, RisksReport{GeneratedAt: r.Plan.GeneratedAt, Feeds: r.Feeds.Kind, Devices: ndev, Items: items})
			}
			fmt.Fprintf(out, "%d finding(s) on %d device(s); feeds: %s\n\n", len(r.Items), ndev, r.Feeds.Kind)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PRIORITY\tSCORE\tRESIDUAL\tDEVICE\tTYPE\tADVISORY\tEXPOSURE\tWHY")
			for _, it := range items {
				res := "-"
				if len(it.Residual.Controls) > 0 {
					res = fmt.Sprintf("%.1f", it.Residual.Score)
				}
				fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Decision.PriorityName, it.Score, res, it.Device, orDash(it.Type),
					it.Advisory, map[string]string{"S": "small", "C": "controlled", "O": "open"}[it.Decision.Exposure], oneLine(explain(it, "System exposure"), 90))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if why {
				for _, it := range items {
					fmt.Fprintf(out, "\n%s on %s (%s): %s, score %.1f\n  %s\n", it.Advisory, it.Device, it.DeviceID, it.Decision.PriorityName, it.Score, it.Decision.Vector)
					for _, e := range it.Explanation {
						fmt.Fprintf(out, "  - %s: %s. %s [%s]\n", e.Input, e.Value, e.Why, e.Source)
					}
				}
			}
			return nil
		},
	}
	f.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output (contract in docs/risk.md)")
	c.Flags().BoolVar(&why, "why", false, "explain every input of every decision")
	c.Flags().IntVar(&limit, "limit", 0, "show only the first N items")
	return c
}

func explain(it risk.Item, input string) string {
	for _, e := range it.Explanation {
		if e.Input == input {
			return e.Why
		}
	}
	return ""
}

func joinNonEmpty(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}
