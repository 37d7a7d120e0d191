// Package modbus reads the server side of Modbus/TCP conversations: the
// building-automation and power devices hospitals run (UPS, power meters,
// chillers, medical gas alarms) answer on TCP 502. Every such server is
// reported once per connection with the unit it answered as; the answers
// to Read Device Identification (function 43, MEI type 14) name its vendor,
// product, model and revision; and an accepted write (functions 5, 6, 15,
// 16, 22, 23) is flagged once, since writes to a controller matter to
// security teams. Register values are never read, and the client's side is
// not looked at: every fact is in the responses.
package modbus

import (
	"encoding/binary"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is Modbus/TCP's registered port.
const Port = 502

const (
	headerLen = 7             // MBAP: transaction, protocol, length, unit
	maxLength = 254           // MBAP length: the unit byte and a PDU of at most 253
	maxFrame  = 6 + maxLength // the longest frame
	maxText   = 128           // longest identification value reported
	fcDevID   = 43            // Encapsulated Interface Transport
	meiDevID  = 14            // its Read Device Identification
	exception = 0x80          // the function code bit of an exception response
	objects   = 7             // standard objects 0x00–0x06; 0x07–0xFF are skipped
	remember  = 4             // identification contents a stream remembers
	maxMisses = 4             // deliveries skipped while looking for a frame start
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x100000001b3
)

// Inspection bounds, in server frames: a poller that never asks for the
// identification is let go after the first frames (the server and a write
// at connection start are known by then); an identification read keeps the
// stream open a little longer for the next category or object, never past
// the hard cap.
const (
	firstFrames   = 32
	afterIdentity = 16
	maxFrames     = 256
)

// objectKeys names the standard objects by id.
var objectKeys = [objects]string{
	"modbus.vendor_name", "modbus.product_code", "modbus.revision", "modbus.vendor_url",
	"modbus.product_name", "modbus.model_name", "modbus.user_application_name",
}

// Dissector reads Modbus/TCP servers' responses.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns a Modbus/TCP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "modbus".
func (*Dissector) Name() string { return "modbus" }

// MatchTCP takes TCP 502 when the payload could begin an MBAP header (as
// far as it goes: a first segment may be a few bytes). Elsewhere the
// payload must be whole frames, each with a PDU whose length fits its
// function code, since a few zero bytes alone would match other binary
// protocols.
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	if sp == Port || dp == Port {
		var hdr [headerLen + 1]byte
		copy(hdr[:], p)
		n := binary.BigEndian.Uint16(hdr[4:6])
		return len(p) > 0 && (len(p) < 4 || hdr[2] == 0 && hdr[3] == 0) &&
			(len(p) < 6 || n >= 2 && n <= maxLength) && (len(p) <= headerLen || hdr[headerLen] != 0)
	}
	n := 0
	for len(p) > 0 {
		total, ok := frameLen(p)
		if !ok || total > len(p) || !plausible(p[headerLen:total]) {
			return false
		}
		p = p[total:]
		n++
	}
	return n > 0
}

// frameLen reads the MBAP header at the start of p: the whole frame's
// length, when the protocol id is Modbus's (0) and the length is possible.
func frameLen(p []byte) (int, bool) {
	if len(p) < headerLen || p[2] != 0 || p[3] != 0 {
		return 0, false
	}
	n := int(binary.BigEndian.Uint16(p[4:6]))
	if n < 2 || n > maxLength {
		return 0, false
	}
	return 6 + n, true
}

// plausible reports whether a PDU's length fits its public function code
// as a request or as a response.
func plausible(pdu []byte) bool {
	fc, n := pdu[0], len(pdu)
	counted := func(at int) bool { return n > at && n == at+1+int(pdu[at]) } // a byte count at pdu[at], then that many bytes
	if fc&exception != 0 {
		return n == 2 && fc != exception && plausibleCode(fc&^exception) && pdu[1] >= 1 && pdu[1] <= 0x0b
	}
	switch fc {
	case 1, 2, 3, 4: // address and quantity; or a byte count and the data
		return n == 5 || counted(1) && pdu[1] > 0
	case 5, 6: // the response echoes the request
		return n == 5
	case 7:
		return n == 1 || n == 2
	case 8:
		return n >= 3
	case 11:
		return n == 1 || n == 5
	case 12, 17, 20, 21:
		return n == 1 && (fc == 12 || fc == 17) || counted(1)
	case 15, 16:
		return n == 5 || counted(5)
	case 22:
		return n == 7
	case 23:
		return counted(1) || counted(9)
	case 24:
		return n == 3 || n >= 5 && n == 3+int(binary.BigEndian.Uint16(pdu[1:3]))
	case fcDevID:
		return n >= 4 && (pdu[1] == meiDevID || pdu[1] == 13)
	}
	return false
}

func plausibleCode(fc byte) bool {
	switch fc {
	case 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, fcDevID:
		return true
	}
	return false
}

// isWrite reports whether fc writes coils or registers.
func isWrite(fc byte) bool {
	switch fc {
	case 5, 6, 15, 16, 22, 23:
		return true
	}
	return false
}

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d, limit: firstFrames} }

type stream struct {
	d       *Dissector
	buf     [maxFrame]byte   // a server frame split across segments
	n       int              // bytes of it in buf
	sided   bool             // respC2S is known
	respC2S bool             // the clientToServer value of the server's direction
	synced  bool             // a frame was read since the start or the last gap
	misses  int              // deliveries that did not start a frame
	lost    bool             // the server's framing is lost: done
	role    bool             // the server was reported
	writes  bool             // an accepted write was reported
	frames  int              // server frames read
	limit   int              // frames read before done
	seen    [remember]uint64 // hashes of the identification contents reported
	nSeen   int
}

