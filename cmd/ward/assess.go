package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/report"
	"github.com/wardiomt/ward/internal/assess/sbom"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

func newAssessCmd(g *globalOpts) *cobra.Command {
	var (
		cand              assess.Candidate
		dsn, sbomPath     string
		format, out, site string
		compare           bool
	)
	c := &cobra.Command{
		Use:   "assess --manufacturer M [--model X] [--sbom FILE] [--db DB] [--format md|html|json] [--out FILE] | assess --compare \"M1/X1\" \"M2/X2\" ...",
		Short: "Pre-procurement assessment: a manufacturer's security record, field evidence and SBOM, candidates side by side",
		Long: "Assesses a device before purchase from evidence: the manufacturer's advisories (how many, how severe,\n" +
			"exploited, fixed and how fast), what the same model does in your network (--db with an inventory) and\n" +
			"what its SBOM contains (--sbom, CycloneDX or SPDX 2.3 JSON). --compare takes several \"Manufacturer/Model\"\n" +
			"candidates and puts them side by side. Without --db the feed snapshot bundled in ward is used.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var req assess.Request
			req.Site = site
			switch {
			case compare:
				if len(args) < 2 {
					return fmt.Errorf("--compare needs at least two \"Manufacturer/Model\" candidates")
				}
				if cand.Manufacturer != "" || cand.Model != "" {
					return fmt.Errorf("--compare takes its candidates as arguments, not with --manufacturer/--model")
				}
				for _, a := range args {
					c, err := assess.ParseCandidate(a)
					if err != nil {
						return err
					}
					req.Candidates = append(req.Candidates, c)
				}
			case len(args) > 0:
				return fmt.Errorf("unexpected arguments %q (use --compare for several candidates)", args)
			case strings.TrimSpace(cand.Manufacturer) == "":
				return fmt.Errorf("--manufacturer is required (or --compare \"M1/X1\" \"M2/X2\")")
			default:
				req.Candidates = []assess.Candidate{cand}
			}
			render, err := report.Renderer(format)
			if err != nil {
				return err
			}
			if sbomPath != "" {
				if compare {
					return fmt.Errorf("--sbom describes one product; it cannot be used with --compare")
				}
				f, err := os.Open(sbomPath)
				if err != nil {
					return fmt.Errorf("sbom: %w", err)
				}
				req.SBOM, err = sbom.Parse(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", sbomPath, err)
				}
			}
			log := g.logger()
			deps := assess.Deps{Logger: log}
			var d *db.DB
			if dsn != "" {
				if d, err = db.Open(ctx, dsn); err != nil {
					return err
				}
				defer d.Close()
				inv, err := sqlstore.Open(ctx, d)
				if err != nil {
					return err
				}
				deps.Inventory = inv
				if deps.Risk, err = risk.New(risk.DefaultConfig(), nil); err != nil {
					return err
				}
			}
			p, origin, err := feeds.OpenProvider(ctx, d, log)
			if err != nil {
				return err
			}
			m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
			if err != nil {
				return err
			}
			deps.History, deps.Matcher, deps.Provider = m, m, p
			deps.Feeds = origin.Kind
			if origin.SnapshotDate != "" {
				deps.Feeds += " (bundled snapshot " + origin.SnapshotDate + ")"
			}
			a, err := assess.New(deps)
			if err != nil {
				return err
			}
			rep, err := a.Assess(ctx, req)
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := render(w, rep); err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&cand.Manufacturer, "manufacturer", "", "manufacturer (any spelling; normalized)")
	c.Flags().StringVar(&cand.Model, "model", "", "model or product name")
	c.Flags().StringVar(&sbomPath, "sbom", "", "SBOM of the product: CycloneDX JSON or SPDX 2.3 JSON")
	c.Flags().StringVar(&dsn, "db", "", "Ward database: feeds and inventory (default: bundled feed snapshot, no field evidence)")
	c.Flags().StringVar(&site, "site", "", "inventory site (default: every site)")
	c.Flags().StringVar(&format, "format", "md", "output format: md, html or json")
	c.Flags().StringVar(&out, "out", "", "write the report to this file instead of stdout")
	c.Flags().BoolVar(&compare, "compare", false, "compare the \"Manufacturer/Model\" candidates given as arguments")
	return c
}
