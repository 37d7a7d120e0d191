package dns

import (
	"bytes"
	"strings"
)

// MaxText caps any text value taken from the wire.
const MaxText = 256

// Text turns wire bytes into an emitted value: NUL padding and surrounding
// spaces trimmed, capped at max bytes (never splitting the result into
// invalid UTF-8) and made valid UTF-8.
func Text(b []byte, max int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) > max {
		b = b[:max]
	}
	if len(b) == 0 {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// TextCache remembers Text of recurring wire values: on a network the same
// names and addresses come back in packet after packet, and a hit costs no
// allocation. It is bounded (when full it starts over, which only costs
// conversions again) and not safe for concurrent use: one per dissector.
type TextCache struct {
	m map[string]textEntry
}

type textEntry struct {
	max int
	v   string
}

// textCacheMax bounds a TextCache's entries; textCacheKey bounds the wire
// values it keeps, so a flood of long unique values cannot grow it much.
const (
	textCacheMax = 1024
	textCacheKey = 512
)

// Text is Text(b, max), from the cache when b was seen with the same max.
func (c *TextCache) Text(b []byte, max int) string {
	if e, ok := c.m[string(b)]; ok && e.max == max {
		return e.v
	}
	v := Text(b, max)
	if len(b) <= textCacheKey {
		if c.m == nil {
			c.m = make(map[string]textEntry)
		}
		if len(c.m) >= textCacheMax {
			clear(c.m)
		}
		c.m[string(b)] = textEntry{max, v}
	}
	return v
}
