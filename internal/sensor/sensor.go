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
	"os"
	"runtime"
	"sync"
	"sync/atomic"
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
	// PerWorker is each worker's packet count when a live capture ran on
	// several (a lopsided split means a few conversations dominate the link).
	PerWorker []uint64
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
	err = readLive(ctx, src, dec, func() bool { return limit > 0 && res.Stats.Packets >= limit })
	dec.Flush()
	res.Packets = res.Stats.Packets
	res.Duration = time.Since(start)
	if drops, derr := src.Dropped(); derr == nil && drops > 0 {
		res.Dropped = uint64(drops)
		log.Warn("kernel dropped packets", "drops", drops)
	}
	return res, err
}

// readLive feeds dec from src until ctx ends, enough reports true after a
// packet, or reading fails.
func readLive(ctx context.Context, src *capture.Live, dec *decode.Decoder, enough func() bool) error {
	for ctx.Err() == nil {
		pkt, err := src.ReadPacket()
		if errors.Is(err, capture.ErrTimeout) {
			continue
		}
		if err != nil {
			return err
		}
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
		if enough() {
			return nil
		}
	}
	return nil
}

// LiveWorkers is Live on several cores: workers decoders, each reading its
// own socket of one AF_PACKET fanout group. The kernel keeps both
// directions of a conversation (and the fragments of a datagram) on one
// socket, so each decoder sees whole flows, as one decoder would. The
// observations of all workers reach emit one at a time, in the order they
// are made, not in one global packet order; limit counts packets over all
// workers.
func LiveWorkers(ctx context.Context, lc capture.LiveConfig, cfg decode.Config, workers int, limit uint64, emit observe.Emitter, log *slog.Logger) (*Result, error) {
	if workers <= 1 {
		return Live(ctx, lc, cfg, limit, emit, log)
	}
	start := time.Now()
	if lc.FanoutGroup == 0 {
		// Groups are per host: the process id keeps two sensors apart.
		lc.FanoutGroup = uint16(os.Getpid()) | 1
	}
	srcs := make([]*capture.Live, 0, workers)
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	for range workers {
		src, err := capture.OpenLive(lc)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	shared := &lockedEmitter{next: emit}
	decs := make([]*decode.Decoder, len(srcs))
	for i := range decs {
		var err error
		if decs[i], err = NewDecoder(cfg, shared); err != nil {
			return nil, err
		}
	}
	log.Info("capturing (receive-only)", "interface", lc.Interface, "workers", workers, "fanout_group", lc.FanoutGroup)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var total atomic.Uint64
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			errs[i] = readLive(ctx, src, decs[i], func() bool { return limit > 0 && total.Add(1) >= limit })
			cancel() // one worker failing or reaching the limit stops all
		})
	}
	wg.Wait()
	res := &Result{Stats: &decode.Stats{}}
	for i, dec := range decs {
		dec.Flush()
		res.Stats.Add(dec.Stats())
		res.PerWorker = append(res.PerWorker, dec.Stats().Packets)
		if drops, err := srcs[i].Dropped(); err == nil {
			res.Dropped += uint64(drops)
		}
	}
	res.Packets = res.Stats.Packets
	res.Duration = time.Since(start)
	if res.Dropped > 0 {
		log.Warn("kernel dropped packets", "drops", res.Dropped)
	}
	return res, errors.Join(errs...)
}

// lockedEmitter lets parallel decoders share one emitter.
type lockedEmitter struct {
	mu   sync.Mutex
	next observe.Emitter
}

func (l *lockedEmitter) Emit(o *observe.Observation) {
	l.mu.Lock()
	l.next.Emit(o)
	l.mu.Unlock()
}
