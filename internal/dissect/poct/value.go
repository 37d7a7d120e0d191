package poct

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// maxValue caps any single decoded value, in bytes.
const maxValue = 128

// allowed is the dissector's own allowlist, the backstop behind never
// reading anything else: every key it may emit. None can carry PHI: they
// describe the device, and poct.device_name is the name a site gave it.
var allowed = map[string]bool{
	"poct.message":      true,
	"poct.version":      true,
	"poct.device_id":    true,
	"poct.vendor_id":    true,
	"poct.manufacturer": true,
	"poct.model":        true,
	"poct.serial":       true,
	"poct.hw_version":   true,
	"poct.sw_version":   true,
	"poct.device_name":  true,
}

// appendValue appends the attribute value v decoded: the five predefined
// entities and numeric character references resolved (an unknown or
// invalid reference dropped, a lone '&' kept), tabs and line ends as
// spaces (XML attribute-value normalisation), invalid UTF-8, control and
// format characters dropped; then trimmed and cut to maxValue bytes at a
// character boundary. It returns the extended dst and where the value
// starts and ends in it.
func appendValue(dst, v []byte) ([]byte, int, int) {
	start := len(dst)
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '&':
			r, n := entity(v[i:])
			if n == 0 {
				dst = append(dst, '&')
				i++
				continue
			}
			i += n
			if r >= 0 {
				dst = appendRune(dst, r)
			}
		case c < utf8.RuneSelf:
			if c == '\t' || c == '\n' || c == '\r' {
				c = ' '
			}
			if c >= ' ' && c != 0x7f {
				dst = append(dst, c)
			}
			i++
		default:
			r, n := utf8.DecodeRune(v[i:])
			i += n
			if r != utf8.RuneError || n > 1 {
				dst = appendRune(dst, r)
			}
		}
		if len(dst)-start > maxValue+utf8.UTFMax {
			break // enough: the rest would be cut anyway
		}
	}
	b := dst[start:]
	lead := len(b) - len(bytes.TrimLeft(b, " "))
	b = b[lead:]
	if len(b) > maxValue {
		cut := maxValue
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut]
	}
	b = bytes.TrimRight(b, " ")
	return dst, start + lead, start + lead + len(b)
}

// appendRune appends r when it is printable (or a plain space).
func appendRune(dst []byte, r rune) []byte {
	if r == ' ' || (r > ' ' && unicode.IsPrint(r)) {
		return utf8.AppendRune(dst, r)
	}
	return dst
}

// entity reads the reference at the start of v ("&amp;", "&#233;",
// "&#xE9;"): the rune it stands for (-1 when unknown or invalid) and its
// length, or 0 when no ';' closes it within a few bytes.
func entity(v []byte) (rune, int) {
	end := -1
	for i := 1; i < min(len(v), 12); i++ {
		if v[i] == ';' {
			end = i
			break
		}
		if v[i] == '&' || v[i] <= ' ' {
			break
		}
	}
	if end < 0 {
		return 0, 0
	}
	name := v[1:end]
	switch string(name) {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	}
	if len(name) < 2 || name[0] != '#' {
		return -1, end + 1
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return -1, end + 1
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return -1, end + 1
		}
		r = r*base + d
		if r > unicode.MaxRune {
			return -1, end + 1
		}
	}
	if !utf8.ValidRune(r) {
		return -1, end + 1
	}
	return r, end + 1
}

// fnv64 is FNV-1a, kept as a value so hashing allocates nothing.
type fnv64 uint64

func (h *fnv64) write(b []byte) {
	for _, c := range b {
		*h = (*h ^ fnv64(c)) * 1099511628211
	}
	*h = (*h ^ 0xff) * 1099511628211 // separator
}

const helloR01 = "HEL.R01"

// report emits the Hello just ended, unless it repeats the last one this
// direction reported.
func (s *stream) report(m *dissect.Meta, sd *side, e observe.Emitter) {
	dd := s.d
	var pos [numFields][2]int
	dd.norm = dd.norm[:0]
	h := fnv64(14695981039346656037)
	h.write(sd.root[:])
	for f := range numFields {
		if sd.has&(1<<f) == 0 {
			pos[f] = [2]int{0, 0}
			h.write(nil)
			continue
		}
		var a, b int
		dd.norm, a, b = appendValue(dd.norm, sd.vbuf[sd.span[f][0]:sd.span[f][1]])
		pos[f] = [2]int{a, b}
		h.write(dd.norm[a:b])
	}
	s.hello = true
	if sd.reported && uint64(h) == sd.last {
		return
	}
	sd.reported, sd.last = true, uint64(h)
	o := &dd.obs
	m.Fill(o, "poct")
	if string(sd.root[:]) == helloR01 {
		o.Add("poct.message", helloR01)
	} else {
		o.Add("poct.message", string(sd.root[:]))
	}
	for f := range numFields {
		o.Add(keys[f], string(dd.norm[pos[f][0]:pos[f][1]]))
	}
	dd.emit(e, o)
}

// emit drops any field not on the allowlist and passes the rest on.
func (dd *Dissector) emit(e observe.Emitter, o *observe.Observation) {
	dd.Dropped += uint64(dissect.EmitAllowed(e, o, allowed))
}
