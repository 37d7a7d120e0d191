package dns

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
)

// MaxText caps any text value taken from the wire.
const MaxText = 256

// MaxName caps a rendered domain name: at most 255 bytes on the wire, each
// of which NameText may write as up to four (an octal escape), so that even
// a tunnel's binary name comes out whole, as tshark shows it.
const MaxName = 1024

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

// NameText renders a domain name's wire bytes (AppendName's output) as
// Wireshark shows them, so that names agree with tshark's field dumps and
// stay one line; DNS tunnels and malware put binary in labels. Nothing is
// trimmed. ASCII control bytes are escaped, \a \b \t \n \v \f \r by
// letter and the rest (NUL, ESC, DEL...) as three octal digits. Other bytes
// are read as UTF-8 the lenient way Wireshark reads them (an overlong form
// gives its character): a character that is not printable (a control,
// format, private-use or unassigned one) is written \uXXXX, and a sequence
// that is cut short, or a surrogate or a value past U+10FFFF, one U+FFFD.
// Capped at max bytes at a character boundary.
func NameText(b []byte, max int) string {
	clean := true
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		if len(b) > max {
			b = b[:max]
		}
		return string(b)
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b) && len(out) < max; {
		c := b[i]
		switch {
		case c < 0x20 || c == 0x7f:
			if e := ctrlLetter(c); e != 0 {
				out = append(out, '\\', e)
			} else {
				out = append(out, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
			}
			i++
		case c < 0x80:
			out = append(out, c)
			i++
		default:
			r, n := lenientRune(b[i:])
			i += n
			switch {
			case r < 0 || r > unicode.MaxRune || (r >= 0xd800 && r <= 0xdfff):
				out = append(out, "\uFFFD"...)
			case unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
				out = utf8.AppendRune(out, r)
			case r <= 0xffff:
				out = append(out, '\\', 'u')
				out = appendHex(out, uint32(r), 4)
			default:
				out = append(out, '\\', 'U')
				out = appendHex(out, uint32(r), 8)
			}
		}
	}
	return dissect.Cap(string(out), max)
}

// lenientRune decodes the UTF-8 sequence at b[0] (a byte >= 0x80) without
// rejecting overlong forms, the way Wireshark's text formatter does: the
// lead byte says how many continuation bytes follow (up to five); a stray
// continuation byte, an invalid lead byte, or a sequence a non-continuation
// byte or the end cuts short gives -1, having consumed only what belonged
// to it.
func lenientRune(b []byte) (rune, int) {
	c := b[0]
	var need int
	var r rune
	switch {
	case c&0xe0 == 0xc0:
		need, r = 1, rune(c&0x1f)
	case c&0xf0 == 0xe0:
		need, r = 2, rune(c&0x0f)
	case c&0xf8 == 0xf0:
		need, r = 3, rune(c&0x07)
	case c&0xfc == 0xf8:
		need, r = 4, rune(c&0x03)
	case c&0xfe == 0xfc:
		need, r = 5, rune(c&0x01)
	default:
		return -1, 1
	}
	n := 1
	for ; n <= need; n++ {
		if n >= len(b) || b[n]&0xc0 != 0x80 {
			return -1, n
		}
		r = r<<6 | rune(b[n]&0x3f)
	}
	return r, n
}

func appendHex(b []byte, v uint32, digits int) []byte {
	const hex = "0123456789ABCDEF"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hex[v>>(4*uint(i))&0xf])
	}
	return b
}

func ctrlLetter(c byte) byte {
	switch c {
	case '\a':
		return 'a'
	case '\b':
		return 'b'
	case '\t':
		return 't'
	case '\n':
		return 'n'
	case '\v':
		return 'v'
	case '\f':
		return 'f'
	case '\r':
		return 'r'
	}
	return 0
}

// TextCache remembers Text of recurring wire values: on a network the same
// names and addresses come back in packet after packet, and a hit costs no
// allocation. It is bounded (when full it starts over, which only costs
// conversions again) and not safe for concurrent use: one per dissector.
type TextCache struct {
	m map[string]textEntry
}

type textEntry struct {
	max  int
	name bool // NameText, not Text
	v    string
}

// textCacheMax bounds a TextCache's entries; textCacheKey bounds the wire
// values it keeps, so a flood of long unique values cannot grow it much.
const (
	textCacheMax = 1024
	textCacheKey = 512
)

// Text is Text(b, max), from the cache when b was seen with the same max.
func (c *TextCache) Text(b []byte, max int) string { return c.get(b, max, false) }

// Name is NameText(b, max), from the cache likewise.
func (c *TextCache) Name(b []byte, max int) string { return c.get(b, max, true) }

func (c *TextCache) get(b []byte, max int, name bool) string {
	if e, ok := c.m[string(b)]; ok && e.max == max && e.name == name {
		return e.v
	}
	var v string
	if name {
		v = NameText(b, max)
	} else {
		v = Text(b, max)
	}
	if len(b) <= textCacheKey {
		if c.m == nil {
			c.m = make(map[string]textEntry)
		}
		if len(c.m) >= textCacheMax {
			clear(c.m)
		}
		c.m[string(b)] = textEntry{max, name, v}
	}
	return v
}
