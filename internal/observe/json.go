package observe

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends o in the JSON Lines contract layout (without a
// newline). It is the hot path of `ward observe`, so it is written by hand:
// encoding/json's reflection and map sorting cost more than decoding the
// packet did. Field keys come out sorted, as encoding/json would write them.
func (o *Observation) AppendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, o.Time)
	b = append(b, `","src_mac":`...)
	b = appendMAC(b, o.SrcMAC)
	b = append(b, `,"src_ip":`...)
	b = appendAddr(b, o)
	b = append(b, `,"dst_mac":`...)
	b = appendMAC(b, o.DstMAC)
	b = append(b, `,"dst_ip":`...)
	if o.DstIP.IsValid() {
		b = append(b, '"')
		b = o.DstIP.AppendTo(b)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	if o.Transport != "" {
		b = append(b, `,"src_port":`...)
		b = strconv.AppendUint(b, uint64(o.SrcPort), 10)
		b = append(b, `,"dst_port":`...)
		b = strconv.AppendUint(b, uint64(o.DstPort), 10)
		b = append(b, `,"transport":`...)
		b = appendString(b, o.Transport)
	} else {
		b = append(b, `,"src_port":null,"dst_port":null,"transport":null`...)
	}
	b = append(b, `,"protocol":`...)
	b = appendString(b, o.Protocol)
	b = append(b, `,"fields":{`...)
	// Keys sorted by an insertion sort of indexes on the stack: n is small,
	// and sort.Slice would allocate.
	var stack [48]uint16
	idx := stack[:]
	if len(o.Fields) > len(stack) {
		idx = make([]uint16, len(o.Fields))
	}
	n := len(o.Fields)
	for i := 0; i < n; i++ {
		j := i
		for ; j > 0 && o.Fields[idx[j-1]].Key > o.Fields[i].Key; j-- {
			idx[j] = idx[j-1]
		}
		idx[j] = uint16(i)
	}
	for i := 0; i < n; {
		f := &o.Fields[idx[i]]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Key)
		b = append(b, ':', '"')
		b = appendEscaped(b, f.Value)
		// A repeated key (it should not happen) joins its values, in order.
		for i++; i < n && o.Fields[idx[i]].Key == f.Key; i++ {
			b = append(b, ", "...)
			b = appendEscaped(b, o.Fields[idx[i]].Value)
		}
		b = append(b, '"')
	}
	return append(b, '}', '}')
}

func appendAddr(b []byte, o *Observation) []byte {
	if !o.SrcIP.IsValid() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = o.SrcIP.AppendTo(b)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func appendMAC(b []byte, mac []byte) []byte {
	if len(mac) == 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = AppendMAC(b, mac)
	return append(b, '"')
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
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped writes s as the inside of a JSON string: quotes,
// backslashes and control characters escaped, invalid UTF-8 replaced.
func appendEscaped(b []byte, s string) []byte {
	// Fast path: most values need no escaping at all; copy the clean
	// prefix in one go and escape from the first byte that needs it.
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

// dirty reports whether one of the eight bytes of x is < 0x20, '"', '\\',
// 0x7f or >= 0x80.
func dirty(x uint64) bool {
	lt := (x - 0x20*ones) &^ x
	q := x ^ ('"' * ones)
	bs := x ^ ('\\' * ones)
	// x+1 per byte carries into the high bit for 0x7f; bytes >= 0x80 have
	// it already (and a carry out of one of them changes nothing).
	return (lt|x|(x+ones)|((q-ones)&^q)|((bs-ones)&^bs))&highs != 0
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
// civil-from-days computation (Hinnant), the text is built in one array.
func appendTime(b []byte, t time.Time) []byte {
	secs := t.Unix()
	// 0000-01-01 .. 9999-12-31; other years take the general formatter.
	if secs < -62167219200 || secs >= 253402300800 {
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	days := secs / 86400
	sod := secs - days*86400
	if sod < 0 {
		days, sod = days-1, sod+86400
	}
	// Days since 0000-03-01, in eras of 400 years.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	hour, min, sec := sod/3600, sod/60%60, sod%60
	var buf [30]byte
	buf[0], buf[1], buf[2], buf[3] = byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10)
	buf[4], buf[5], buf[6] = '-', byte('0'+month/10), byte('0'+month%10)
	buf[7], buf[8], buf[9] = '-', byte('0'+day/10), byte('0'+day%10)
	buf[10], buf[11], buf[12] = 'T', byte('0'+hour/10), byte('0'+hour%10)
	buf[13], buf[14], buf[15] = ':', byte('0'+min/10), byte('0'+min%10)
	buf[16], buf[17], buf[18] = ':', byte('0'+sec/10), byte('0'+sec%10)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		buf[19] = '.'
		for i := 28; i >= 20; i-- {
			buf[i] = byte('0' + ns%10)
			ns /= 10
		}
		n = 29
		for buf[n-1] == '0' {
			n--
		}
	}
	buf[n] = 'Z'
	return append(b, buf[:n+1]...)
}
