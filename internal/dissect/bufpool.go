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
