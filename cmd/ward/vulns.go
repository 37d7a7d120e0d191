package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/vuln"
)

func newVulnsCmd(g *globalOpts) *cobra.Command {
	var (
		dsn, site string
		asJSON    bool
		all       bool
	)
	c := &cobra.Command{
		Use:   "vulns --db DB [--json]",
		Short: "Match every inventory device against the vulnerability feeds (or the bundled snapshot)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := sqlstore.Open(ctx, d)
			if err != nil {
				return err
			}
			invDevs, _, err := st.ListDevices(ctx, inventory.DeviceFilter{Site: site})
			if err != nil {
				return err
			}
			devs := make([]vuln.Device, 0, len(invDevs))
			for _, id := range invDevs {
				devs = append(devs, vuln.FromInventory(id))
			}
			m, origin, err := feeds.NewMatcher(ctx, d, g.logger())
			if err != nil {
				return err
			}
			fs, err := m.Match(ctx, devs)
			if err != nil {
				return err
			}
			if !all {
				kept := fs[:0]
				for _, f := range fs {
					if f.Status != vuln.NotAffected {
						kept = append(kept, f)
					}
				}
				fs = kept
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if fs == nil {
					fs = []vuln.Finding{}
				}
				return writeJSON(out, fs)
			}
			fmt.Fprintf(out, "%d devices matched against %s data (bundled snapshot %s): %d findings\n", len(devs), origin.Kind, origin.SnapshotDate, len(fs))
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DEVICE\tSTATUS\tCONFIDENCE\tADVISORY\tCVSS\tKEV\tPRODUCT\tRANGE")
			for _, f := range fs {
				kev := ""
				if f.KEV {
					kev = "KEV"
				}
				rng := f.MatchedRange
				if rng == "" && f.Source == vuln.SourceICSAdv {
					rng = "(versions not loaded)" // an advisory-index row: see the reason
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n", f.DeviceID, f.Status, f.Confidence, f.Advisory, f.MaxCVSS(), kev, oneLine(f.Product, 50), oneLine(rng, 30))
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&dsn, "db", "", "database: SQLite file or postgres:// URL (required)")
	c.Flags().StringVar(&site, "site", "", "only devices of this site")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output (finding contract, as ward lookup --json)")
	c.Flags().BoolVar(&all, "all", false, "also list not_affected findings (for VEX)")
	_ = c.MarkFlagRequired("db")
	return c
}
