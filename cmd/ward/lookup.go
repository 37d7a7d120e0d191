package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/vuln"
)

func newLookupCmd(g *globalOpts) *cobra.Command {
	var (
		dsn     string
		dev     vuln.Device
		comps   []string
		asJSON  bool
		all     bool
		history bool
	)
	c := &cobra.Command{
		Use:   "lookup --manufacturer M --model X [--version V] [--json]",
		Short: "What affects this product: advisories, CVEs, ranges, scores, KEV, EPSS, remediations",
		Long: "Matches one product description against the loaded feeds (--db) or, without a database,\n" +
			"the snapshot bundled in this binary. Findings whose version lies outside every range are\n" +
			"reported as not_affected only with --all.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if history && strings.TrimSpace(dev.Manufacturer) != "" {
				return lookupHistory(cmd, g, dsn, dev.Manufacturer, asJSON)
			}
			if strings.TrimSpace(dev.Manufacturer) == "" || (strings.TrimSpace(dev.Model) == "" && dev.OS == "" && len(comps) == 0) {
				return fmt.Errorf("--manufacturer and --model (or --os/--component) are required")
			}
			for _, c := range comps {
				name, ver, _ := strings.Cut(c, "@")
				dev.Components = append(dev.Components, vuln.Component{Name: name, Version: ver})
			}
			if dev.ID == "" {
				dev.ID = "lookup"
			}
			var d *db.DB
			if dsn != "" {
				var err error
				if d, err = db.Open(ctx, dsn); err != nil {
					return err
				}
				defer d.Close()
			}
			m, origin, err := feeds.NewMatcher(ctx, d, g.logger())
			if err != nil {
				return err
			}
			fs, err := m.Match(ctx, []vuln.Device{dev})
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
			fmt.Fprintf(out, "data: %s (bundled snapshot %s)\n", origin.Kind, origin.SnapshotDate)
			if len(fs) == 0 {
				fmt.Fprintln(out, "no advisory matches this product")
				return nil
			}
			for _, f := range fs {
				kev := ""
				if f.KEV {
					kev = "  KEV"
				}
				epss := ""
				if f.EPSS != nil {
					epss = fmt.Sprintf("  EPSS %.3f", *f.EPSS)
				}
				fmt.Fprintf(out, "\n%s  %s  [%s, %s]  CVSS %.1f%s%s\n", f.Advisory, f.Title, f.Status, f.Confidence, f.MaxCVSS(), kev, epss)
				fmt.Fprintf(out, "  product: %s   range: %s\n", f.Product, f.MatchedRange)
				fmt.Fprintf(out, "  CVEs: %s\n", strings.Join(f.CVEs, ", "))
				if len(f.CWE) > 0 {
					fmt.Fprintf(out, "  CWE: %s\n", strings.Join(f.CWE, ", "))
				}
				fmt.Fprintf(out, "  why: %s\n", f.Reason)
				for i, r := range f.Remediations {
					if i == 3 {
						fmt.Fprintf(out, "  ... %d more remediations (--json)\n", len(f.Remediations)-3)
						break
					}
					fmt.Fprintf(out, "  %s: %s\n", r.Category, oneLine(r.Text, 160))
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&dsn, "db", "", "database with imported feeds (default: the bundled snapshot)")
	c.Flags().StringVar(&dev.Manufacturer, "manufacturer", "", "manufacturer (any spelling; normalized)")
	c.Flags().StringVar(&dev.Model, "model", "", "model or product name")
	c.Flags().StringVar(&dev.Version, "version", "", "firmware/software version (empty: unknown)")
	c.Flags().StringVar(&dev.OS, "os", "", "operating system, e.g. \"Windows 7 SP1\"")
	c.Flags().StringSliceVar(&comps, "component", nil, "embedded component NAME[@VERSION], repeatable")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output (finding contract)")
	c.Flags().BoolVar(&history, "history", false, "list the manufacturer's advisory history instead (dates, CVEs, CVSS, CWE, remediation categories, KEV)")
	c.Flags().BoolVar(&all, "all", false, "also list advisories whose ranges exclude this version (not_affected)")
	return c
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func lookupHistory(cmd *cobra.Command, g *globalOpts, dsn, manufacturer string, asJSON bool) error {
	ctx := cmd.Context()
	var d *db.DB
	if dsn != "" {
		var err error
		if d, err = db.Open(ctx, dsn); err != nil {
			return err
		}
		defer d.Close()
	}
	m, _, err := feeds.NewMatcher(ctx, d, g.logger())
	if err != nil {
		return err
	}
	h, err := m.History(ctx, manufacturer)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if asJSON {
		if h == nil {
			h = []vuln.HistoryEntry{}
		}
		return writeJSON(out, h)
	}
	for _, e := range h {
		kev := ""
		if len(e.KEVCVEs) > 0 {
			kev = fmt.Sprintf("  KEV %d", len(e.KEVCVEs))
		}
		fmt.Fprintf(out, "%s  %-6s  %-15s CVSS %4.1f  %2d CVEs%s  %s  [%s]\n", e.Published.Format("2006-01-02"), e.Source, e.Advisory,
			e.MaxCVSS, len(e.CVEs), kev, oneLine(e.Title, 60), strings.Join(e.RemediationCategories, ","))
	}
	fmt.Fprintf(out, "%d advisories\n", len(h))
	return nil
}
