package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/threat"
)

func openThreat(ctx context.Context, dsn string) (*db.DB, *threat.SQLStore, error) {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	ts, err := threat.OpenStore(ctx, d)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, ts, nil
}

func newAlertsCmd(g *globalOpts) *cobra.Command {
	var dsn, site, device, severity string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "alerts --db DB [--json] [--site S] [--device ID] [--severity MIN]",
		Short: "List threat alerts (deviations from each device's learned baseline, known-bad indicators)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, ts, err := openThreat(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			as, err := ts.ListAlerts(cmd.Context(), threat.AlertFilter{Site: site, DeviceID: device, MinSeverity: threat.Severity(severity)})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if as == nil {
					as = []threat.Alert{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(as)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LAST\tSEVERITY\tKIND\tDEVICE\tSTATE\tCOUNT\tTITLE")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", a.Last.Format(time.RFC3339), a.Severity, a.Kind, a.DeviceID, a.State, a.Count, a.Title)
			}
			return tw.Flush()
		},
	}
	cmd.PersistentFlags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	_ = cmd.MarkPersistentFlagRequired("db")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&site, "site", "", "only this site")
	cmd.Flags().StringVar(&device, "device", "", "only this device id")
	cmd.Flags().StringVar(&severity, "severity", "", "minimum severity: low, medium, high, critical")
	cmd.AddCommand(newAlertsScanCmd(g, &dsn), newAlertsSnoozeCmd(&dsn), newAlertsForwardCmd(g, &dsn))
	return cmd
}

// scanner feeds each batch to the inventory, then to the threat engine.
type scanner struct {
	ctx    context.Context
	inv    *inventory.Service
	eng    *threat.Engine
	site   string
	buf    []observe.Observation
	err    error
	alerts int
	newA   []threat.Alert
}

func (s *scanner) Emit(o *observe.Observation) {
	if s.err != nil {
		return
	}
	s.buf = append(s.buf, o.Clone())
	if len(s.buf) >= 5000 {
		s.flush()
	}
}

func (s *scanner) flush() {
	if s.err != nil || len(s.buf) == 0 {
		return
	}
	if _, err := s.inv.Ingest(s.ctx, s.site, s.buf); err != nil {
		s.err = err
		return
	}
	res, err := s.eng.Observe(s.ctx, s.site, s.buf)
	if err != nil {
		s.err = err
		return
	}
	s.newA = append(s.newA, res.New()...)
	s.buf = s.buf[:0]
}

func newAlertsScanCmd(g *globalOpts, dsn *string) *cobra.Command {
	var site, indicators string
	opt := threat.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "scan --db DB [--window D] [--indicators FILE] FILE...",
		Short: "Run captures or observation files through the inventory and the threat engine",
		Long: `Each batch of observations is applied to the inventory (idempotent, as ward ingest) and then
to the threat engine, which learns each device's baseline during --window from its first observation
and raises alerts afterwards. Indicators: a plain-text list (IPs, CIDRs, domains, JA3/JA4) or a STIX 2.1 bundle.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log := g.logger()
			if indicators != "" {
				f, err := os.Open(indicators)
				if err != nil {
					return err
				}
				opt.Indicators, err = threat.ParseIndicators(f)
				f.Close()
				if err != nil {
					log.Warn("some indicators were not usable", "file", indicators, "err", err)
				}
			}
			opt.Logger = log
			d, ts, err := openThreat(ctx, *dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := sqlstore.Open(ctx, d)
			if err != nil {
				return err
			}
			invOpt := inventory.DefaultOptions()
			invOpt.Logger = log
			fp, err := fingerprint.New(fingerprint.Options{Vendors: canon.NewTable(nil), Logger: log})
			if err != nil {
				return fmt.Errorf("fingerprint rules: %w", err)
			}
			inv, err := inventory.New(st, fp, invOpt)
			if err != nil {
				return err
			}
			eng, err := threat.New(ts, threat.NewInventoryResolver(st, nil), opt)
			if err != nil {
				return err
			}
			s := &scanner{ctx: ctx, inv: inv, eng: eng, site: site}
			var caps []string
			for _, a := range args {
				if isJSONL(a) {
					if _, err := readJSONL(ctx, a, s); err != nil {
						return err
					}
				} else {
					caps = append(caps, a)
				}
			}
			if len(caps) > 0 {
				if _, err := sensor.ReadFiles(ctx, caps, decode.DefaultConfig(), s, log); err != nil && s.err == nil {
					return err
				}
			}
			s.flush()
			if s.err != nil {
				return s.err
			}
			out := cmd.OutOrStdout()
			for _, a := range s.newA {
				fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n", a.First.Format(time.RFC3339), a.Severity, a.Kind, a.DeviceID, a.Title)
			}
			fmt.Fprintf(out, "new alerts: %d\n", len(s.newA))
			return nil
		},
	}
	cmd.Flags().StringVar(&site, "site", inventory.DefaultSite, "site the observations belong to")
	cmd.Flags().StringVar(&indicators, "indicators", "", "known-bad indicators: plain text or a STIX 2.1 bundle")
	cmd.Flags().DurationVar(&opt.Window, "window", opt.Window, "learning window per device")
	cmd.Flags().DurationVar(&opt.DedupWindow, "dedup", opt.DedupWindow, "dedup window")
	cmd.Flags().IntVar(&opt.RateLimit, "rate-limit", opt.RateLimit, "most new alerts per device per hour")
	return cmd
}

func newAlertsSnoozeCmd(dsn *string) *cobra.Command {
	var site, device, kind, reason string
	var dur time.Duration
	cmd := &cobra.Command{
		Use:   "snooze --db DB --device ID [--kind K] --for DURATION [--reason TEXT]",
		Short: "Silence a device's alerts (of one kind, or all) for a while",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dur <= 0 {
				return fmt.Errorf("--for must be positive")
			}
			d, ts, err := openThreat(cmd.Context(), *dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			now := time.Now().UTC()
			sn := threat.Snooze{ID: fmt.Sprintf("z%d", now.UnixNano()), Site: site, DeviceID: device, Kind: threat.Kind(kind), Until: now.Add(dur), Reason: reason, Created: now}
			if err := ts.AddSnooze(cmd.Context(), sn); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "snoozed %s until %s\n", device, sn.Until.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&site, "site", inventory.DefaultSite, "site")
	cmd.Flags().StringVar(&device, "device", "", "device id (empty: every device of the site)")
	cmd.Flags().StringVar(&kind, "kind", "", "alert kind (empty: every kind)")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	cmd.Flags().DurationVar(&dur, "for", 24*time.Hour, "how long")
	return cmd
}

func newBaselineCmd(g *globalOpts) *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "baseline --db DB DEVICE",
		Short: "Print a device's learned communication baseline (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, ts, err := openThreat(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			b, err := ts.FindBaseline(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(threat.BaselineView{Baseline: b, VolumeRange: b.Volume(threat.DefaultOptions())})
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database (required)")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}
