package observe

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendJSON appends o in the JSON Lines contract layout (without a
// newline). It is the hot path of `ward observe`, so it is written by hand:
// encoding/json's reflection and map sorting cost more than decoding the
// packet did. Field keys come out sorted, as encoding/json would write them.
// Pieces are stored a word at a time into room made for them, so b's free
// capacity past what is appended may be overwritten too.
func (o *Observation) AppendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, o.Time)
	b = append(b, `","src_mac":`...)
	b = appendMAC(b, o.SrcMAC)
	b = append(b, `,"src_ip":`...)
	b = appendAddr(b, o.SrcIP)
	b = append(b, `,"dst_mac":`...)
	b = appendMAC(b, o.DstMAC)
	b = append(b, `,"dst_ip":`...)
	b = appendAddr(b, o.DstIP)
	if o.Transport != "" {
		b = append(b, `,"src_port":`...)
		b = appendPort(b, o.SrcPort)
		b = append(b, `,"dst_port":`...)
		b = appendPort(b, o.DstPort)
		b = append(b, `,"transport":`...)
		b = appendString(b, o.Transport)
	} else {
		b = append(b, `,"src_port":null,"dst_port":null,"transport":null`...)
	}
	b = append(b, `,"protocol":`...)
	b = appendString(b, o.Protocol)
	b = append(b, `,"fields":{`...)
	// Keys sorted by an insertion sort on the stack (n is small, and
	// sort.Slice would allocate) of words holding the key's first bytes,
	// big-endian, above the field's index (the low byte; four bytes past
	// 255 fields): one integer compare orders most pairs, equal prefixes
	// leave it to the strings.
	var stack [48]uint64
	n := len(o.Fields)
	ws, mask := stack[:], uint64(0xff)
	if n > len(stack) {
		ws = make([]uint64, n)
		if n > 0xff {
			mask = 1<<32 - 1
		}
	}
	ws = ws[:n]
	first, repeated := 0, false
	for i := range n {
		f := &o.Fields[i]
		w := prefix8(f.Key)&^mask | uint64(i)
		j := i
		for ; j > 0; j-- {
			// v < w: v's prefix is lower, or equal (v's index is lower).
			v := ws[j-1]
			if v < w {
				if v^w > mask {
					break
				}
				// A repeated key meets its twin here, if anywhere.
				if c := strings.Compare(o.Fields[v&mask].Key, f.Key); c <= 0 {
					repeated = repeated || c == 0
					break
				}
			}
			ws[j] = v
		}
		ws[j] = w
	}
	// Nearly always no key repeats and nothing needs escaping: the fields
	// then go out in one pass, copied while they are tested.
	if !repeated && n <= len(stack) {
		size := 3 + 4 // the closing `"}}`, and room for a word store
		for i := range o.Fields {
			size += len(o.Fields[i].Key) + len(o.Fields[i].Value) + 6
		}
		if m := len(b); cap(b)-m >= size {
			l, done := appendFieldsClean(b[m:m+size], o.Fields, ws)
			if done == n {
				return b[:m+l]
			}
			// The fields before the one to escape stay; the rest go
			// the general way.
			b, first = b[:m+l], done
		}
	}
	for i := first; i < n; {
		w := ws[i]
		f := &o.Fields[w&mask]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Key)
		b = append(b, ':', '"')
		b = appendEscaped(b, f.Value)
		// A repeated key (it should not happen) joins its values, in order.
		for i++; i < n && ws[i]^w <= mask && o.Fields[ws[i]&mask].Key == f.Key; i++ {
			b = append(b, ", "...)
			b = appendEscaped(b, o.Fields[ws[i]&mask].Value)
		}
		b = append(b, '"')
	}
	return append(b, '}', '}')
}