// Data reads the server's frames; the client's bytes are skipped.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.over() {
		return true
	}
	if !s.sided {
		s.sided = true
		switch {
		case m.SrcPort == Port && m.DstPort != Port:
			s.respC2S = clientToServer
		case m.DstPort == Port && m.SrcPort != Port:
			s.respC2S = !clientToServer
		default: // off port: the initiator (or the higher port) is the client
			s.respC2S = false
		}
	}
	if clientToServer != s.respC2S {
		return false
	}
	p := data
	if s.n > 0 {
		// Complete the buffered frame: its header first, then the rest.
		take := min(len(p), headerLen-min(s.n, headerLen))
		s.n += copy(s.buf[s.n:], p[:take])
		p = p[take:]
		if s.n < headerLen {
			return false
		}
		total, ok := frameLen(s.buf[:s.n])
		if !ok {
			s.bad()
			return s.over()
		}
		take = min(len(p), total-s.n)
		s.n += copy(s.buf[s.n:], p[:take])
		p = p[take:]
		if s.n < total {
			return false
		}
		s.n = 0
		if !s.frame(m, s.buf[:total], e) {
			s.bad()
			return s.over()
		}
	}
	for len(p) > 0 && !s.over() {
		if len(p) < headerLen {
			s.n = copy(s.buf[:], p)
			break
		}
		total, ok := frameLen(p)
		if !ok {
			s.bad()
			break
		}
		if len(p) < total {
			s.n = copy(s.buf[:], p)
			break
		}
		if !s.frame(m, p[:total], e) {
			s.bad()
			break
		}
		p = p[total:]
	}
	return s.over()
}

// bad handles bytes that are not a frame: once in step with the server
// that is the end (not Modbus, or framing lost); before, at the start of a
// capture taken mid-conversation or after a gap, the rest of the delivery
// is skipped, a few times, in the hope that the next one starts a frame.
func (s *stream) bad() {
	s.n = 0
	s.misses++
	if s.synced || s.misses >= maxMisses {
		s.lost = true
	}
}

func (s *stream) over() bool { return s.lost || s.frames >= s.limit }

// frame reads one whole server frame, reporting whether it was one: until
// the stream is in step its PDU must also fit its function code.
func (s *stream) frame(m *dissect.Meta, f []byte, e observe.Emitter) bool {
	unit, pdu := f[6], f[headerLen:]
	fc := pdu[0]
	if fc == 0 || fc == exception || !s.synced && !plausible(pdu) {
		return false
	}
	s.synced = true
	s.frames++
	ok := fc&exception == 0
	if !s.role || ok && isWrite(fc) && !s.writes {
		o := &s.d.obs
		m.Fill(o, "modbus")
		o.Add("modbus.role", "server")
		o.Add("modbus.unit_id", strconv.Itoa(int(unit)))
		if ok && isWrite(fc) {
			o.Add("modbus.writes", "1")
			s.writes = true
		}
		s.role = true
		e.Emit(o)
	}
	if ok && fc == fcDevID && len(pdu) > 1 && pdu[1] == meiDevID && s.identity(m, unit, pdu, e) {
		s.limit = max(s.limit, min(s.frames+afterIdentity, maxFrames))
	}
	return true
}

// identity reports the standard objects of a Read Device Identification
// response (function, MEI type, read code, conformity, more follows, next
// object, count, then id/length/value objects), unless this stream already
// reported the same. A response that does not hold together is skipped.
// It tells whether it reported anything: a repeat teaches nothing, nor
// does a round of private objects.
func (s *stream) identity(m *dissect.Meta, unit byte, pdu []byte, e observe.Emitter) bool {
	if len(pdu) < 7 {
		return false
	}
	count, objs := int(pdu[6]), pdu[7:]
	// First pass: check the objects and hash the standard ones, so that a
	// repeat costs no allocation.
	var have uint8
	h := (fnvOffset ^ uint64(unit)) * fnvPrime
	p := objs
	for range count {
		if len(p) < 2 || len(p) < 2+int(p[1]) {
			return false
		}
		id, v := p[0], p[2:2+int(p[1])]
		p = p[2+len(v):]
		if id >= objects || have&(1<<id) != 0 {
			continue // reserved, private or repeated
		}
		have |= 1 << id
		h = (h ^ uint64(id)) * fnvPrime
		h = (h ^ uint64(len(v))) * fnvPrime
		for _, c := range v {
			h = (h ^ uint64(c)) * fnvPrime
		}
	}
	if have == 0 {
		return false
	}
	for _, x := range s.seen[:min(s.nSeen, remember)] {
		if x == h {
			return false
		}
	}
	s.seen[s.nSeen%remember] = h
	s.nSeen++

	o := &s.d.obs
	m.Fill(o, "modbus")
	o.Add("modbus.unit_id", strconv.Itoa(int(unit)))
	have, p = 0, objs
	for range count {
		id, v := p[0], p[2:2+int(p[1])]
		p = p[2+len(v):]
		if id >= objects || have&(1<<id) != 0 {
			continue
		}
		have |= 1 << id
		o.Add(objectKeys[id], dissect.Text(&s.d.texts, v, maxText))
	}
	if len(o.Fields) == 1 {
		return false // values that were all blanks or control characters
	}
	e.Emit(o)
	return true
}

// Gap drops a partial server frame and looks for the start of one again
// (servers write a frame per segment, so the next delivery likely is).
// Before the first Data nothing is buffered.
func (s *stream) Gap(clientToServer bool) {
	if s.sided && clientToServer == s.respC2S {
		s.n, s.synced, s.misses = 0, false, 0
	}
}
