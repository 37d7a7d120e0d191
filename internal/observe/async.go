package observe

import (
	"net"
	"sync"
	"time"
)

// Async hands observations to a sink on a goroutine of its own, in the
// order they were emitted, so that encoding and writing them runs on a
// second core while the first decodes. Emit copies the observation into a
// batch (dissectors reuse their buffers once Emit returns); a full batch
// goes to the sink goroutine at once, a partial one after Linger, so a live
// sensor on a quiet network still prints promptly: idle (a writer's flush)
// runs once per Linger period and at Close.
//
// Emit and Close are for one producer goroutine. The sink and the idle
// function run only on Async's goroutine until Close returns.
type Async struct {
	sink Emitter
	idle func() error // runs once per linger period and at Close (e.g. flush a writer)

	mu   sync.Mutex // guards cur against the linger timer's hand-off
	cur  *batch
	full chan *batch
	free chan *batch
	stop chan struct{}
	done chan struct{}
	err  error // the first error idle returned

	closeOnce sync.Once
}

// AsyncConfig bounds an Async. Zero values take the defaults.
type AsyncConfig struct {
	Batch   int           // observations per batch (default 256)
	Batches int           // batches in flight before Emit waits for the sink (default 4)
	Linger  time.Duration // longest a partial batch waits (default 200 ms)
}

type batch struct {
	obs    []Observation
	fields []Field
	macs   []byte
}

// NewAsync starts the sink goroutine. idle may be nil; its first error is
// returned by Close, and the sink's later observations are still delivered.
func NewAsync(sink Emitter, idle func() error, cfg AsyncConfig) *Async {
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Batches <= 1 {
		cfg.Batches = 4
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 200 * time.Millisecond
	}
	a := &Async{
		sink: sink,
		idle: idle,
		full: make(chan *batch, cfg.Batches),
		free: make(chan *batch, cfg.Batches),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	a.cur = &batch{obs: make([]Observation, 0, cfg.Batch)}
	for i := 1; i < cfg.Batches; i++ {
		a.free <- &batch{obs: make([]Observation, 0, cfg.Batch)}
	}
	go a.run(cfg.Linger)
	return a
}

// Emit copies o into the current batch.
func (a *Async) Emit(o *Observation) {
	a.mu.Lock()
	b := a.cur
	c := *o
	c.SrcMAC = b.mac(o.SrcMAC)
	c.DstMAC = b.mac(o.DstMAC)
	start := len(b.fields)
	b.fields = append(b.fields, o.Fields...)
	c.Fields = b.fields[start:len(b.fields):len(b.fields)]
	b.obs = append(b.obs, c)
	if len(b.obs) == cap(b.obs) {
		a.full <- b      // has room: it holds every batch
		a.cur = <-a.free // waits while the sink is Batches behind: back-pressure, not memory
	}
	a.mu.Unlock()
}

// mac copies m into the batch. Earlier copies stay valid when the arena
// grows: they keep the old array, which is never written again.
func (b *batch) mac(m net.HardwareAddr) net.HardwareAddr {
	if m == nil {
		return nil
	}
	start := len(b.macs)
	b.macs = append(b.macs, m...)
	return b.macs[start:len(b.macs):len(b.macs)]
}

// Close delivers what is left, stops the goroutine and returns the first
// error idle returned. Later calls return the same.
func (a *Async) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		if len(a.cur.obs) > 0 {
			a.full <- a.cur
			a.cur = &batch{}
		}
		a.mu.Unlock()
		close(a.stop)
	})
	<-a.done
	return a.err
}

func (a *Async) run(linger time.Duration) {
	defer close(a.done)
	t := time.NewTicker(linger)
	defer t.Stop()
	for {
		select {
		case b := <-a.full:
			a.deliver(b)
		case <-t.C:
			// Once per linger period: hand over a waiting partial batch,
			// deliver what is queued, and let the sink flush. Flushing
			// after every batch instead would cost a write per batch.
			a.handOff()
			for drained := false; !drained; {
				select {
				case b := <-a.full:
					a.deliver(b)
				default:
					drained = true
				}
			}
			a.caughtUp()
		case <-a.stop:
			// Close queued the last batch before stop; drain in order.
			for {
				select {
				case b := <-a.full:
					a.deliver(b)
				default:
					a.caughtUp()
					return
				}
			}
		}
	}
}

func (a *Async) deliver(b *batch) {
	for i := range b.obs {
		a.sink.Emit(&b.obs[i])
	}
	b.obs, b.fields, b.macs = b.obs[:0], b.fields[:0], b.macs[:0]
	select {
	case a.free <- b:
	default: // Close's replacement batch: let it go
	}
}

func (a *Async) caughtUp() {
	if a.idle == nil {
		return
	}
	if err := a.idle(); err != nil && a.err == nil {
		a.err = err
	}
}

// handOff queues a partial batch that has waited a whole linger period.
// TryLock: the producer may hold the lock while it waits for a free batch,
// which only this goroutine can give back.
func (a *Async) handOff() {
	if len(a.full) > 0 || !a.mu.TryLock() {
		return
	}
	defer a.mu.Unlock()
	if len(a.cur.obs) == 0 {
		return
	}
	select {
	case nb := <-a.free:
		a.full <- a.cur
		a.cur = nb
	default:
	}
}