// appendFieldsClean writes into d the fields in the order of ws (keys
// unique, indexes in the low byte) and the closing braces, testing the
// strings as it copies them. It returns the length written and len(ws),
// or, at the first field that needs escaping, the length of the complete
// fields before it and its place.
func appendFieldsClean(d []byte, fs []Field, ws []uint64) (int, int) {
	if len(ws) == 0 {
		d[0], d[1] = '}', '}'
		return 2, 0
	}
	p := 0
	for i, w := range ws {
		f := &fs[w&0xff]
		// Separators are stored as one word; what runs past them is
		// overwritten by what follows.
		q, sep := p+3, uint32('"'|','<<8|'"'<<16)
		if i == 0 {
			q, sep = 1, '"'
		}
		binary.LittleEndian.PutUint32(d[p:], sep)
		bad := copyWords(d[q:], f.Key)
		q += len(f.Key)
		binary.LittleEndian.PutUint32(d[q:], '"'|':'<<8|'"'<<16)
		q += 3
		if (bad|copyWords(d[q:], f.Value))&highs != 0 {
			if i > 0 {
				p++ // the previous value's closing quote
			}
			return p, i
		}
		p = q + len(f.Value)
	}
	binary.LittleEndian.PutUint32(d[p:], '"'|'}'<<8|'}'<<16)
	return p + 3, len(ws)
}

// copyWords copies s to the start of d, a word at a time, and returns the
// OR of the words' dirtyBits. Strings of 8 to 16 bytes, most keys and
// values, take two overlapping loads and no loop; shorter ones, one or
// two overlapping loads and a four-byte store (d needs room for
// len(s)+3 bytes).
func copyWords(d []byte, s string) uint64 {
	switch {
	case len(s) > 16:
		var bad uint64
		t, e := s, d
		for len(t) > 8 {
			x := word(t)
			bad |= dirtyBits(x)
			binary.LittleEndian.PutUint64(e, x)
			t, e = t[8:], e[8:]
		}
		// The last word overlaps the one before.
		x := word(s[len(s)-8:])
		binary.LittleEndian.PutUint64(d[len(s)-8:], x)
		return bad | dirtyBits(x)
	case len(s) >= 8:
		x, y := word(s), word(s[len(s)-8:])
		binary.LittleEndian.PutUint64(d, x)
		binary.LittleEndian.PutUint64(d[len(s)-8:], y)
		return dirtyBits(x) | dirtyBits(y)
	case len(s) >= 4:
		lo, hi := word4(s), word4(s[len(s)-4:])
		binary.LittleEndian.PutUint32(d, lo)
		binary.LittleEndian.PutUint32(d[len(s)-4:], hi)
		return dirtyBits(uint64(lo) | uint64(hi)<<32)
	case len(s) > 0:
		// The first, middle and last bytes cover the lengths 1 to 3; the
		// rest of the tested word is spaces, which are clean.
		x := uint32(s[0]) | uint32(s[len(s)>>1])<<8 | uint32(s[len(s)-1])<<16
		binary.LittleEndian.PutUint32(d, x)
		return dirtyBits(uint64(x) | 0x2020202020<<24)
	}
	return 0
}

// prefix8 returns the first eight bytes of s as a big-endian number, a
// short s padded with zeros: unequal prefixes order their strings as
// string comparison does.
func prefix8(s string) uint64 {
	switch {
	case len(s) >= 8:
		return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
	case len(s) >= 4:
		// Two overlapping loads, the second shifted into place.
		hi, lo := be32(s), be32(s[len(s)-4:])
		return uint64(hi)<<32 | uint64(lo)<<(64-8*uint(len(s)))
	}
	var p uint64
	for i := 0; i < len(s); i++ {
		p |= uint64(s[i]) << (56 - 8*i)
	}
	return p
}

func be32(s string) uint32 {
	_ = s[3]
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

// appendAddr writes a as a JSON string as netip formats it, or null.
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		return appendIPv4(b, a.As4())
	}
	if !a.IsValid() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// appendIPv4 writes ip quoted, in dotted decimal: nearly every address is
// IPv4, and netip writes one a byte at a time. Here an octet and its dot
// are one word, and two of them at most eight bytes, stored at once.
func appendIPv4(b []byte, ip [4]byte) []byte {
	w0, l0 := octet(uint(ip[0]))
	w1, l1 := octet(uint(ip[1]))
	w2, l2 := octet(uint(ip[2]))
	w3, l3 := octet(uint(ip[3]))
	n := len(b)
	b = slices.Grow(b, 17)
	d := b[n : n+17]
	d[0] = '"'
	binary.LittleEndian.PutUint64(d[1:9], w0|w1<<(8*l0))
	m := l0 + l1
	binary.LittleEndian.PutUint64(d[1+m:9+m], w2|w3<<(8*l2))
	m += l2 + l3
	d[m] = '"' // over the last dot
	return b[:n+int(m)+1]
}

