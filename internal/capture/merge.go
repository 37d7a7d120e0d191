package capture

import (
	"container/heap"
	"errors"
	"io"
)

// Merge reads several sources as one, in timestamp order. A source that
// fails is reported once through onErr and dropped; the others go on, so
// damage in one file loses nothing read before it, nor any other file.
type Merge struct {
	h      mergeHeap
	onErr  func(error)
	cur    *mergeItem
	srcs   []Source
	single Source // set when there is only one source
	done   bool
	errs   int
}

type mergeItem struct {
	src Source
	pkt Packet
	buf []byte // private copy: sources reuse their buffers
	seq int
}

type mergeHeap []*mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	ti, tj := h[i].pkt.Info.Timestamp, h[j].pkt.Info.Timestamp
	if ti.Equal(tj) {
		return h[i].seq < h[j].seq
	}
	return ti.Before(tj)
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// NewMerge primes each source with its first packet. One source is read
// through without the heap or a copy (the common case: one capture file).
func NewMerge(srcs []Source, onErr func(error)) *Merge {
	m := &Merge{onErr: onErr, srcs: srcs}
	if len(srcs) == 1 {
		m.single = srcs[0]
		return m
	}
	for i, s := range srcs {
		it := &mergeItem{src: s, seq: i}
		if m.advance(it) {
			m.h = append(m.h, it)
		}
	}
	heap.Init(&m.h)
	return m
}

// advance loads the item's next packet; false when its source is finished.
func (m *Merge) advance(it *mergeItem) bool {
	p, err := it.src.ReadPacket()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			m.errs++
			if m.onErr != nil {
				m.onErr(err)
			}
		}
		return false
	}
	it.buf = append(it.buf[:0], p.Data...)
	p.Data = it.buf
	it.pkt = p
	return true
}

// ReadPacket returns the earliest pending packet across all sources.
func (m *Merge) ReadPacket() (Packet, error) {
	if m.single != nil {
		return m.readSingle()
	}
	if m.cur != nil {
		// The packet handed out last time is consumed now: refill its slot.
		if m.advance(m.cur) {
			heap.Push(&m.h, m.cur)
		}
		m.cur = nil
	}
	if len(m.h) == 0 {
		return Packet{}, io.EOF
	}
	it := heap.Pop(&m.h).(*mergeItem)
	m.cur = it
	return it.pkt, nil
}

// Errors is how many sources ended in an error.
func (m *Merge) Errors() int { return m.errs }

// Close closes every source.
func (m *Merge) Close() error {
	var errs []error
	for _, s := range m.srcs {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

func (m *Merge) readSingle() (Packet, error) {
	if m.done {
		return Packet{}, io.EOF
	}
	p, err := m.single.ReadPacket()
	if err != nil {
		m.done = true
		if !errors.Is(err, io.EOF) {
			m.errs++
			if m.onErr != nil {
				m.onErr(err)
			}
		}
		return Packet{}, io.EOF
	}
	return p, nil
}
