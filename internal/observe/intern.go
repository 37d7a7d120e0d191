package observe

// Interner turns byte slices into strings, returning the same string for
// the same bytes while it has room: values such as SYN signatures, ports
// and banners recur on every connection, and a fresh string per packet is
// an allocation the collector then has to chase. The zero value is ready.
type Interner struct {
	m   map[string]string
	Max int // entries kept before the table starts over (0: 4096)
}

// String returns b as a string, shared with earlier calls for equal bytes.
// Values longer than 256 bytes are not kept: they rarely repeat.
func (in *Interner) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 256 {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok { // the conversion does not allocate here
		return s
	}
	max := in.Max
	if max <= 0 {
		max = 4096
	}
	if in.m == nil || len(in.m) >= max {
		// Starting over keeps the bound without tracking recency; the
		// values worth keeping come straight back.
		in.m = make(map[string]string, min(max, 1024))
	}
	s := string(b)
	in.m[s] = s
	return s
}