// octet returns v < 256 in decimal and a dot, as a little-endian word, and
// the length of that text.
func octet(v uint) (uint64, uint) {
	if v < 10 {
		return uint64(v) + ('0' | '.'<<8), 2
	}
	if v < 100 {
		return uint64(digits2[2*v]) | uint64(digits2[2*v+1])<<8 | '.'<<16, 3
	}
	h := v * 41 >> 12 // v/100 for v < 256
	r := 2 * (v - 100*h)
	return uint64('0'+h) | uint64(digits2[r])<<8 | uint64(digits2[r+1])<<16 | '.'<<24, 4
}

// digits2 holds "00" to "99", so that decimals are written two digits at
// a time.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// pair returns the two decimal digits of v < 100, little-endian.
func pair(v uint64) uint64 {
	return uint64(digits2[2*v]) | uint64(digits2[2*v+1])<<8
}

// appendPort writes v in decimal, as strconv.AppendUint would.
func appendPort(b []byte, v uint16) []byte {
	switch {
	case v < 10:
		return append(b, byte('0'+v))
	case v < 100:
		return append(b, digits2[2*v], digits2[2*v+1])
	case v < 1000:
		q, r := v/100, v%100
		return append(b, byte('0'+q), digits2[2*r], digits2[2*r+1])
	case v < 10000:
		q, r := v/100, v%100
		return append(b, digits2[2*q], digits2[2*q+1], digits2[2*r], digits2[2*r+1])
	}
	q, r := v/10000, v%10000
	h, l := r/100, r%100
	return append(b, byte('0'+q), digits2[2*h], digits2[2*h+1], digits2[2*l], digits2[2*l+1])
}

const hexDigits = "0123456789abcdef"

func appendMAC(b []byte, mac []byte) []byte {
	if len(mac) != 6 {
		if len(mac) == 0 {
			return append(b, "null"...)
		}
		b = append(b, '"')
		b = AppendMAC(b, mac)
		return append(b, '"')
	}
	// Ethernet's six bytes, quotes included, by fixed indexes into room
	// made once.
	m := (*[6]byte)(mac)
	n := len(b)
	b = slices.Grow(b, 19)
	d := b[n : n+19]
	d[0], d[1], d[2], d[3] = '"', hexDigits[m[0]>>4], hexDigits[m[0]&0xf], ':'
	d[4], d[5], d[6] = hexDigits[m[1]>>4], hexDigits[m[1]&0xf], ':'
	d[7], d[8], d[9] = hexDigits[m[2]>>4], hexDigits[m[2]&0xf], ':'
	d[10], d[11], d[12] = hexDigits[m[3]>>4], hexDigits[m[3]&0xf], ':'
	d[13], d[14], d[15] = hexDigits[m[4]>>4], hexDigits[m[4]&0xf], ':'
	d[16], d[17], d[18] = hexDigits[m[5]>>4], hexDigits[m[5]&0xf], '"'
	return b[:n+19]
}

// AppendMAC appends mac as net.HardwareAddr.String formats it, without
// the allocation.
func AppendMAC(b, mac []byte) []byte {
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	if n := len(b); cap(b)-n >= len(s)+5 {
		d := b[n : n+len(s)+5]
		d[0] = '"'
		if copyWords(d[1:], s)&highs == 0 {
			d[1+len(s)] = '"'
			return b[:n+len(s)+2]
		}
	}
	b = append(b, '"')
	b = appendEscapedSlow(b, s)
	return append(b, '"')
}

// appendEscaped writes s as the inside of a JSON string: quotes,
// backslashes and control characters escaped, invalid UTF-8 replaced.
func appendEscaped(b []byte, s string) []byte {
	// Most values need no escaping at all: copied while tested.
	if n := len(b); cap(b)-n >= len(s)+3 && copyWords(b[n:n+len(s)+3], s)&highs == 0 {
		return b[:n+len(s)]
	}
	return appendEscapedSlow(b, s)
}

