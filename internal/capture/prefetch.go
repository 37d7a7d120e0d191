package capture

import (
	"errors"
	"sync"
)

// Prefetch reads a Source on a goroutine of its own, a few batches ahead of
// the caller, so that reading a file (system calls, record framing) runs on
// another core than decoding. Each packet is copied into its batch; as with
// any Source, Data is valid until the next ReadPacket.
//
// ReadPacket and Close are for one goroutine. The wrapped Source is only
// touched by the prefetching goroutine until Close returns, which includes
// any callback it makes (Merge's onErr).
type Prefetch struct {
	src  Source
	full chan *packetBatch
	free chan *packetBatch
	stop chan struct{}
	done chan struct{}
	cur  *packetBatch
	next int

	closeOnce sync.Once
	closeErr  error
}

type packetBatch struct {
	pkts []Packet
	data []byte
	err  error // how the source ended after pkts (io.EOF, damage); nil: more follows
}

// Batch bounds: a batch is handed over at 256 packets or 256 KiB of frame
// bytes, whichever comes first; four are in flight.
const (
	prefetchPackets = 256
	prefetchBytes   = 256 << 10
	prefetchBatches = 4
)

// ErrClosed is returned by a Prefetch's ReadPacket after Close.
var ErrClosed = errors.New("capture source closed")

// NewPrefetch starts reading src.
func NewPrefetch(src Source) *Prefetch {
	p := &Prefetch{
		src:  src,
		full: make(chan *packetBatch, prefetchBatches),
		free: make(chan *packetBatch, prefetchBatches),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range prefetchBatches {
		p.free <- &packetBatch{
			pkts: make([]Packet, 0, prefetchPackets),
			data: make([]byte, 0, prefetchBytes+64<<10),
		}
	}
	go p.run()
	return p
}

func (p *Prefetch) run() {
	defer close(p.done)
	for {
		var b *packetBatch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.pkts, b.data, b.err = b.pkts[:0], b.data[:0], nil
		for len(b.pkts) < prefetchPackets && len(b.data) < prefetchBytes {
			pkt, err := p.src.ReadPacket()
			if err != nil {
				b.err = err
				break
			}
			// A frame that outgrows the arena moves the arena; the frames
			// copied before keep the old array, which is not written again.
			start := len(b.data)
			b.data = append(b.data, pkt.Data...)
			pkt.Data = b.data[start:len(b.data):len(b.data)]
			b.pkts = append(b.pkts, pkt)
		}
		p.full <- b // never waits: the channel holds every batch
		if b.err != nil {
			return
		}
	}
}

// ReadPacket returns the next packet of the source, or how it ended.
func (p *Prefetch) ReadPacket() (Packet, error) {
	for {
		if b := p.cur; b != nil {
			if p.next < len(b.pkts) {
				p.next++
				return b.pkts[p.next-1], nil
			}
			if b.err != nil {
				return Packet{}, b.err // sticky, as the source's own end is
			}
			p.free <- b
			p.cur = nil
		}
		select {
		case b := <-p.full:
			p.cur, p.next = b, 0
		case <-p.done:
			// The reader ended; what it queued before ending comes first.
			select {
			case b := <-p.full:
				p.cur, p.next = b, 0
			default:
				return Packet{}, ErrClosed
			}
		}
	}
}

// Close stops the reader and closes the source.
func (p *Prefetch) Close() error {
	p.closeOnce.Do(func() {
		close(p.stop)
		<-p.done
		p.closeErr = p.src.Close()
	})
	return p.closeErr
}
