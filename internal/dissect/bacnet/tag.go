package bacnet

import (
	"encoding/binary"
	"fmt"

	"github.com/wardiomt/ward/internal/dissect"
)

// Bounds on what one datagram may make the reader do. A BACnet/IP datagram
// is at most 1497 bytes on Ethernet, but reassembled IP fragments reach 64 KiB.
const (
	maxTags    = 2048 // tags read per datagram
	maxDepth   = 8    // nested opening tags inside one property value
	maxResults = 64   // read-access results of a ReadPropertyMultiple-ACK
)

var (
	errTruncated = fmt.Errorf("bacnet: %w", dissect.ErrTruncated)
	errMalformed = fmt.Errorf("bacnet: %w", dissect.ErrMalformed)
	errTooDeep   = fmt.Errorf("bacnet: nesting deeper than %d: %w", maxDepth, dissect.ErrMalformed)
	errTooMany   = fmt.Errorf("bacnet: more than %d tags: %w", maxTags, dissect.ErrMalformed)
)

type tagKind uint8

const (
	primitive tagKind = iota
	opening
	closing
)

// tag is one BACnet tag header (ASHRAE 135 clause 20.2.1).
type tag struct {
	num     uint8 // tag number; 15 and up come from the extended form
	context bool  // class bit: context-specific, else application
	kind    tagKind
	lvt     uint8  // the header's length/value/type bits (an application boolean's value)
	length  uint32 // content octets following the header; 0 for opening and closing tags
	hdr     int    // header octets
}

// BACnet application tag numbers used here.
const (
	appBoolean   = 1
	appUnsigned  = 2
	appCharStr   = 7
	appEnum      = 9
	appObjectID  = 12
	objectDevice = 8
)

// readTag reads the tag at the start of b and checks that its content fits
// in b.
func readTag(b []byte) (tag, error) {
	if len(b) == 0 {
		return tag{}, errTruncated
	}
	t := tag{num: b[0] >> 4, context: b[0]&0x08 != 0, lvt: b[0] & 0x07, hdr: 1}
	if t.num == 15 {
		if len(b) < 2 {
			return tag{}, errTruncated
		}
		if b[1] == 255 { // reserved
			return tag{}, errMalformed
		}
		t.num, t.hdr = b[1], 2
	}
	switch {
	case t.lvt == 6 || t.lvt == 7:
		// Only context tags open and close constructed data.
		if !t.context {
			return tag{}, errMalformed
		}
		t.kind = opening
		if t.lvt == 7 {
			t.kind = closing
		}
		return t, nil
	case !t.context && t.num == appBoolean:
		// The value is in the header; there is no content.
		if t.lvt > 1 {
			return tag{}, errMalformed
		}
		return t, nil
	case t.lvt == 5:
		if len(b) < t.hdr+1 {
			return tag{}, errTruncated
		}
		ext := b[t.hdr]
		t.hdr++
		switch ext {
		case 254:
			if len(b) < t.hdr+2 {
				return tag{}, errTruncated
			}
			t.length = uint32(binary.BigEndian.Uint16(b[t.hdr:]))
			t.hdr += 2
		case 255:
			if len(b) < t.hdr+4 {
				return tag{}, errTruncated
			}
			t.length = binary.BigEndian.Uint32(b[t.hdr:])
			t.hdr += 4
		default:
			t.length = uint32(ext)
		}
	default:
		t.length = uint32(t.lvt)
	}
	if uint64(t.length) > uint64(len(b)-t.hdr) {
		return tag{}, errTruncated
	}
	return t, nil
}

func (t tag) isContext(n uint8) bool { return t.context && t.kind == primitive && t.num == n }
func (t tag) isOpening(n uint8) bool { return t.kind == opening && t.num == n }
func (t tag) isClosing(n uint8) bool { return t.kind == closing && t.num == n }
func (t tag) isApp(n uint8) bool     { return !t.context && t.kind == primitive && t.num == n }

// reader walks the tags of one APDU's service data, within a tag budget.
type reader struct {
	b      []byte
	budget int
}

func newReader(b []byte) reader { return reader{b: b, budget: maxTags} }

func (r *reader) empty() bool { return len(r.b) == 0 }

// next reads one tag and its content.
func (r *reader) next() (tag, []byte, error) {
	if r.budget <= 0 {
		return tag{}, nil, errTooMany
	}
	r.budget--
	t, err := readTag(r.b)
	if err != nil {
		return tag{}, nil, err
	}
	end := t.hdr + int(t.length)
	v := r.b[t.hdr:end:end]
	r.b = r.b[end:]
	return t, v, nil
}

// value reads the rest of a constructed value whose opening tag num was just
// read, up to and including its closing tag. It returns the first
// application-tagged primitive at the top level (what a property such as
// vendor-name holds); the rest, nested values included, is skipped. Opening
// and closing tags must pair up, at most maxDepth deep.
func (r *reader) value(num uint8) (first tag, v []byte, found bool, err error) {
	var stack [maxDepth]uint8
	depth := 0
	for {
		t, val, err := r.next()
		if err != nil {
			return tag{}, nil, false, err
		}
		switch t.kind {
		case opening:
			if depth == maxDepth {
				return tag{}, nil, false, errTooDeep
			}
			stack[depth] = t.num
			depth++
		case closing:
			if depth == 0 {
				if t.num != num {
					return tag{}, nil, false, errMalformed
				}
				return first, v, found, nil
			}
			depth--
			if stack[depth] != t.num {
				return tag{}, nil, false, errMalformed
			}
		default:
			if depth == 0 && !t.context && !found {
				first, v, found = t, val, true
			}
		}
	}
}

// unsigned decodes a BACnet Unsigned (or Enumerated) of 1 to 4 octets.
func unsigned(v []byte) (uint32, bool) {
	if len(v) == 0 || len(v) > 4 {
		return 0, false
	}
	var n uint32
	for _, c := range v {
		n = n<<8 | uint32(c)
	}
	return n, true
}

// objectID splits a BACnetObjectIdentifier into object type and instance.
func objectID(v []byte) (typ, instance uint32, ok bool) {
	if len(v) != 4 {
		return 0, 0, false
	}
	n := binary.BigEndian.Uint32(v)
	return n >> 22, n & 0x3fffff, true
}
