package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/cmms/fhir"
	"github.com/wardiomt/ward/internal/cmms/reconcile"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
)

func newCmmsCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cmms",
		Short: "CMMS integration: push inventory changes, list and retry deliveries, reconcile the asset list",
	}
	cmd.AddCommand(newCmmsReconcileCmd(g), newCmmsDeliverCmd(g), newCmmsOutboxCmd(g), newCmmsRetryCmd(g), newCmmsExportCmd(g))
	return cmd
}

// cmmsEnv is an open database with the inventory and the outbox.
type cmmsEnv struct {
	d   *db.DB
	inv *inventory.Service
	ob  *cmms.Outbox
	cfg cmms.Config
}

func openCmms(ctx context.Context, dsn, config string, log *slog.Logger, withConnectors bool) (*cmmsEnv, error) {
	cfg, err := cmms.LoadConfigFile(config)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, d)
	if err != nil {
		d.Close()
		return nil, err
	}
	opt := inventory.DefaultOptions()
	opt.Logger = log
	svc, err := inventory.New(st, nil, opt)
	if err != nil {
		d.Close()
		return nil, err
	}
	var conns []cmms.Connector
	if withConnectors {
		conns = cmms.NewConnectors(cfg, &http.Client{Timeout: cfg.Outbox.Timeout})
	}
	ob, err := cmms.Open(ctx, d, st, cmms.Options{Config: cfg, Connectors: conns, Logger: log})
	if err != nil {
		d.Close()
		return nil, err
	}
	return &cmmsEnv{d: d, inv: svc, ob: ob, cfg: cfg}, nil
}

func newCmmsReconcileCmd(g *globalOpts) *cobra.Command {
	var dsn, site string
	var asJSON, asCSV, link bool
	var maps []string
	cmd := &cobra.Command{
		Use:   "reconcile --db DB FILE [--json|--csv]",
		Short: "Compare a CMMS asset export (CSV or FHIR Bundle) with the devices on the network",
		Long: `Reads the CMMS asset list (CSV with the usual headings such as "Asset Tag", "Serial Number",
"MAC Address", "Model", "Software Version", "Location", "IP Address" recognised; --map overrides; or a
FHIR Bundle of Devices) and reports matched assets with mismatched fields and suggested updates,
unmanaged devices (on the network, not in the CMMS) and ghost assets (in the CMMS, never seen).
Matching tries serial, MAC, asset tag, IP+model, then serials one character apart when another
field corroborates. FILE "-" reads standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && asCSV {
				return errors.New("--json and --csv are exclusive")
			}
			m := reconcile.Mapping{}
			for _, s := range maps {
				f, h, ok := strings.Cut(s, "=")
				if !ok {
					return fmt.Errorf("--map %q: want field=Heading", s)
				}
				m[f] = h
			}
			ctx := cmd.Context()
			env, err := openCmms(ctx, dsn, "", g.logger(), false)
			if err != nil {
				return err
			}
			defer env.d.Close()
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			if !cmd.Flags().Changed("site") {
				site = ""
			}
			vendors := canon.NewTable(nil)
			rep, err := cmms.Reconcile(ctx, env.inv, env.ob, site, in, m, vendors.Manufacturer)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if link {
				if err := cmms.SaveLinks(ctx, env.ob, rep); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			case asCSV:
				return rep.WriteCSV(out)
			}
			return rep.WriteText(out)
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&site, "site", inventory.DefaultSite, "only devices of this site (default: every site)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON report")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "CSV report, one row per decision")
	cmd.Flags().BoolVar(&link, "link", false, "save matched asset tags so later CMMS deliveries carry them")
	cmd.Flags().StringArrayVar(&maps, "map", nil, "column mapping field=Heading (fields: asset_tag, serial, mac, ip, manufacturer, model, version, location, type)")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}

func newCmmsDeliverCmd(g *globalOpts) *cobra.Command {
	var dsn, config string
	var watch bool
	cmd := &cobra.Command{
		Use:   "deliver --db DB --config FILE [--watch]",
		Short: "Queue new change events for the configured connectors and deliver them (once, or continuously)",
		Long: `Feeds the outbox from the inventory's change events (each event becomes one delivery per
interested connector, exactly once) and sends what is due. Without --watch it keeps sending until
nothing is due now (deliveries waiting for a backoff stay queued); with --watch it runs until
interrupted, polling every cmms.outbox.interval.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := g.logger()
			env, err := openCmms(ctx, dsn, config, log, true)
			if err != nil {
				return err
			}
			defer env.d.Close()
			if len(env.cfg.Connectors) == 0 {
				return errors.New("no connectors configured (cmms.connectors in --config)")
			}
			if watch {
				return env.ob.Run(ctx)
			}
			queued, err := env.ob.Feed(ctx)
			if err != nil {
				return err
			}
			var sent, failed int
			for {
				s, f, err := env.ob.RunOnce(ctx)
				sent, failed = sent+s, failed+f
				if err != nil {
					return err
				}
				if s == 0 {
					break
				}
			}
			pending, err := env.ob.Pending(ctx)
			if err != nil {
				return err
			}
			dead, err := env.ob.List(ctx, cmms.Filter{Status: cmms.StatusDead, Limit: 10000})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "queued %d, delivered %d, failed attempts %d, pending %d, dead letters %d\n", queued, sent, failed, pending, len(dead))
			return nil
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&config, "config", "", "Ward config file with the cmms: section (required)")
	cmd.Flags().BoolVar(&watch, "watch", false, "run continuously until interrupted")
	_ = cmd.MarkFlagRequired("db")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func newCmmsOutboxCmd(g *globalOpts) *cobra.Command {
	var dsn string
	var f cmms.Filter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "outbox --db DB [--status pending|delivered|dead] [--json]",
		Short: "List CMMS deliveries and dead letters, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			env, err := openCmms(ctx, dsn, "", g.logger(), false)
			if err != nil {
				return err
			}
			defer env.d.Close()
			ds, err := env.ob.List(ctx, f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(ds)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCONNECTOR\tDEVICE\tEVENT\tTYPE\tSTATUS\tATTEMPTS\tNEXT\tLAST ERROR")
			for _, d := range ds {
				next := "-"
				if d.Status == cmms.StatusPending {
					next = d.NextAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Connector, d.DeviceID, d.EventID, d.EventType, d.Status, d.Attempts, next, orDash(d.LastError))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&f.Status, "status", "", "only pending, delivered or dead")
	cmd.Flags().StringVar(&f.Connector, "connector", "", "only this connector")
	cmd.Flags().StringVar(&f.DeviceID, "device", "", "only this device")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}

func newCmmsRetryCmd(g *globalOpts) *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "retry --db DB ID...",
		Short: "Send dead-lettered (or waiting) deliveries again on the next deliver run",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env, err := openCmms(ctx, dsn, "", g.logger(), false)
			if err != nil {
				return err
			}
			defer env.d.Close()
			var errs []error
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					errs = append(errs, fmt.Errorf("bad id %q", a))
					continue
				}
				if err := env.ob.Retry(ctx, id); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "delivery %d queued for retry\n", id)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}

