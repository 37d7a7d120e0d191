package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/feeds/snapshot"
	"github.com/wardiomt/ward/internal/vuln"
)

func newFeedsCmd(g *globalOpts) *cobra.Command {
	c := &cobra.Command{
		Use:   "feeds",
		Short: "Import, inspect and update vulnerability feeds (NVD, CVE 5, CSAF, KEV, EPSS, ICS advisory table)",
	}
	c.AddCommand(newFeedsImportCmd(g), newFeedsStatusCmd(g), newFeedsUpdateCmd(g))
	return c
}

func newFeedsImportCmd(g *globalOpts) *cobra.Command {
	var dsn string
	c := &cobra.Command{
		Use:   "import --db DB PATH...",
		Short: "Import feed files or directories; the format is detected from the content",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			s, err := feeds.NewStore(ctx, d, g.logger())
			if err != nil {
				return err
			}
			var progress feeds.Progress
			errw := cmd.ErrOrStderr()
			if f, ok := errw.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
				progress = func(done, total int, path string) {
					fmt.Fprintf(errw, "\r\033[K[%d/%d] %s", done, total, path)
					if done == total {
						fmt.Fprintln(errw)
					}
				}
			}
			start := time.Now()
			sums, skipped, err := s.ImportPaths(ctx, args, vuln.NewNormalizer(nil), progress)
			if progress != nil && err != nil {
				fmt.Fprintln(errw)
			}
			byFormat := map[feeds.Format][2]int{}
			for _, sm := range sums {
				x := byFormat[sm.Format]
				x[0]++
				x[1] += sm.Records
				byFormat[sm.Format] = x
			}
			out := cmd.OutOrStdout()
			for _, f := range []feeds.Format{feeds.FormatCSAF, feeds.FormatNVD, feeds.FormatCVE5, feeds.FormatICSAdv, feeds.FormatKEV, feeds.FormatEPSS} {
				if x, ok := byFormat[f]; ok {
					fmt.Fprintf(out, "%-6s %5d files %8d records\n", f, x[0], x[1])
				}
			}
			for _, sk := range skipped {
				fmt.Fprintf(out, "skipped (not a feed): %s\n", sk)
			}
			fmt.Fprintf(out, "imported %d files in %s\n", len(sums), time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	c.Flags().StringVar(&dsn, "db", "", "database: SQLite file or postgres:// URL (required)")
	_ = c.MarkFlagRequired("db")
	return c
}

func newFeedsStatusCmd(g *globalOpts) *cobra.Command {
	var (
		dsn    string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "status --db DB",
		Short: "Show what is loaded (counts, dates, import log) and the bundled snapshot's date",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			snap, err := snapshot.Load()
			if err != nil {
				return err
			}
			var st feeds.Status
			if dsn != "" {
				d, err := db.Open(ctx, dsn)
				if err != nil {
					return err
				}
				defer d.Close()
				s, err := feeds.NewStore(ctx, d, g.logger())
				if err != nil {
					return err
				}
				if st, err = s.Status(ctx); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, struct {
					feeds.Status
					SnapshotDate       string `json:"bundled_snapshot_date"`
					SnapshotAdvisories int    `json:"bundled_snapshot_advisories"`
				}{st, snap.Date, len(snap.Advisories)})
			}
			fmt.Fprintf(out, "bundled snapshot: %s (%d advisories, %d KEV, %d EPSS)\n", snap.Date, len(snap.Advisories), len(snap.KEV), len(snap.EPSS))
			if dsn == "" {
				fmt.Fprintln(out, "no --db given: matching uses the bundled snapshot")
				return nil
			}
			total := 0
			for _, n := range st.Advisories {
				total += n
			}
			if total == 0 {
				fmt.Fprintln(out, "database: no feeds loaded (the bundled snapshot will be imported on first use)")
				return nil
			}
			fmt.Fprintf(out, "database: %d CSAF, %d NVD, %d CVE 5 advisories, %d advisory-index rows; %d KEV; %d EPSS; newest advisory update %s\n",
				st.Advisories["csaf"], st.Advisories["nvd"], st.Advisories["cve5"], st.Advisories["icsadv"], st.KEV, st.EPSS, st.LatestUpdate)
			if st.SnapshotUsed != "" {
				fmt.Fprintf(out, "snapshot %s was imported into this database\n", st.SnapshotUsed)
			}
			if len(st.Imports) > 0 {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FORMAT\tRECORDS\tDATASET\tIMPORTED\tPATH")
				perFormat := map[string]int{}
				for _, r := range st.Imports {
					perFormat[r.Format]++
				}
				shown := 0
				for _, r := range st.Imports {
					// Per-file CSAF/NVD rows would be hundreds; show the feeds with a dataset date and a sample.
					if r.DatasetDate == "" && perFormat[r.Format] > 3 {
						continue
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", r.Format, r.Records, r.DatasetDate, r.ImportedAt, r.Path)
					shown++
				}
				for f, n := range perFormat {
					if n > 3 && f != string(feeds.FormatKEV) && f != string(feeds.FormatEPSS) {
						fmt.Fprintf(tw, "%s\t\t\t\t(%d files)\n", f, n)
					}
				}
				tw.Flush()
			}
			return nil
		},
	}
	c.Flags().StringVar(&dsn, "db", "", "database: SQLite file or postgres:// URL")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}

