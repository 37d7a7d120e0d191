// Package hl7 reads HL7 v2 messages framed by MLLP (0x0B ... 0x1C 0x0D) on
// any TCP port. It reports who talks (MSH sending/receiving application and
// facility, message type, version, acknowledgement code), and, for IHE
// PCD-01 device observation reports, the devices described: OBX-18
// equipment identifiers (EUI-64), PRT device identifiers and the device
// attribute rows (model, serial, software/firmware/hardware revisions,
// manufacturer).
//
// PHI: only MSH, MSA, PRT and the device-attribute OBX rows are ever turned
// into strings. PID, PD1, NK1, PV1, IN1, GT1, OBR, NTE and every clinical
// OBX-5 value stay in the parser's buffer; observations leave through the
// PHI guard (internal/dissect/phi).
package hl7

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/phi"
	"github.com/wardiomt/ward/internal/observe"
)

// MLLP framing bytes.
const (
	startBlock = 0x0B
	endBlock   = 0x1C
)

// maxValue caps any single string taken from the wire.
const maxValue = 256

// Dissector reads HL7 v2 over MLLP.
type Dissector struct {
	cfg   Config
	guard phi.Guard
	obs   observe.Observation
	msg   message
	norm  []byte          // scratch for normalised values
	codes []byte          // scratch for the joined observation codes
	key   []byte          // scratch for a message's repeat key
	bufs  dissect.BufPool // frame and key buffers of ended connections
}

// New returns an HL7 dissector with the default bounds.
func New() *Dissector {
	d, _ := NewWithConfig(defaultConfig())
	return d
}

// NewWithConfig returns an HL7 dissector with cfg.
func NewWithConfig(cfg Config) (*Dissector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dissector{cfg: cfg}, nil
}

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "hl7".
func (*Dissector) Name() string { return "hl7" }

// MatchTCP recognises MLLP by content on any port: the start block followed
// by a message (MSH) or batch/file header (BHS, FHS).
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	return len(p) >= 4 && p[0] == startBlock && isHeader(p[1:4])
}

func isHeader(b []byte) bool {
	return len(b) >= 3 && (string(b[:3]) == "MSH" || string(b[:3]) == "BHS" || string(b[:3]) == "FHS")
}

// NewStream starts one MLLP connection.
func (d *Dissector) NewStream() dissect.Stream {
	s := &stream{d: d}
	for i := range s.dir {
		s.dir[i].buf = d.bufs.Get()
		s.repeat[i].key = d.bufs.Get()
	}
	return s
}

// release hands the buffers back for the next connection; the decoder
// never calls a stream again once it said done or ended.
func (s *stream) release() {
	for i := range s.dir {
		s.d.bufs.Put(s.dir[i].buf)
		s.d.bufs.Put(s.repeat[i].key)
		s.dir[i].buf, s.repeat[i].key = nil, nil
	}
}

type side struct {
	buf    []byte // an incomplete frame (starting at its start block)
	inside bool   // buf holds a frame in progress
	cut    int    // after a gap: buf[:cut] is the complete segments of a cut frame
}

type stream struct {
	d        *Dissector
	dir      [2]side
	messages int
	devices  []uint64 // hashes of device observations already emitted
	// A message that repeats the previous one's header in the same
	// direction (same sender, receiver, type, codes, addressing, hour) is
	// counted instead of becoming an observation of its own: an interface
	// carries thousands. Index 0 is client to server.
	repeat [2]repeat
	cur    int // direction of the frame being parsed
}

// repeat counts the messages that repeated obs since it was emitted.
type repeat struct {
	key      []byte              // normalised header values and addressing
	obs      observe.Observation // the observation emitted for the first of them (owned)
	hour     int64               // Unix hour of the counted messages
	n, oru   int                 // repeats since obs; how many were ORU
	lastSeen time.Time
}

var _ dissect.Ender = (*stream)(nil)

