package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/simulate"
)

func newSimulateCmd(g *globalOpts) *cobra.Command {
	var (
		cfg       simulate.Config
		start     string
		out, tout string
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Write a synthetic hospital network capture (pcap) and its ground truth (JSON)",
		Long: `simulate generates a deterministic, realistic mixed hospital network capture:
DHCP, DNS, mDNS, LLDP/CDP, SNMP, SSDP, NetBIOS, SMB, HTTP, TLS, DICOM and HL7/MLLP
traffic from a catalogue of real device kinds, with moves, software updates,
new services, silences and threat scenarios recorded in the truth file.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || tout == "" {
				return fmt.Errorf("simulate: --out and --truth are required")
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("simulate: --start: %w", err)
				}
				cfg.Start = t
			}
			cfg.Logger = g.logger()
			f, err := os.Create(out)
			if err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
			began := time.Now()
			truth, st, err := simulate.GenerateStats(cmd.Context(), cfg, f)
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("simulate: close %s: %w", out, cerr)
			}
			if err != nil {
				return err
			}
			js, err := json.MarshalIndent(truth, "", "  ")
			if err != nil {
				return fmt.Errorf("simulate: encode truth: %w", err)
			}
			if err := os.WriteFile(tout, append(js, '\n'), 0o644); err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
			el := time.Since(began)
			cfg.Logger.Info("simulate done", "devices", len(truth.Devices), "events", len(truth.Events),
				"packets", st.Packets, "bytes", st.Bytes, "elapsed", el.Round(time.Millisecond),
				"packets_per_sec", int(float64(st.Packets)/el.Seconds()))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Devices, "devices", 60, "number of devices (switches and core servers included, minimum 12); building controllers, one per 30, come on top")
	f.Float64Var(&cfg.Hours, "hours", 1, "simulated duration in hours")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same seed gives the same bytes")
	f.StringVar(&start, "start", "", "capture start time, RFC 3339 (default 2026-03-02T08:00:00Z)")
	f.StringVar(&out, "out", "", "output pcap file")
	f.StringVar(&tout, "truth", "", "output ground-truth JSON file")
	return cmd
}
