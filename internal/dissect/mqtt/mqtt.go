// Package mqtt reads the start of a cleartext MQTT connection (3.1, 3.1.1
// and 5.0) on any TCP port: the client's CONNECT, which names the protocol
// version and the client identifier (devices use their serial number, MAC
// or model there), and the broker's CONNACK. Whether a password was sent in
// cleartext and whether the broker let a client in without credentials are
// flagged; user names, passwords, will topics and messages are never read.
package mqtt

import (
	"encoding/binary"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Packet types (high nibble of the first byte).
const (
	typeConnect = 1
	typeConnack = 2
)

const (
	maxPacket = 64 << 10 // a CONNECT bigger than this is not buffered
	maxText   = 128
)

// Dissector reads MQTT connection set-up.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns an MQTT dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "mqtt".
func (*Dissector) Name() string { return "mqtt" }

// MatchTCP recognises a CONNECT: type 1, a valid remaining length, and the
// protocol name MQTT (or MQIsdp, 3.1's).
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	if len(p) < 2 || p[0] != typeConnect<<4 {
		return false
	}
	_, n, ok := remaining(p[1:])
	if !ok || len(p) < 1+n+2 {
		return false
	}
	name, _, ok := str(p[1+n:])
	return ok && (string(name) == "MQTT" || string(name) == "MQIsdp")
}

// remaining decodes the variable-length "remaining length" (1–4 bytes).
func remaining(p []byte) (length, size int, ok bool) {
	mult := 1
	for i := 0; i < 4 && i < len(p); i++ {
		length += int(p[i]&0x7f) * mult
		if p[i]&0x80 == 0 {
			return length, i + 1, true
		}
		mult *= 128
	}
	return 0, 0, false
}

// str reads a 2-byte-length-prefixed string.
func str(p []byte) (s, rest []byte, ok bool) {
	if len(p) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(p))
	if n > len(p)-2 {
		return nil, nil, false
	}
	return p[2 : 2+n], p[2+n:], true
}

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type side struct {
	buf  []byte
	done bool
}

type stream struct {
	d          *Dissector
	dir        [2]side // index 0: client to server
	connected  bool    // a CONNECT was read
	credential bool    // it carried a user name
}

// Data buffers each side's first packet and reads it.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	i := 1
	if clientToServer {
		i = 0
	}
	sd := &s.dir[i]
	if !sd.done {
		// prev bytes of the packet arrived before data.
		p, prev := data, len(sd.buf)
		if prev > 0 {
			sd.buf = append(sd.buf, data[:min(len(data), maxPacket-prev)]...)
			p = sd.buf
		}
		want := byte(typeConnack)
		if clientToServer {
			want = typeConnect
		}
		length, n, ok := remaining(p[min(1, len(p)):])
		switch {
		case len(p) > 0 && p[0]>>4 != want, !ok && len(p) >= 5, ok && 1+n+length > maxPacket:
			sd.done, sd.buf = true, nil // not a CONNECT/CONNACK, not MQTT framing, or more than Ward buffers
		case ok && len(p) >= 1+n+length:
			s.packet(m, clientToServer, p[0]>>4, p[1+n:1+n+length], e)
			sd.done, sd.buf = true, nil
		case prev == 0: // incomplete: keep it
			sd.buf = append(sd.buf, data...)
		}
	}
	return s.dir[0].done && s.dir[1].done
}

func (s *stream) packet(m *dissect.Meta, clientToServer bool, typ byte, body []byte, e observe.Emitter) {
	d := s.d
	o := &d.obs
	m.Fill(o, "mqtt")
	switch {
	case clientToServer && typ == typeConnect:
		if !s.connect(o, body) {
			return
		}
	case !clientToServer && typ == typeConnack && s.connected && len(body) >= 2:
		code := body[1]
		o.Add("mqtt.packet", "connack")
		if code == 0 {
			o.Add("mqtt.connack", "accepted")
			if !s.credential {
				o.Add("mqtt.anonymous", "accepted") // the broker let in a client that gave no user name
			}
		} else {
			o.Add("mqtt.connack", "refused")
		}
	default:
		return
	}
	e.Emit(o)
}

// connect reads a CONNECT's variable header and client identifier.
func (s *stream) connect(o *observe.Observation, body []byte) bool {
	name, rest, ok := str(body)
	if !ok || len(rest) < 4 || (string(name) != "MQTT" && string(name) != "MQIsdp") {
		return false
	}
	level, flags := rest[0], rest[1]
	rest = rest[4:] // level, flags, keep-alive
	if level == 5 {
		// Properties: a variable-length count of bytes to skip.
		n, size, ok := remaining(rest)
		if !ok || size+n > len(rest) {
			return false
		}
		rest = rest[size+n:]
	}
	id, _, ok := str(rest)
	if !ok {
		return false
	}
	s.connected = true
	s.credential = flags&0x80 != 0
	o.Add("mqtt.packet", "connect")
	switch level {
	case 3:
		o.Add("mqtt.protocol_version", "3.1")
	case 4:
		o.Add("mqtt.protocol_version", "3.1.1")
	case 5:
		o.Add("mqtt.protocol_version", "5.0")
	}
	o.Add("mqtt.client_id", dissect.Text(&s.d.texts, id, maxText))
	if flags&0x40 != 0 {
		o.Add("mqtt.cleartext_password", "seen")
	}
	return true
}

// Gap: framing is lost in that direction.
func (s *stream) Gap(clientToServer bool) {
	if clientToServer {
		s.dir[0].done = true
	} else {
		s.dir[1].done = true
	}
}