// Data splits the bytes into MLLP frames. Complete frames are parsed in
// place; only a trailing partial frame is copied, up to MaxMessage bytes.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	sd := &s.dir[0]
	s.cur = 0
	if !clientToServer {
		sd, s.cur = &s.dir[1], 1
	}
	if sd.cut > 0 {
		s.flushCut(m, sd, e)
	}
	for len(data) > 0 && s.messages < s.d.cfg.MaxMessages {
		if !sd.inside {
			i := bytes.IndexByte(data, startBlock)
			if i < 0 {
				return false // garbage between frames: resync on the next start block
			}
			data = data[i+1:]
			sd.inside, sd.buf = true, sd.buf[:0]
		}
		j := bytes.IndexByte(data, endBlock)
		if j < 0 {
			if len(sd.buf)+len(data) > s.d.cfg.MaxMessage {
				sd.inside, sd.buf = false, sd.buf[:0] // too big: drop and resync
				continue
			}
			sd.buf = append(sd.buf, data...)
			return false
		}
		frame := data[:j]
		if len(sd.buf) > 0 {
			if len(sd.buf)+j <= s.d.cfg.MaxMessage {
				sd.buf = append(sd.buf, frame...)
				frame = sd.buf
			} else {
				frame = nil
			}
		}
		data = data[j+1:]
		if len(data) > 0 && data[0] == '\r' {
			data = data[1:]
		}
		sd.inside = false
		if len(frame) > 0 {
			s.frame(m, frame, e)
		}
		sd.buf = sd.buf[:0]
	}
	if s.messages >= s.d.cfg.MaxMessages {
		s.flush(e, 0)
		s.flush(e, 1)
		s.release()
		return true
	}
	return false
}

// End emits what a cut frame held and the count of repeated messages not
// yet reported.
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if s.dir[0].cut > 0 {
		s.cur = 0
		s.flushCut(m, &s.dir[0], e)
	}
	if s.dir[1].cut > 0 {
		s.cur = 1
		rm := m.Reverse()
		s.flushCut(&rm, &s.dir[1], e)
	}
	s.flush(e, 0)
	s.flush(e, 1)
	s.release()
}

// flushCut parses the complete segments of a frame that a hole cut (lost
// segments, a capture's short snap length): a whole MSH names the sender
// as well as in a whole frame, with the same segments dropped unread; the
// cut segment is not read. s.cur must be sd's direction.
func (s *stream) flushCut(m *dissect.Meta, sd *side, e observe.Emitter) {
	if s.messages < s.d.cfg.MaxMessages {
		s.frame(m, sd.buf[:sd.cut], e)
	}
	sd.cut, sd.buf = 0, sd.buf[:0]
}

// Gap keeps the complete segments of a partial frame for flushCut; the
// next start block resynchronises.
func (s *stream) Gap(clientToServer bool) {
	sd := &s.dir[0]
	if !clientToServer {
		sd = &s.dir[1]
	}
	if sd.inside {
		sd.cut = bytes.LastIndexByte(sd.buf, '\r') + 1
	}
	sd.inside = false
	if sd.cut == 0 {
		sd.buf = sd.buf[:0]
	}
}

// delims are the separators declared in MSH-1/MSH-2 (or FHS/BHS).
type delims struct {
	field, comp, rep, esc, sub byte
}

var standard = delims{'|', '^', '~', '\\', '&'}

// parseDelims reads the field separator and encoding characters of a
// header segment ("MSH|^~\&|...").
func parseDelims(seg []byte) (delims, bool) {
	if len(seg) < 8 {
		return delims{}, false
	}
	d := delims{field: seg[3], comp: seg[4], rep: seg[5], esc: seg[6], sub: seg[7]}
	if d.sub == d.field { // only three encoding characters declared
		d.sub = 0
	}
	if d.field == 0 || d.field == '\r' || d.field == '\n' {
		return delims{}, false
	}
	return d, true
}

// nextSegment returns the segment at the start of b and the rest, tolerating
// CR, LF and CRLF terminators.
func nextSegment(b []byte) (seg, rest []byte) {
	// Two vectorised scans beat a byte loop: segments end in CR almost always.
	end := bytes.IndexByte(b, '\r')
	within := b
	if end >= 0 {
		within = b[:end]
	}
	if lf := bytes.IndexByte(within, '\n'); lf >= 0 {
		end = lf
	}
	if end < 0 {
		return b, nil
	}
	return b[:end], b[end+1:]
}

// field returns field n of a segment (MSH numbering: MSH-1 is the separator
// itself, so MSH-n is at split index n-1; other segments at index n).
func field(seg []byte, d delims, n int) []byte {
	idx := n
	if len(seg) >= 3 && isHeader(seg) {
		idx = n - 1
	}
	if idx < 0 {
		return nil
	}
	for i := 0; i < idx; i++ {
		j := bytes.IndexByte(seg, d.field)
		if j < 0 {
			return nil
		}
		seg = seg[j+1:]
	}
	if j := bytes.IndexByte(seg, d.field); j >= 0 {
		return seg[:j]
	}
	return seg
}