// appendEscapedSlow is appendEscaped for a string that needs escaping (or
// lacks the room): clean runs are copied whole, the rest byte by byte.
func appendEscapedSlow(b []byte, s string) []byte {
	for i := 0; ; {
		j := i + cleanPrefix(s[i:])
		b = append(b, s[i:j]...)
		if i = j; i >= len(s) {
			return b
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, "\uFFFD"...) // the replacement character itself, so re-encoding is stable
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// cleanPrefix returns the length of the longest prefix of s that JSON can
// carry verbatim (printable ASCII other than '"' and '\\'). It tests eight
// bytes per step: values are mostly long clean ASCII (banners, JA3 strings).
func cleanPrefix(s string) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if dirty(word(s[i : i+8])) {
			return i + cleanTail(s[i:])
		}
	}
	// The last bytes as one word overlapping the one before: keys and
	// values rarely end on a word boundary.
	if i < len(s) && len(s) >= 8 && !dirty(word(s[len(s)-8:])) {
		return len(s)
	}
	return i + cleanTail(s[i:])
}

// word loads the first eight bytes of w, little-endian.
func word(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// word4 loads the first four bytes of w, little-endian.
func word4(w string) uint32 {
	_ = w[3]
	return uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16 | uint32(w[3])<<24
}

// dirty reports whether one of the eight bytes of x is < 0x20, '"', '\\',
// 0x7f or >= 0x80.
func dirty(x uint64) bool {
	return dirtyBits(x)&highs != 0
}

// dirtyBits sets the high bit of a byte of x that is < 0x20, '"', '\\' or
// 0x7f, and keeps it in a byte >= 0x80: tested against highs, it tells
// whether the word is dirty. For bytes below 0x80 no sum carries: c+0x60
// reaches the high bit unless c < 0x20, c+1 reaches it for 0x7f, and
// (c^q)+0x7f does unless c == q. A byte >= 0x80 may carry into the next
// one and spoil its test, but marks the word dirty itself.
func dirtyBits(x uint64) uint64 {
	return x | (x + ones) | ^((x + 0x60*ones) & ((x ^ '"'*ones) + 0x7f*ones) & ((x ^ '\\'*ones) + 0x7f*ones))
}

func cleanTail(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return i
		}
	}
	return len(s)
}

// appendTime writes t in UTC as time.RFC3339Nano does (trailing zeros of
// the fraction dropped), without the general formatter's cost: every
// observation carries one. The date comes from the day count by the
// civil-from-days computation (Hinnant), in unsigned arithmetic, and the
// text is stored in words of eight bytes, two digits at a time.
func appendTime(b []byte, t time.Time) []byte {
	secs := t.Unix()
	// 0000-01-01 .. 9999-12-31; other years take the general formatter.
	if secs < -62167219200 || secs >= 253402300800 {
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	u := uint64(secs + 62167219200) // since 0000-01-01
	days, sod := u/86400, u%86400
	// Days since -0400-03-01: eras of 400 years start on a March 1st, and
	// counting from one era early keeps January and February of year 0
	// unsigned.
	z := days - 60 + 146097
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	year := yoe + era*400 - 400
	if month > 12 {
		month -= 12
		year++
	}
	hour, ms := sod/3600, sod%3600
	min, sec := ms/60, ms%60
	n := len(b)
	b = slices.Grow(b, 32)
	d := b[n : n+32]
	binary.LittleEndian.PutUint64(d[0:8], pair(year/100)|pair(year%100)<<16|'-'<<32|pair(month)<<40|'-'<<56)
	binary.LittleEndian.PutUint64(d[8:16], pair(day)|'T'<<16|pair(hour)<<24|':'<<40|pair(min)<<48)
	ns := uint64(t.Nanosecond())
	if ns == 0 {
		binary.LittleEndian.PutUint32(d[16:20], uint32(':'|pair(sec)<<8|'Z'<<24))
		return b[:n+20]
	}
	f1, r := ns/10000000, ns%10000000
	f2, r := r/100000, r%100000
	f3, r := r/1000, r%1000
	f4, r := r/10, r%10
	binary.LittleEndian.PutUint64(d[16:24], ':'|pair(sec)<<8|'.'<<24|pair(f1)<<32|pair(f2)<<48)
	binary.LittleEndian.PutUint64(d[24:32], pair(f3)|pair(f4)<<16|('0'+r)<<32)
	e := 29
	for d[e-1] == '0' {
		e--
	}
	d[e] = 'Z'
	return b[:n+e+1]
}
