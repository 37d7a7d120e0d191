package observe

import (
	"net"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// fastUnmarshal reads the layout AppendJSON writes without encoding/json,
// which scans an observation three times and allocates for every string:
// a server reading sensors' uploads spends most of its decoding there. It
// reports ok=false for anything it is not sure to read as encoding/json
// would (escapes, unknown or repeated keys, other spellings of a key,
// invalid UTF-8, numbers other than plain ports), and the caller then takes
// the encoding/json path; so it never accepts what that path rejects, nor
// reads anything differently (FuzzFastUnmarshalAgrees).
func fastUnmarshal(b []byte, o *Observation) bool {
	p := reader{b: b}
	if !p.byte('{') {
		return false
	}
	var n Observation
	var seen uint16
	var fields []Field
	first := true
	for {
		p.space()
		if p.peek() == '}' && first {
			p.i++
			break
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		bit := uint16(0)
		switch string(key) {
		case "time":
			bit = 1
			v, ok := p.str()
			if !ok {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return false
			}
			n.Time = t
		case "src_mac", "dst_mac":
			bit = 2
			if key[0] == 'd' {
				bit = 4
			}
			if p.null() {
				break
			}
			v, ok := p.str()
			if !ok {
				return false
			}
			mac, err := net.ParseMAC(string(v))
			if err != nil {
				return false
			}
			if bit == 2 {
				n.SrcMAC = mac
			} else {
				n.DstMAC = mac
			}
		case "src_ip", "dst_ip":
			bit = 8
			if key[0] == 'd' {
				bit = 16
			}
			if p.null() {
				break
			}
			v, ok := p.str()
			if !ok {
				return false
			}
			a, err := netip.ParseAddr(string(v))
			if err != nil {
				return false
			}
			if bit == 8 {
				n.SrcIP = a
			} else {
				n.DstIP = a
			}
		case "src_port", "dst_port":
			bit = 32
			if key[0] == 'd' {
				bit = 64
			}
			if p.null() {
				break
			}
			v, ok := p.port()
			if !ok {
				return false
			}
			if bit == 32 {
				n.SrcPort = v
			} else {
				n.DstPort = v
			}
		case "transport":
			bit = 128
			if p.null() {
				break
			}
			v, ok := p.str()
			if !ok {
				return false
			}
			n.Transport = string(v)
		case "protocol":
			bit = 256
			v, ok := p.str()
			if !ok {
				return false
			}
			n.Protocol = string(v)
		case "fields":
			bit = 512
			if p.null() {
				break
			}
			var ok bool
			if fields, ok = p.fields(); !ok {
				return false
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false // a repeated key: encoding/json keeps the last
		}
		seen |= bit
		first = false
		p.space()
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			break
		}
		return false
	}
	p.space()
	if p.i != len(b) || seen&1 == 0 || n.Protocol == "" {
		return false // the slow path says what is wrong
	}
	// encoding/json hands fields over as a map: sorted keys, no repeats.
	for i := 1; i < len(fields); i++ {
		if fields[i-1].Key >= fields[i].Key {
			return false
		}
	}
	if len(fields) > 0 {
		n.Fields = fields // as encoding/json's path leaves an empty object: nil
	}
	*o = n
	return true
}

type reader struct {
	b []byte
	i int
}

func (p *reader) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *reader) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// byte consumes c after optional white space.
func (p *reader) byte(c byte) bool {
	p.space()
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *reader) null() bool {
	p.space()
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// str reads a string without escapes whose bytes are valid UTF-8 and
// contain no control character; anything else is left to encoding/json.
func (p *reader) str() ([]byte, bool) {
	p.space()
	if p.peek() != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			s := p.b[start:j]
			if !utf8.Valid(s) {
				return nil, false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// port reads a JSON integer 0-65535 without sign, fraction or exponent.
func (p *reader) port() (uint16, bool) {
	p.space()
	j := p.i
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	digits := p.b[p.i:j]
	if len(digits) == 0 || len(digits) > 5 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	if j < len(p.b) {
		switch p.b[j] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(digits), 10, 16)
	if err != nil {
		return 0, false
	}
	p.i = j
	return uint16(v), true
}

// fields reads the fields object, in its order.
func (p *reader) fields() ([]Field, bool) {
	if !p.byte('{') {
		return nil, false
	}
	var out []Field
	if p.byte('}') {
		return nil, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.byte(':') {
			return nil, false
		}
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, Field{Key: string(k), Value: string(v)})
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			return out, true
		}
		return nil, false
	}
}