// splitFields splits seg once into its fields (same numbering as field) up to
// len(out)-1, so a segment read at several positions is scanned once;
// absent fields are nil.
func splitFields(seg []byte, d delims, out [][]byte) {
	clear(out)
	i := 0
	if len(seg) >= 3 && isHeader(seg) {
		i = 1 // MSH-1 is the separator itself
	}
	if i >= len(out) {
		return
	}
	// Eight bytes a step, the separators of each word found at once: a
	// bytes.IndexByte call per field costs more to set up than the field
	// (a few bytes) takes to scan, and a byte loop does eight steps.
	pat := uint64(d.field) * ones8
	start, j := 0, 0
	for ; j+8 <= len(seg); j += 8 {
		v := binary.LittleEndian.Uint64(seg[j:]) ^ pat
		// The high bit of each zero byte of v, exactly (no borrow
		// between bytes: each byte's low seven bits plus 0x7f stay in it).
		m := ^(((v & low7) + low7) | v) & high8
		for m != 0 {
			k := j + bits.TrailingZeros64(m)>>3
			out[i] = seg[start:k]
			if i++; i == len(out) {
				return
			}
			start = k + 1
			m &= m - 1
		}
	}
	for ; j < len(seg); j++ {
		if seg[j] != d.field {
			continue
		}
		out[i] = seg[start:j]
		if i++; i == len(out) {
			return
		}
		start = j + 1
	}
	out[i] = seg[start:]
}

const (
	ones8 = 0x0101010101010101
	low7  = 0x7f7f7f7f7f7f7f7f
	high8 = 0x8080808080808080
)

// component returns component n (1-based) of a field's first repetition.
func component(f []byte, d delims, n int) []byte {
	return dissect.Piece(dissect.Piece(f, d.rep, 0), d.comp, n-1)
}

// repetition returns repetition n (0-based) of a field, or nil.
func repetition(f []byte, d delims, n int) []byte { return dissect.Piece(f, d.rep, n) }

// normalize appends v with the declared delimiters rewritten to the
// standard ones (components '^', repetitions '~', subcomponents '&') and
// the escape sequences \F\ \S\ \T\ \R\ \E\ decoded, so that values compare
// equal whatever encoding characters the sender declared.
func normalize(dst, v []byte, d delims) []byte {
	if d.comp == '^' && d.rep == '~' && (d.sub == '&' || d.sub == 0) && (d.esc == 0 || bytes.IndexByte(v, d.esc) < 0) {
		return append(dst, v...) // standard encoding characters, no escapes: nothing to rewrite
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == d.esc && d.esc != 0:
			end := bytes.IndexByte(v[i+1:], d.esc)
			if end < 0 {
				dst = append(dst, c)
				continue
			}
			seq := v[i+1 : i+1+end]
			i += end + 1
			switch string(seq) {
			case "F":
				dst = append(dst, d.field)
			case "S":
				dst = append(dst, d.comp)
			case "T":
				dst = append(dst, d.sub)
			case "R":
				dst = append(dst, d.rep)
			case "E":
				dst = append(dst, d.esc)
			default: // formatting (\H\, \.br\) and hex/charset escapes: dropped
			}
		case c == d.comp:
			dst = append(dst, '^')
		case c == d.rep:
			dst = append(dst, '~')
		case c == d.sub && d.sub != 0:
			dst = append(dst, '&')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// text normalises v and turns it into a bounded, valid UTF-8 string. Only
// ever called on fields Ward is allowed to emit.
func (dd *Dissector) text(v []byte, d delims) string {
	dd.norm = normalize(dd.norm[:0], v, d)
	b := bytes.TrimSpace(dd.norm)
	if len(b) > maxValue {
		b = b[:maxValue]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// fnv64 is FNV-1a, kept as a value so hashing allocates nothing.
type fnv64 uint64

func newFNV() fnv64 { return 14695981039346656037 }

func (h *fnv64) write(b []byte) {
	for _, c := range b {
		*h = (*h ^ fnv64(c)) * 1099511628211
	}
}

// hashValue adds a field to h as text() would produce its value (an empty
// value is skipped, as Observation.Add skips it), without making a string.
func (dd *Dissector) hashValue(h *fnv64, key string, v []byte, d delims) {
	dd.norm = normalize(dd.norm[:0], v, d)
	b := bytes.TrimSpace(dd.norm)
	if len(b) > maxValue {
		b = b[:maxValue]
	}
	if len(b) == 0 {
		return
	}
	h.write([]byte(key))
	h.write([]byte{0})
	h.write(b)
	h.write([]byte{0})
}
