package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/uplink"
)

func newSensorCmd(g *globalOpts) *cobra.Command {
	var (
		reads          []string
		server, token  string
		spoolDir, name string
		site           string
		batch          int
		maxBatches     int
		maxBytes       int64
		flush          time.Duration
	)
	lc := capture.LiveConfig{}
	workers := 1
	cfg := decode.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "sensor (--interface IF | --read FILE...) --server URL --token TOKEN [--spool DIR]",
		Short: "Remote sensor: capture and dissect locally, ship observation batches to a Ward server",
		Long: `Dissects a live interface (receive-only) or capture files locally and uploads the
observations in gzip JSON batches with unique ids. Every batch is first written durably to the
spool directory and deleted only once the server acknowledged it, so outages and restarts lose
nothing; past the spool bound the oldest batches are dropped, counted and reported to the
server. With --read the command exits when everything was delivered.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := g.logger()
			if (lc.Interface == "") == (len(reads) == 0) {
				return errors.New("give exactly one of --interface or --read")
			}
			if token == "" {
				token = os.Getenv("WARD_TOKEN")
			}
			if token == "" {
				return errors.New("--token (or WARD_TOKEN) is required")
			}
			if name == "" {
				name = sensorName(os.Hostname())
			}
			if !auth.ValidID(name) {
				return fmt.Errorf("--name %q: use 1-64 letters, digits, '.', '_' or '-'", name)
			}
			if spoolDir == "" {
				base, err := os.UserCacheDir()
				if err != nil {
					return fmt.Errorf("--spool: %w", err)
				}
				spoolDir = filepath.Join(base, "ward", "spool-"+name)
			}
			sp, err := uplink.OpenSpool(spoolDir, maxBatches, maxBytes, log)
			if err != nil {
				return err
			}
			defer sp.Close()
			if n, _ := sp.Len(); n > 0 {
				log.Info("resuming spooled batches", "backlog", n, "spool", spoolDir)
			}
			c, err := uplink.New(uplink.Config{Server: server, Token: token, Sensor: name, Site: site, Spool: sp,
				BatchSize: batch, FlushInterval: flush, Logger: log})
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			report := func() {
				st := c.Stats()
				fmt.Fprintf(out, "batches: %d spooled, %d sent (%d already applied), %d rejected, %d still spooled, %d dropped from a full spool\n",
					st.Spooled, st.Sent, st.Duplicates, st.Rejected, st.Backlog, st.Dropped)
			}
			if len(reads) > 0 {
				res, err := sensor.ReadFiles(ctx, reads, cfg, c, log)
				if err != nil {
					return err
				}
				derr := c.Drain(ctx)
				fmt.Fprintf(out, "packets: %d\n", res.Packets)
				report()
				if derr != nil {
					return derr
				}
				if len(res.Errors) > 0 {
					return fmt.Errorf("%d file(s) damaged or unreadable (kept what was read): %w", len(res.Errors), errors.Join(res.Errors...))
				}
				return c.Err()
			}
			if workers < 1 || workers > maxWorkers {
				return fmt.Errorf("--workers must be 1 to %d, got %d", maxWorkers, workers)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(rctx) }()
			_, lerr := sensor.LiveWorkers(ctx, lc, cfg, workers, 0, c, log)
			cancel()
			<-done
			// Spool what is buffered and try briefly to deliver; the rest waits
			// in the spool for the next start.
			fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer fcancel()
			_ = c.Drain(fctx)
			report()
			if lerr != nil && !errors.Is(lerr, context.Canceled) {
				return lerr
			}
			return c.Err()
		},
	}
	cmd.Flags().StringVarP(&lc.Interface, "interface", "i", "", "interface to listen on")
	cmd.Flags().BoolVar(&lc.Promiscuous, "promiscuous", false, "put the interface in promiscuous mode (TAPs)")
	cmd.Flags().IntVar(&workers, "workers", 1, workersHelp)
	cmd.Flags().StringSliceVar(&reads, "read", nil, "capture files to read instead of an interface (repeatable)")
	cmd.Flags().StringVar(&server, "server", "", "Ward server URL, e.g. https://ward.example:8080 (required)")
	cmd.Flags().StringVar(&token, "token", "", "sensor API token (default $WARD_TOKEN)")
	cmd.Flags().StringVar(&site, "site", "", "site to upload for (default: the token's site)")
	cmd.Flags().StringVar(&name, "name", "", "sensor name shown on the server (default: host name)")
	cmd.Flags().StringVar(&spoolDir, "spool", "", "spool directory (default: user cache dir/ward/spool-NAME)")
	cmd.Flags().IntVar(&batch, "batch", 2000, "observations per batch")
	cmd.Flags().DurationVar(&flush, "flush", 5*time.Second, "send a partial batch after this long")
	cmd.Flags().IntVar(&maxBatches, "spool-max-batches", 20000, "spool bound in batches (0: bound by bytes only)")
	cmd.Flags().Int64Var(&maxBytes, "spool-max-bytes", 2<<30, "spool bound in bytes (0: bound by batches only)")
	decodeFlags(cmd, &cfg)
	_ = cmd.MarkFlagRequired("server")
	return cmd
}

// sensorName derives a valid sensor name from the host name.
func sensorName(host string, err error) string {
	if err != nil {
		return "sensor"
	}
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	s := strings.TrimLeft(string(b), "._-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return "sensor"
	}
	return s
}
