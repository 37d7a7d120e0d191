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
	b = o.Time.UTC().AppendFormat(b, time.RFC3339Nano)
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
	// Small n: an insertion-ordered walk picking the next key beats sorting a copy.
	prev := ""
	first := true
	for range o.Fields {
		next, found := "", false
		for _, f := range o.Fields {
			if (first || f.Key > prev) && (!found || f.Key < next) {
				next, found = f.Key, true
			}
		}
		if !found {
			break
		}
		if !first {
			b = append(b, ',')
		}
		b = appendString(b, next)
		b = append(b, ':', '"')
		n := 0
		for _, f := range o.Fields {
			if f.Key == next {
				if n > 0 {
					b = append(b, ", "...)
				}
				b = appendEscaped(b, f.Value)
				n++
			}
		}
		b = append(b, '"')
		prev, first = next, false
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
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, '"')
}

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped writes s as the inside of a JSON string: quotes,
// backslashes and control characters escaped, invalid UTF-8 replaced.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
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
	return b
}
