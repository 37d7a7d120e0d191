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
	// Fast path: most values need no escaping at all.
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return append(b, s...)
	}
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
