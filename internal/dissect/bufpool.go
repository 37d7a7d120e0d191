package dissect

// BufPool recycles the byte buffers of finished streams for new ones: a
// sensor sees thousands of short conversations, and a buffer grown by
// append for each (then cleared by the allocator) costs more than parsing
// the bytes that filled it. It belongs to one dissector, so it needs no lock.
type BufPool struct {
	free [][]byte
	// Max buffers kept, and the largest capacity worth keeping.
	Max, MaxCap int
}

// Get returns an empty buffer, recycled when one is free.
func (p *BufPool) Get() []byte {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return b
	}
	return nil
}

// Put keeps b for a later Get, unless the pool is full or b too large.
func (p *BufPool) Put(b []byte) {
	max, maxCap := p.Max, p.MaxCap
	if max <= 0 {
		max = 64
	}
	if maxCap <= 0 {
		maxCap = 256 << 10
	}
	if cap(b) == 0 || cap(b) > maxCap || len(p.free) >= max {
		return
	}
	p.free = append(p.free, b[:0])
}

// FreeList keeps finished streams (or any per-connection state) of one
// dissector for reuse by the next connection. The decoder never calls a
// stream again once it said done or ended, so a stream may go back then.
type FreeList[T any] struct {
	free []*T
	Max  int // entries kept (0: 64)
}

// Get returns a kept value, or nil when there is none.
func (l *FreeList[T]) Get() *T {
	n := len(l.free)
	if n == 0 {
		return nil
	}
	x := l.free[n-1]
	l.free[n-1] = nil
	l.free = l.free[:n-1]
	return x
}

// Put keeps x unless the list is full.
func (l *FreeList[T]) Put(x *T) {
	max := l.Max
	if max <= 0 {
		max = 64
	}
	if len(l.free) < max {
		l.free = append(l.free, x)
	}
}

// Len is how many values are kept.
func (l *FreeList[T]) Len() int { return len(l.free) }
