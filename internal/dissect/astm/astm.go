// Package astm reads the ASTM E1394 / CLSI LIS2-A2 records that clinical
// laboratory analysers exchange with the laboratory information system,
// framed by ASTM E1381 / CLSI LIS1-A (STX FN text ETB|ETX C1 C2 CR LF) or
// sent raw (records separated by CR) over TCP, on any port.
//
// It reports the Header (H) record of each side: the sender name or ID
// (instrument name^software version^serial number by convention), the
// receiver ID, processing ID and version of the standard.
//
// PHI: only the Header record is ever kept or read. Patient (P), Order (O),
// Result (R), Comment (C), Request (Q), Scientific (S), Manufacturer (M)
// and Terminator (L) records are recognised by their first byte and skipped
// as they stream past: their bytes are only summed for the frame checksum,
// never copied into a buffer, let alone into a string. Of the Header, the
// message control ID (H-3), access password (H-4), sender address (H-6),
// telephone (H-8), characteristics (H-9), comment (H-11) and date/time (H-14)
// are never turned into strings either.
package astm

import (
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// E1381 control characters.
const (
	stx = 0x02
	etx = 0x03
	eot = 0x04
	enq = 0x05
	ack = 0x06
	lf  = 0x0A
	cr  = 0x0D
	nak = 0x15
	etb = 0x17
)

// Dissector reads ASTM E1394 over E1381 framing or raw.
type Dissector struct {
	cfg  Config
	obs  observe.Observation
	norm []byte          // scratch for normalised values
	bufs dissect.BufPool // header buffers of ended connections
	// Dropped counts fields the guard refused (a bug: tests keep it zero).
	Dropped uint64
}

// New returns an ASTM dissector with the default bounds.
func New() *Dissector {
	d, _ := NewWithConfig(defaultConfig())
	return d
}

// NewWithConfig returns an ASTM dissector with cfg.
func NewWithConfig(cfg Config) (*Dissector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dissector{cfg: cfg}, nil
}

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "astm".
func (*Dissector) Name() string { return "astm" }

// MatchTCP recognises a Header record by content on any port: framed
// (optional ENQ, STX, frame number 0-7, "H") or raw, followed in both cases
// by four distinct delimiter characters and the field delimiter (or the end
// of the record). A lone ENQ is not enough: one-byte payloads are too common.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	if len(p) > 0 && p[0] == enq {
		p = p[1:]
	}
	if len(p) > 0 && p[0] == stx {
		if len(p) < 2 || p[1] < '0' || p[1] > '7' {
			return false
		}
		p = p[2:]
	}
	return isHeaderStart(p)
}

// isHeaderStart reports whether p begins "H" + field, repeat, component and
// escape delimiters (printable, not letters or digits, all different) +
// the field delimiter or a record end.
func isHeaderStart(p []byte) bool {
	if len(p) < 6 || p[0] != 'H' {
		return false
	}
	for i := 1; i <= 4; i++ {
		if !isDelim(p[i]) {
			return false
		}
		for j := 1; j < i; j++ {
			if p[j] == p[i] {
				return false
			}
		}
	}
	return p[5] == p[1] || p[5] == cr || p[5] == lf
}

func isDelim(c byte) bool {
	return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
}

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream {
	s := &stream{d: d}
	for i := range s.dir {
		s.dir[i].recNew = true
	}
	return s
}

// Parser states of one direction.
const (
	stIdle   = iota // between frames or records
	stFN            // after STX: the frame number
	stText          // inside a frame's text
	stC1            // after ETB/ETX: first checksum digit
	stC2            // second checksum digit
	stRaw           // inside an unframed record
	stResync        // after a gap: wait for STX or a record end
)

// side is the parser of one direction.
type side struct {
	st      uint8
	framed  bool // E1381 frames seen: bytes outside frames are skipped
	sum     byte // checksum of the frame so far (FN through ETB/ETX)
	c1      byte // first checksum digit received
	term    byte // ETB or ETX that ended the frame text
	fn      byte // this frame's number
	lastFN  byte // previous frame's number, 0 before any
	lastETB bool // previous frame was intermediate
	recNew  bool // the next record byte starts a record
	keep    bool // the record in progress is a Header, kept in buf
	hdrDone bool // buf holds a complete Header awaiting its frame's checksum
	hdrBad  bool // a frame carrying the kept Header failed its checksum
	start   int  // len(buf) when the current frame started
	buf     []byte
	// reported and last: a Header was emitted for this direction, and the
	// hash of its values (a repeated Header is not reported again).
	reported bool
	last     uint64
}

type stream struct {
	d        *Dissector
	dir      [2]side
	messages int // Header records read
	records  int // records of any type
	released bool
}

var _ dissect.Ender = (*stream)(nil)

