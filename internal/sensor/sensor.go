// Package sensor wires capture -> decode -> dissectors and hands the
// observations to an emitter. It is the runtime of `ward observe`,
// `ward capture`, `ward ingest` and the remote sensor.
package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissectors"
	"github.com/wardiomt/ward/internal/observe"
)

// Result summarises a run.
type Result struct {
	Files    int     // files opened
	Packets  uint64  // packets decoded
	Errors   []error // one per damaged or unreadable file, in order
	Stats    *decode.Stats
	Duration time.Duration
	Dropped  uint64 // live capture: packets the kernel dropped (ring full)
}

// NewDecoder builds a decoder with the default dissectors.
func NewDecoder(cfg decode.Config, emit observe.Emitter) (*decode.Decoder, error) {
	return decode.New(cfg, decode.Split(dissectors.Default()...), emit)
}

// ReadFiles decodes capture files merged in timestamp order. Damage in a
// file ends that file only: what was read before it is kept, and the error
// names the file and byte offset. It fails only when no packet could be read.
func ReadFiles(ctx context.Context, paths []string, cfg decode.Config, emit observe.Emitter, log *slog.Logger) (*Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	res := &Result{}
	var srcs []capture.Source
	for _, p := range paths {
		f, err := capture.OpenFile(p)
		if err != nil {
			res.Errors = append(res.Errors, err)
			log.Debug("cannot read capture", "file", p, "err", err) // the caller reports res.Errors
			continue
		}
		res.Files++
		srcs = append(srcs, f)
	}
	dec, err := NewDecoder(cfg, emit)
	if err != nil {
		return nil, err
	}
	res.Stats = dec.Stats()
	m := capture.NewMerge(srcs, func(err error) {
		res.Errors = append(res.Errors, err)
		log.Debug("capture damaged; keeping what was read before", "err", err)
	})
	// With a second core, reading runs a few batches ahead on it. Merge's
	// callback appends to res.Errors there: before the batch that ends the
	// input is handed over (so complete at io.EOF), and the deferred Close
	// joins the goroutine on the early returns. On one core prefetching
	// would only add copying.
	var src capture.Source = m
	if runtime.GOMAXPROCS(0) > 1 {
		src = capture.NewPrefetch(m)
	}
	defer src.Close()
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		pkt, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, err
		}
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	dec.Flush()
	res.Packets = res.Stats.Packets
	res.Duration = time.Since(start)
	if res.Packets == 0 && len(res.Errors) > 0 {
		return res, fmt.Errorf("%w: %w", capture.ErrNoPackets, errors.Join(res.Errors...))
	}
	return res, nil
}

// Live decodes frames from an interface until ctx ends or limit packets
// (0: no limit) were read.
func Live(ctx context.Context, lc capture.LiveConfig, cfg decode.Config, limit uint64, emit observe.Emitter, log *slog.Logger) (*Result, error) {
	start := time.Now()
	src, err := capture.OpenLive(lc)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dec, err := NewDecoder(cfg, emit)
	if err != nil {
		return nil, err
	}
	res := &Result{Stats: dec.Stats()}
	log.Info("capturing (receive-only)", "interface", lc.Interface)
	for ctx.Err() == nil {
		pkt, err := src.ReadPacket()
		if errors.Is(err, capture.ErrTimeout) {
			continue
		}
		if err != nil {
			return res, err
		}
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
		if limit > 0 && res.Stats.Packets >= limit {
			break
		}
	}
	dec.Flush()
	res.Packets = res.Stats.Packets
	res.Duration = time.Since(start)
	if drops, err := src.Dropped(); err == nil && drops > 0 {
		res.Dropped = uint64(drops)
		log.Warn("kernel dropped packets", "drops", drops)
	}
	return res, nil
}
