package kerberos

import (
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// NewStream starts one TCP connection to a KDC, reusing a finished one.
func (d *Dissector) NewStream() dissect.Stream {
	if s := d.free.Get(); s != nil {
		*s = stream{d: d}
		return s
	}
	return &stream{d: d}
}

var (
	_ dissect.Stream = (*stream)(nil)
	_ dissect.Ender  = (*stream)(nil)
)

// side is one direction of a connection: records of a 4-byte big-endian
// length and one message (RFC 4120 §7.2.2).
type side struct {
	hdr  [4]byte
	hdrN int    // bytes of the length prefix read
	need int    // the record's length, once the prefix is read
	buf  []byte // the record so far, when it arrives in pieces
	skip int    // bytes of an oversized record still to pass over
	n    int    // records read
	done bool
}

type stream struct {
	d        *Dissector
	dir      [2]side // index 0: client to server
	released bool    // reported done and put on the free list
}

func idx(clientToServer bool) int {
	if clientToServer {
		return 0
	}
	return 1
}

// Data frames records, reading whole ones in place and buffering only
// those split across deliveries. It reports done once both directions
// have had MaxMessages records, or stopped on something not Kerberos.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	sd := &s.dir[idx(clientToServer)]
	for len(data) > 0 && !sd.done {
		switch {
		case sd.skip > 0:
			k := min(sd.skip, len(data))
			sd.skip -= k
			data = data[k:]
			if sd.skip == 0 {
				s.next(sd)
			}
		case sd.hdrN < len(sd.hdr):
			k := copy(sd.hdr[sd.hdrN:], data)
			sd.hdrN += k
			data = data[k:]
			if sd.hdrN < len(sd.hdr) {
				continue
			}
			switch n := recordLen(sd.hdr[:]); {
			case n <= 0:
				sd.done = true // the reserved bit (an extension) or not Kerberos
			case n > s.d.cfg.MaxRecord:
				sd.skip = n
			default:
				sd.need = n
			}
		case len(sd.buf) == 0 && len(data) >= sd.need:
			rec := data[:sd.need]
			data = data[sd.need:]
			s.record(m, sd, rec, e)
		case len(sd.buf) == 0 && !isMessageTag(data[0]):
			sd.done = true // not worth buffering
		default:
			if sd.buf == nil {
				sd.buf = s.d.bufs.Get()
			}
			k := min(sd.need-len(sd.buf), len(data))
			sd.buf = append(sd.buf, data[:k]...)
			data = data[k:]
			if len(sd.buf) == sd.need {
				s.record(m, sd, sd.buf, e)
				sd.buf = sd.buf[:0]
			}
		}
	}
	if s.dir[0].done && s.dir[1].done {
		s.release()
		return true
	}
	return false
}

// record reads one whole record's message; anything but a KDC message
// ends the direction.
func (s *stream) record(m *dissect.Meta, sd *side, rec []byte, e observe.Emitter) {
	if s.d.dissect(m, rec, e) != nil {
		sd.done = true
	}
	s.next(sd)
}

// next readies sd for the following record.
func (s *stream) next(sd *side) {
	sd.hdrN, sd.need = 0, 0
	if sd.n++; sd.n >= s.d.cfg.MaxMessages {
		sd.done = true
	}
}

// Gap ends the direction: a record boundary cannot be found again.
func (s *stream) Gap(clientToServer bool) { s.dir[idx(clientToServer)].done = true }

// End hands the stream back for reuse when the connection closes first.
func (s *stream) End(*dissect.Meta, observe.Emitter) {
	if !s.released {
		s.release()
	}
}

// release returns the buffers and the stream for reuse; the decoder never
// calls a stream again once it reported done or ended.
func (s *stream) release() {
	s.released = true
	for i := range s.dir {
		if s.dir[i].buf != nil {
			s.d.bufs.Put(s.dir[i].buf)
			s.dir[i].buf = nil
		}
	}
	s.d.free.Put(s)
}
