package observe

// Interner turns byte slices into strings, returning the same string for
// the same bytes while it has room: values such as SYN signatures, host
// names and banners recur on every connection, and a fresh string per
// packet is an allocation the collector then has to chase. The zero value
// is ready; it belongs to one dissector (no lock).
type Interner struct {
	m map[string]string
	// Max entries kept before the table starts over (0: 4096), and the
	// longest value kept (0: 512 bytes; longer ones rarely repeat).
	Max, MaxLen int
}

// String returns b as a string, shared with earlier calls for equal bytes.
func (in *Interner) String(b []byte) string { return in.Text(b, bytesString) }

func bytesString(b []byte) string { return string(b) }

// Text returns conv(b), remembered by b: a cleaned-up form of a recurring
// wire value is computed once. One Interner is used with one conv only.
// (conv is called indirectly, so b escapes; where that matters, call
// Lookup and Store around a direct call instead.)
func (in *Interner) Text(b []byte, conv func([]byte) string) string {
	if s, ok := in.Lookup(b); ok {
		return s
	}
	s := conv(b)
	in.Store(b, s)
	return s
}

// Lookup returns what was stored for b.
func (in *Interner) Lookup(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	s, ok := in.m[string(b)] // the conversion does not allocate here
	return s, ok
}

// Store remembers s for b, within the bounds.
func (in *Interner) Store(b []byte, s string) {
	maxLen := in.MaxLen
	if maxLen <= 0 {
		maxLen = 512
	}
	if len(b) == 0 || len(b) > maxLen {
		return
	}
	max := in.Max
	if max <= 0 {
		max = 4096
	}
	if in.m == nil {
		in.m = make(map[string]string, min(max, 256))
	} else if len(in.m) >= max {
		// Starting over keeps the bound without tracking recency; the
		// values worth keeping come straight back.
		clear(in.m)
	}
	in.m[string(b)] = s
}