func newCmmsExportCmd(g *globalOpts) *cobra.Command {
	var dsn, format, output, site string
	cmd := &cobra.Command{
		Use:   "export --db DB --format csv|fhir [-o FILE]",
		Short: "Export the whole inventory for a CMMS import: CSV columns or a FHIR R4 Bundle of Devices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			env, err := openCmms(ctx, dsn, "", g.logger(), false)
			if err != nil {
				return err
			}
			defer env.d.Close()
			if !cmd.Flags().Changed("site") {
				site = ""
			}
			devs, _, err := env.inv.Devices(ctx, inventory.DeviceFilter{Site: site, Sort: "id"})
			if err != nil {
				return err
			}
			recs := make([]cmms.Record, 0, len(devs))
			for _, d := range devs {
				tag, err := env.ob.AssetTag(ctx, d.Site, d.ID)
				if err != nil {
					return err
				}
				recs = append(recs, cmms.NewRecord(d, tag))
			}
			out := cmd.OutOrStdout()
			if output != "" && output != "-" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			switch format {
			case "csv":
				return cmms.WriteCSV(out, recs, nil)
			case "fhir":
				fd := make([]fhir.Device, 0, len(recs))
				for _, r := range recs {
					fd = append(fd, fhir.NewDevice(cmms.FHIRInfo(r, "")))
				}
				b, err := fhir.CollectionBundle(fd, time.Now())
				if err != nil {
					return err
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", " ")
				return enc.Encode(b)
			}
			return fmt.Errorf("--format %q: want csv or fhir", format)
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or fhir")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().StringVar(&site, "site", inventory.DefaultSite, "only devices of this site (default: every site)")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}