// Data runs the bytes through the direction's parser. Only a Header record
// in progress is copied, up to MaxRecord bytes.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	di := 0
	if !clientToServer {
		di = 1
	}
	sd := &s.dir[di]
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch sd.st {
		case stIdle:
			switch {
			case c == stx:
				sd.framed, sd.st = true, stFN
			case c == cr || c == lf || c < ' ' || sd.framed:
				// ENQ, ACK, NAK, EOT, line ends; outside a frame when
				// framed: nothing to read.
			default:
				sd.st = stRaw
				s.recByte(sd, c)
			}
		case stRaw:
			switch c {
			case cr, lf:
				sd.st = stIdle
				s.recEnd(m, sd, e)
			case stx: // framing starts: the unframed bytes were noise
				s.dropRecord(sd)
				sd.framed, sd.st = true, stFN
			default:
				s.recByte(sd, c)
			}
		case stFN:
			switch {
			case c >= '0' && c <= '7':
				s.frameStart(sd, c)
			case c == stx:
			default:
				s.dropRecord(sd)
				sd.st = stIdle
			}
		case stText:
			switch c {
			case etb, etx:
				sd.sum += c
				sd.term, sd.st = c, stC1
			case stx: // a new frame before this one ended
				s.dropRecord(sd)
				sd.st = stFN
			case cr, lf:
				sd.sum += c
				s.recEnd(m, sd, e)
			default:
				sd.sum += c
				s.recByte(sd, c)
			}
		case stC1:
			if c == stx {
				s.dropRecord(sd)
				sd.st = stFN
				continue
			}
			sd.c1, sd.st = c, stC2
		case stC2:
			if c == stx {
				s.dropRecord(sd)
				sd.st = stFN
				continue
			}
			sd.st = stIdle
			s.frameEnd(m, sd, hexVal(sd.c1)<<4|hexVal(c) == int(sd.sum) && isHex(sd.c1) && isHex(c), e)
		case stResync:
			switch c {
			case stx:
				sd.framed, sd.st, sd.recNew = true, stFN, true
			case cr, lf:
				sd.st, sd.recNew = stIdle, true
			}
		}
		if s.finished() {
			s.release()
			return true
		}
	}
	return false
}

// finished reports whether inspection can stop: both sides reported their
// Header, or enough messages or records went by.
func (s *stream) finished() bool {
	return (s.dir[0].reported && s.dir[1].reported) || s.messages >= s.d.cfg.MaxMessages || s.records >= s.d.cfg.MaxRecords
}

// frameStart begins a frame's text after STX FN. A frame that repeats the
// previous intermediate frame's number is its retransmission (after a
// NAK): the Header text it carried is taken back.
func (s *stream) frameStart(sd *side, fn byte) {
	if sd.lastETB && fn == sd.lastFN && sd.keep {
		sd.buf = sd.buf[:min(sd.start, len(sd.buf))]
	}
	sd.fn, sd.sum, sd.st = fn, fn, stText
	sd.start = len(sd.buf)
}

// frameEnd closes a frame whose checksum was (not) ok. An ETX frame ends
// its record; an ETB frame's record goes on in the next frame. A Header
// completed in this frame is reported now, with the checksum's verdict.
func (s *stream) frameEnd(m *dissect.Meta, sd *side, ok bool, e observe.Emitter) {
	if sd.keep || sd.hdrDone {
		sd.hdrBad = sd.hdrBad || !ok
	}
	sd.lastFN, sd.lastETB = sd.fn, sd.term == etb
	if sd.term == etx && !sd.recNew {
		// A record ended by ETX without its CR.
		if sd.keep {
			sd.keep, sd.hdrDone = false, true
		}
		sd.recNew = true
	}
	if sd.hdrDone {
		s.header(m, sd, "e1381", sd.hdrBad, e)
		sd.hdrDone, sd.hdrBad, sd.buf = false, false, sd.buf[:0]
	}
}

// recByte takes one byte of a record's text. The first byte names the
// record type: only a Header is kept; any other record is skipped.
func (s *stream) recByte(sd *side, c byte) {
	if sd.recNew {
		sd.recNew = false
		s.records++
		sd.keep = c == 'H' && !sd.hdrDone
		if sd.keep {
			if sd.buf == nil {
				sd.buf = s.d.bufs.Get()
			}
			sd.buf, sd.hdrBad, sd.start = sd.buf[:0], false, 0
		}
	}
	if !sd.keep {
		return
	}
	if len(sd.buf) >= s.d.cfg.MaxRecord {
		sd.keep, sd.buf = false, sd.buf[:0] // too long: skipped
		return
	}
	sd.buf = append(sd.buf, c)
}

// recEnd ends a record at its CR (LF tolerated). An unframed Header is
// reported now; a framed one when its frame's checksum has been read.
func (s *stream) recEnd(m *dissect.Meta, sd *side, e observe.Emitter) {
	if sd.recNew {
		return // an empty record, or the LF of CR LF
	}
	sd.recNew = true
	if !sd.keep {
		return
	}
	sd.keep = false
	if sd.st == stText {
		sd.hdrDone = true
		return
	}
	s.header(m, sd, "raw", false, e)
	sd.buf = sd.buf[:0]
}

// dropRecord forgets the record in progress (framing broke inside it).
func (s *stream) dropRecord(sd *side) {
	sd.keep, sd.hdrDone, sd.hdrBad, sd.recNew = false, false, false, true
	sd.buf = sd.buf[:0]
}

// Gap drops the direction's partial record; the next STX or record end
// resynchronises.
func (s *stream) Gap(clientToServer bool) {
	sd := &s.dir[0]
	if !clientToServer {
		sd = &s.dir[1]
	}
	s.dropRecord(sd)
	sd.recNew, sd.lastETB = false, false
	sd.st = stResync
}

// End hands the buffers back; every Header was reported when it ended.
func (s *stream) End(_ *dissect.Meta, _ observe.Emitter) { s.release() }

func (s *stream) release() {
	if s.released {
		return
	}
	s.released = true
	for i := range s.dir {
		s.d.bufs.Put(s.dir[i].buf)
		s.dir[i].buf = nil
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return 0
}
