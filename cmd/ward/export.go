package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/export"
	"github.com/wardiomt/ward/internal/risk"
)

func newExportCmd(g *globalOpts) *cobra.Command {
	var (
		dsn, format, out, site, riskConfig, publisher, namespace string
		minObs                                                   time.Duration
	)
	names := make([]string, 0, len(export.Formats))
	for _, f := range export.Formats {
		names = append(names, string(f))
	}
	c := &cobra.Command{
		Use:   "export --db DB --format " + strings.Join(names, "|") + " [--out FILE]",
		Short: "Export the inventory (CycloneDX, FHIR, CSV) or the findings as VEX (CycloneDX VEX, CSAF VEX)",
		Long: "cyclonedx: the devices as a CycloneDX 1.6 BOM with firmware, OS and software components.\n" +
			"cyclonedx-vex: the same with one vulnerability per finding and device, analysis from evidence.\n" +
			"csaf-vex: a CSAF 2.0 document (profile csaf_vex) with the devices as products.\n" +
			"fhir, csv: the CMMS formats of `ward cmms export`.\n" +
			"Not-affected statements name their evidence: version outside the affected range, vulnerable\n" +
			"service never seen during --min-observation, or an applied control (ward controls). See docs/export.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := export.ParseFormat(format)
			if err != nil {
				return err
			}
			cfg := risk.DefaultConfig()
			if riskConfig != "" {
				fh, err := os.Open(riskConfig)
				if err != nil {
					return err
				}
				cfg, err = risk.LoadConfig(fh)
				fh.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", riskConfig, err)
				}
			}
			if minObs > 0 {
				cfg.MinObservation = minObs
			}
			ctx := cmd.Context()
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			in, err := export.Load(ctx, d, export.LoadOptions{Site: site, Risk: cfg, Logger: g.logger(), Tool: version,
				InventoryOnly: !f.HasFindings()})
			if err != nil {
				return err
			}
			in.Publisher, in.Namespace = publisher, namespace
			if out == "" || out == "-" {
				w := bufio.NewWriter(cmd.OutOrStdout())
				if err := export.Write(w, f, in); err != nil {
					return err
				}
				return w.Flush()
			}
			// Write beside the target and rename, so a failed export never
			// leaves half a document where a consumer picks it up.
			tmp, err := os.CreateTemp(filepath.Dir(out), ".ward-export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			w := bufio.NewWriter(tmp)
			if err := export.Write(w, f, in); err != nil {
				tmp.Close()
				return err
			}
			if err := w.Flush(); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Chmod(0o644); err != nil { // as os.Create under the usual umask
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return err
			}
			g.logger().Info("exported", "format", f, "devices", len(in.Devices), "findings", len(in.Findings), "file", out)
			return nil
		},
	}
	c.Flags().StringVar(&dsn, "db", "", "database: SQLite file or postgres:// URL (required)")
	c.Flags().StringVar(&format, "format", "", "one of "+strings.Join(names, ", ")+" (required)")
	c.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of standard output")
	c.Flags().StringVar(&site, "site", "", "only this site (default: every site)")
	c.Flags().StringVar(&riskConfig, "risk-config", "", "risk config YAML (min_observation, hub_peers, overrides)")
	c.Flags().DurationVar(&minObs, "min-observation", 0, "how long a service must go unseen to count as absent (default: the config's, 168h)")
	c.Flags().StringVar(&publisher, "publisher", "", "CSAF publisher name (default "+export.DefaultPublisher+")")
	c.Flags().StringVar(&namespace, "namespace", "", "CSAF publisher namespace URL (default "+export.DefaultNamespace+")")
	_ = c.MarkFlagRequired("db")
	_ = c.MarkFlagRequired("format")
	return c
}
