package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// claimWriter prints the claims each observation supports.
type claimWriter struct {
	e      *fingerprint.Engine
	w      io.Writer
	format string
	enc    *json.Encoder
	buf    []fingerprint.Claim
	n      int
}

type claimLine struct {
	Time   string `json:"time"`
	SrcIP  string `json:"src_ip,omitempty"`
	SrcMAC string `json:"src_mac,omitempty"`
	fingerprint.Claim
}

func (cw *claimWriter) Emit(o *observe.Observation) {
	cw.buf = cw.e.Claims(o, cw.buf[:0])
	for _, c := range cw.buf {
		cw.n++
		src := ""
		if o.SrcIP.IsValid() {
			src = o.SrcIP.String()
		}
		if cw.format == "jsonl" {
			_ = cw.enc.Encode(claimLine{Time: o.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), SrcIP: src, SrcMAC: o.SrcMAC.String(), Claim: c})
			continue
		}
		if src == "" {
			src = o.SrcMAC.String()
		}
		note := ""
		if c.Note != "" {
			note = " [" + c.Note + "]"
		}
		fmt.Fprintf(cw.w, "%s\t%s\t%s\t%.2f\t%s%s\t%s=%s\n", src, c.Attribute, c.Value, c.Confidence, c.Rule, note, c.Field, truncate(c.Observed, 60))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func newFingerprintCmd(g *globalOpts) *cobra.Command {
	var opts fingerprint.Options
	format := "table"
	cfg := decode.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "fingerprint FILE...",
		Short: "Print the identity claims the fingerprint rules draw from captures or observation files",
		Long: `Reads capture files (pcap, pcapng, .gz) or JSON Lines observations (*.jsonl, or - for stdin)
and prints every claim the rules make: attribute, value, confidence, rule and evidence.
Rules are the embedded defaults plus --rules DIR; --p0f imports a p0f.fp database
(default /etc/p0f/p0f.fp when present, '-' for none). Claims are per observation:
combining them per device is the inventory's job.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "jsonl" {
				return fmt.Errorf("unknown --format %q (want table or jsonl)", format)
			}
			opts.Logger = g.logger()
			e, err := fingerprint.New(opts)
			if err != nil {
				return err
			}
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
			var w io.Writer = out
			var tw *tabwriter.Writer
			if format == "table" {
				tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				w = tw
				fmt.Fprintln(tw, "SOURCE\tATTRIBUTE\tVALUE\tCONF\tRULE\tEVIDENCE")
			}
			cw := &claimWriter{e: e, w: w, format: format, enc: json.NewEncoder(w)}
			cw.enc.SetEscapeHTML(false)
			var pcaps []string
			for _, a := range args {
				if a == "-" || strings.HasSuffix(a, ".jsonl") || strings.HasSuffix(a, ".json") {
					if err := readObservations(cmd.InOrStdin(), a, cw); err != nil {
						return err
					}
					continue
				}
				pcaps = append(pcaps, a)
			}
			if len(pcaps) > 0 {
				res, err := sensor.ReadFiles(cmd.Context(), pcaps, cfg, cw, opts.Logger)
				if res != nil {
					for _, e := range res.Errors {
						fmt.Fprintln(cmd.ErrOrStderr(), "ward: warning:", e)
					}
				}
				if err != nil {
					return err
				}
			}
			if tw != nil {
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			opts.Logger.Debug("done", "claims", cw.n, "rules", e.RuleCount(), "tcp_signatures", e.TCPSignatureCount())
			return out.Flush()
		},
	}
	cmd.Flags().StringVar(&opts.UserDir, "rules", "", "directory of site rule files (*.yaml) added to or overriding the defaults by id")
	cmd.Flags().StringVar(&opts.P0FPath, "p0f", "", "p0f.fp database to import ('-' for none; default /etc/p0f/p0f.fp if present)")
	cmd.Flags().StringVar(&format, "format", format, "output format: table or jsonl")
	decodeFlags(cmd, &cfg)
	return cmd
}

func readObservations(stdin io.Reader, name string, cw *claimWriter) error {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var o observe.Observation
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		cw.Emit(&o)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
