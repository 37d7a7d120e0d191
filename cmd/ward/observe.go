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
	"text/tabwriter"
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
	var stats bool
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
			if stats {
				writeStats(cmd.ErrOrStderr(), res)
			} else {
				warnSnapLength(cmd.ErrOrStderr(), res.Stats)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", format, "output format: jsonl or table")
	cmd.Flags().BoolVar(&stats, "stats", false, "print what was decoded and inspected, per protocol, to standard error at the end")
	decodeFlags(cmd, &cfg)
	return cmd
}

// warnSnapLength says, when a tenth or more of the packets were cut by the
// capture's snap length, that application fields past the cut are lost:
// otherwise the missing fields look like Ward's fault.
func warnSnapLength(w io.Writer, st *decode.Stats) {
	if st != nil && st.Truncated > 0 && st.Truncated*10 >= st.Packets {
		fmt.Fprintf(w, "ward: warning: %d of %d packets were cut by the capture's snap length; application fields past the cut are lost\n", st.Truncated, st.Packets)
	}
}

// writeStats prints what the decoder did: what to look at first when a
// capture yields less than expected (a SPAN session missing a direction,
// a snap length cutting payloads, a dissector rejecting a vendor's
// dialect, kernel drops).
func writeStats(w io.Writer, res *sensor.Result) {
	st := res.Stats
	if st == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "packets\t%d (%d bytes) in %s\n", st.Packets, st.Bytes, res.Duration.Round(time.Millisecond))
	if res.Dropped > 0 {
		fmt.Fprintf(tw, "kernel drops\t%d (the ring overflowed: these packets were never seen)\n", res.Dropped)
	}
	if st.Truncated > 0 {
		fmt.Fprintf(tw, "truncated\t%d packets cut by the capture's snap length (application fields past the cut are lost)\n", st.Truncated)
	}
	if len(res.PerWorker) > 1 {
		fmt.Fprintf(tw, "workers\t%d, packets each: %v\n", len(res.PerWorker), res.PerWorker)
	}
	fmt.Fprintf(tw, "decoding\t%d errors, %d of unknown link types, %d IP fragments dropped, %d frames unwrapped from tunnels\n",
		st.DecodeErrors, st.UnknownLink, st.FragsDropped, st.Decapsulated)
	fmt.Fprintf(tw, "flows\t%d tracked (TCP and UDP), %d expired idle, %d not tracked (table full: --max-flows)\n", st.FlowsCreated, st.FlowsExpired, st.FlowsEvicted)
	fmt.Fprintf(tw, "tcp payload\t%d bytes inspected, %d skipped once their flow had told what it could\n", st.BytesInspected, st.BytesSkipped)
	fmt.Fprintln(tw, "protocol\tcalls\tobservations\terrors\tpanics")
	for _, name := range st.ProtocolNames() {
		p := st.Protocols[name]
		if p.Calls == 0 && p.Observations == 0 && p.Errors == 0 && p.Panics == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", name, p.Calls, p.Observations, p.Errors, p.Panics)
	}
	_ = tw.Flush()
}

func newCaptureCmd(g *globalOpts) *cobra.Command {
	format := "jsonl"
	cfg := decode.DefaultConfig()
	lc := capture.LiveConfig{}
	var filterFile string
	var count uint64
	var dur time.Duration
	var stats bool
	workers := 1
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
			if workers < 1 || workers > maxWorkers {
				return fmt.Errorf("--workers must be 1 to %d, got %d", maxWorkers, workers)
			}
			res, err := sensor.LiveWorkers(ctx, lc, cfg, workers, count, out, g.logger())
			if ferr := out.Close(); ferr != nil && err == nil {
				err = ferr
			}
			if stats && res != nil {
				writeStats(cmd.ErrOrStderr(), res)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&lc.Interface, "interface", "i", "", "interface to listen on (required)")
	cmd.Flags().BoolVar(&lc.Promiscuous, "promiscuous", false, "put the interface in promiscuous mode (TAPs)")
	cmd.Flags().StringVar(&filterFile, "filter", "", "file with a BPF program in `tcpdump -ddd` form")
	cmd.Flags().Uint64Var(&count, "count", 0, "stop after this many packets (0: run until interrupted)")
	cmd.Flags().DurationVar(&dur, "duration", 0, "stop after this long (0: run until interrupted)")
	cmd.Flags().IntVar(&workers, "workers", 1, workersHelp)
	cmd.Flags().StringVar(&format, "format", format, "output format: jsonl or table")
	cmd.Flags().BoolVar(&stats, "stats", false, "print what was decoded and inspected, per protocol, to standard error at the end")
	_ = cmd.MarkFlagRequired("interface")
	decodeFlags(cmd, &cfg)
	return cmd
}

// maxWorkers bounds --workers (a fanout group holds up to 256 sockets; a
// sensor has far fewer cores).
const maxWorkers = 64

// workersHelp describes --workers of capture and sensor.
const workersHelp = "decoders on as many cores: the kernel spreads conversations over them whole (AF_PACKET fanout by a symmetric flow hash); lines from different workers interleave"
