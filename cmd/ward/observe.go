package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// obsWriter prints observations as JSON Lines or a table.
type obsWriter struct {
	w      *bufio.Writer
	format string
	buf    []byte
	err    error
}

func newObsWriter(w io.Writer, format string) (*obsWriter, error) {
	if format != "jsonl" && format != "table" {
		return nil, fmt.Errorf("unknown --format %q (want jsonl or table)", format)
	}
	return &obsWriter{w: bufio.NewWriterSize(w, 1<<20), format: format}, nil
}

func (ow *obsWriter) Emit(o *observe.Observation) {
	if ow.err != nil {
		return
	}
	if ow.format == "jsonl" {
		// Encode straight into the writer's free space: no second copy.
		if ow.w.Available() < 4096 {
			ow.err = ow.w.Flush()
		}
		ow.buf = append(o.AppendJSON(ow.w.AvailableBuffer()), '\n')
		_, ow.err = ow.w.Write(ow.buf)
		return
	}
	src := o.SrcIP.String()
	if !o.SrcIP.IsValid() {
		src = o.SrcMAC.String()
	}
	keys := make([]string, 0, len(o.Fields))
	for _, f := range o.Fields {
		keys = append(keys, f.Key+"="+f.Value)
	}
	sort.Strings(keys)
	_, ow.err = fmt.Fprintf(ow.w, "%s  %-8s %-39s %s\n", o.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), o.Protocol, src, strings.Join(keys, "  "))
}

func (ow *obsWriter) Flush() error {
	if ow.err != nil {
		return ow.err
	}
	return ow.w.Flush()
}

func decodeFlags(cmd *cobra.Command, cfg *decode.Config) {
	cmd.Flags().IntVar(&cfg.MaxBytesPerDirection, "max-bytes-per-direction", cfg.MaxBytesPerDirection, "stop inspecting a TCP flow direction after this many payload bytes")
	cmd.Flags().IntVar(&cfg.MaxFlows, "max-flows", cfg.MaxFlows, "TCP flows tracked at once")
	cmd.Flags().DurationVar(&cfg.FlowIdle, "flow-idle", cfg.FlowIdle, "forget a TCP flow after this long without packets")
}

func newObserveCmd(g *globalOpts) *cobra.Command {
	format := "jsonl"
	cfg := decode.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "observe FILE...",
		Short: "Print the observations heard in capture files (pcap, pcapng, .gz)",
		Long: `Reads capture files merged in timestamp order and prints one observation per line.
A damaged file is reported with its byte offset; what was read before the damage is kept.
Exits non-zero only when nothing could be read.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ow, err := newObsWriter(cmd.OutOrStdout(), format)
			if err != nil {
				return err
			}
			log := g.logger()
			// With a second core, encoding and writing run on it while this
			// one decodes; on one core that would only add copying.
			var out observe.Emitter = ow
			closeOut := ow.Flush
			if runtime.GOMAXPROCS(0) > 1 {
				a := observe.NewAsync(ow, ow.Flush, observe.AsyncConfig{})
				out, closeOut = a, a.Close
			}
			res, err := sensor.ReadFiles(cmd.Context(), args, cfg, out, log)
			if ferr := closeOut(); ferr != nil && err == nil {
				err = ferr
			}
			if res != nil {
				for _, e := range res.Errors {
					fmt.Fprintln(cmd.ErrOrStderr(), "ward: warning:", e)
				}
			}
			if err != nil {
				return err
			}
			log.Debug("done", "files", res.Files, "packets", res.Packets, "took", res.Duration.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", format, "output format: jsonl or table")
	decodeFlags(cmd, &cfg)
	return cmd
}

func newCaptureCmd(g *globalOpts) *cobra.Command {
	format := "jsonl"
	cfg := decode.DefaultConfig()
	lc := capture.LiveConfig{}
	var filterFile string
	var count uint64
	var dur time.Duration
	cmd := &cobra.Command{
		Use:   "capture --interface IF",
		Short: "Listen on a SPAN/TAP interface (receive-only) and print observations",
		Long: `Captures from a network interface through an AF_PACKET ring and prints observations.
Ward never transmits: the capture socket is used for receiving only.
--filter takes a file holding a classic BPF program as printed by 'tcpdump -ddd EXPR'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ow, err := newObsWriter(cmd.OutOrStdout(), format)
			if err != nil {
				return err
			}
			if filterFile != "" {
				b, err := os.ReadFile(filterFile)
				if err != nil {
					return err
				}
				lc.Filter = string(b)
			}
			ctx := cmd.Context()
			if dur > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, dur)
				defer cancel()
			}
			// The writer is flushed whenever it catches up, so lines appear
			// as they are heard (within AsyncConfig.Linger) on a quiet link.
			out := observe.NewAsync(ow, ow.Flush, observe.AsyncConfig{})
			_, err = sensor.Live(ctx, lc, cfg, count, out, g.logger())
			if ferr := out.Close(); ferr != nil && err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&lc.Interface, "interface", "i", "", "interface to listen on (required)")
	cmd.Flags().BoolVar(&lc.Promiscuous, "promiscuous", false, "put the interface in promiscuous mode (TAPs)")
	cmd.Flags().StringVar(&filterFile, "filter", "", "file with a BPF program in `tcpdump -ddd` form")
	cmd.Flags().Uint64Var(&count, "count", 0, "stop after this many packets (0: run until interrupted)")
	cmd.Flags().DurationVar(&dur, "duration", 0, "stop after this long (0: run until interrupted)")
	cmd.Flags().StringVar(&format, "format", format, "output format: jsonl or table")
	_ = cmd.MarkFlagRequired("interface")
	decodeFlags(cmd, &cfg)
	return cmd
}