func newFeedsUpdateCmd(g *globalOpts) *cobra.Command {
	var (
		dsn string
		cfg feeds.UpdateConfig
		src string
	)
	c := &cobra.Command{
		Use:   "update --db DB",
		Short: "Download feeds from their official sources (or mirrors) and import them",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			s, err := feeds.NewStore(ctx, d, g.logger())
			if err != nil {
				return err
			}
			if cfg.NVDAPIKey == "" {
				cfg.NVDAPIKey = os.Getenv("NVD_API_KEY")
			}
			cfg.Sources = strings.Split(src, ",")
			sums, err := feeds.Update(ctx, s, cfg, g.logger())
			for _, sm := range sums {
				fmt.Fprintf(cmd.OutOrStdout(), "%-6s %7d records  %s\n", sm.Format, sm.Records, sm.Path)
			}
			return err
		},
	}
	d := feeds.DefaultUpdateConfig()
	c.Flags().StringVar(&dsn, "db", "", "database: SQLite file or postgres:// URL (required)")
	c.Flags().StringVar(&src, "sources", strings.Join(d.Sources, ","), "comma-separated feeds to update (kev, epss, csaf, icsadv, nvd)")
	c.Flags().StringVar(&cfg.NVDBase, "nvd-url", d.NVDBase, "NVD CVE API 2.0 endpoint")
	c.Flags().StringVar(&cfg.NVDAPIKey, "nvd-api-key", "", "NVD API key (default $NVD_API_KEY); raises the rate limit")
	c.Flags().DurationVar(&cfg.NVDInterval, "nvd-interval", 0, "minimum delay between NVD requests (default 6s, 0.6s with an API key)")
	c.Flags().StringVar(&cfg.NVDSince, "nvd-since", "", "only CVEs modified since this date (YYYY-MM-DD); default: since the last update, or everything")
	c.Flags().IntVar(&cfg.NVDPageSize, "nvd-page-size", d.NVDPageSize, "NVD results per page (max 2000)")
	c.Flags().StringVar(&cfg.KEVURL, "kev-url", d.KEVURL, "CISA KEV catalog JSON URL")
	c.Flags().StringVar(&cfg.EPSSURL, "epss-url", d.EPSSURL, "FIRST EPSS scores csv.gz URL")
	c.Flags().StringVar(&cfg.ICSAdvURL, "icsadv-url", d.ICSAdvURL, "ICS Advisory Project's table of CISA advisories (CSV) URL")
	c.Flags().StringSliceVar(&cfg.CSAFProviders, "csaf-provider", d.CSAFProviders, "CSAF provider-metadata.json URL(s)")
	c.Flags().StringVar(&cfg.CSAFMatch, "csaf-match", d.CSAFMatch, "only CSAF documents whose URL matches this regexp")
	_ = c.MarkFlagRequired("db")
	return c
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
