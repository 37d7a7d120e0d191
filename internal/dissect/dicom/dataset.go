package dicom

import (
	"encoding/binary"
	"fmt"

	"github.com/wardiomt/ward/internal/dissect"
)

// syntax is how a dataset is encoded: VR explicit or implicit, byte order.
type syntax struct {
	explicit  bool
	bigEndian bool
	deflated  bool // Explicit VR LE after raw deflate
}

var (
	implicitLE = syntax{}
	explicitLE = syntax{explicit: true}
	explicitBE = syntax{explicit: true, bigEndian: true}
	deflatedLE = syntax{explicit: true, deflated: true}
)

// syntaxOf maps an accepted transfer syntax UID to its dataset encoding.
// Every encapsulated (compressed pixel data) syntax keeps the dataset in
// Explicit VR Little Endian; only the pixel data differs.
func syntaxOf(uid []byte) syntax {
	switch string(uid) {
	case tsImplicitLE:
		return implicitLE
	case tsExplicitBE:
		return explicitBE
	case tsDeflatedLE:
		return deflatedLE
	}
	return explicitLE
}

// sniffSyntax guesses the encoding of a dataset whose presentation context
// was negotiated before the capture started. Datasets begin with a low even
// group (0008 in practice); an explicit VR shows as two capital letters.
func sniffSyntax(b []byte) syntax {
	if len(b) < 6 {
		return implicitLE
	}
	upper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	explicit := upper(b[4]) && upper(b[5])
	switch {
	case b[1] == 0 && b[0] != 0 && b[0]%2 == 0:
		if explicit {
			return explicitLE
		}
		return implicitLE
	case b[0] == 0 && b[1] != 0 && b[1]%2 == 0:
		return explicitBE
	}
	return deflatedLE
}

// The device attributes Ward reads, in tag order. Nothing else in a dataset
// is ever turned into a string.
const (
	idModality = iota
	idManufacturer
	idInstitution
	idStation
	idModel
	idSerial
	idSoftware
	numID
)

var idTags = [numID]uint32{
	idModality:     0x00080060,
	idManufacturer: 0x00080070,
	idInstitution:  0x00080080,
	idStation:      0x00081010,
	idModel:        0x00081090,
	idSerial:       0x00181000,
	idSoftware:     0x00181020,
}

var idKeys = [numID]string{
	idModality:     "dicom.modality",
	idManufacturer: "dicom.manufacturer",
	idInstitution:  "dicom.institution",
	idStation:      "dicom.station_name",
	idModel:        "dicom.model",
	idSerial:       "dicom.serial",
	idSoftware:     "dicom.software_versions",
}

// lastIDTag is Software Versions: top-level elements are in ascending tag
// order, so the first top-level tag after it ends the search.
const lastIDTag = 0x00181020

const undefinedLength = 0xFFFFFFFF

// Item and delimiter tags (group FFFE never has a VR, even in explicit VR).
const (
	tagItem          = 0xFFFEE000
	tagItemDelim     = 0xFFFEE00D
	tagSequenceDelim = 0xFFFEE0DD
)

// maxDepth bounds sequence nesting; real objects rarely exceed 5.
const maxDepth = 32

// identity holds the device attributes found, as slices into the parsed
// buffer (valid until that buffer changes).
type identity struct {
	vals [numID][]byte
}

func (id *identity) reset() { *id = identity{} }

func (id *identity) found() bool {
	for _, v := range id.vals {
		if len(v) > 0 {
			return true
		}
	}
	return false
}

// longVR reports the explicit VRs with a 2-byte reserved field and a 4-byte length.
func longVR(a, b byte) bool {
	vr := func(s string) uint16 { return uint16(s[0])<<8 | uint16(s[1]) }
	switch uint16(a)<<8 | uint16(b) {
	case vr("OB"), vr("OD"), vr("OF"), vr("OL"), vr("OV"), vr("OW"), vr("SQ"),
		vr("SV"), vr("UC"), vr("UN"), vr("UR"), vr("UT"), vr("UV"):
		return true
	}
	return false
}

// element is one parsed element header.
type element struct {
	tag    uint32
	vr     [2]byte
	length uint32
	hdr    int
}

func (s syntax) u16(b []byte) uint16 {
	if s.bigEndian {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (s syntax) u32(b []byte) uint32 {
	if s.bigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// header reads the element header at b[off:].
func (s syntax) header(b []byte, off int) (element, error) {
	if len(b)-off < 8 {
		return element{}, fmt.Errorf("element header at %d: %w", off, dissect.ErrTruncated)
	}
	p := b[off:]
	var el element
	el.tag = uint32(s.u16(p[0:2]))<<16 | uint32(s.u16(p[2:4]))
	if !s.explicit || el.tag>>16 == 0xFFFE {
		el.length, el.hdr = s.u32(p[4:8]), 8
		return el, nil
	}
	el.vr = [2]byte{p[4], p[5]}
	if longVR(p[4], p[5]) {
		if len(p) < 12 {
			return element{}, fmt.Errorf("element header at %d: %w", off, dissect.ErrTruncated)
		}
		el.length, el.hdr = s.u32(p[8:12]), 12
		return el, nil
	}
	el.length, el.hdr = uint32(s.u16(p[6:8])), 8
	return el, nil
}

// nested is the encoding of an element's contents: an undefined-length UN
// holds Implicit VR Little Endian (PS3.5 6.2.2).
func (s syntax) nested(el element) syntax {
	if s.explicit && el.vr == [2]byte{'U', 'N'} {
		return implicitLE
	}
	return s
}

// parseDataset walks the top-level elements of b, recording the device
// attributes in id. It reports passed=true once a top-level tag beyond
// Software Versions is reached: the identity is then complete. An error
// wrapping ErrTruncated means b ended inside an element (more may come).
func parseDataset(b []byte, s syntax, id *identity) (passed bool, err error) {
	off := 0
	for off < len(b) {
		el, err := s.header(b, off)
		if err != nil {
			return false, err
		}
		if el.tag>>16 != 0xFFFE && el.tag > lastIDTag {
			return true, nil
		}
		off += el.hdr
		if el.length == undefinedLength {
			if off, err = skipItems(b, off, s.nested(el), 1); err != nil {
				return false, err
			}
			continue
		}
		end := off + int(el.length)
		if int(el.length) > len(b)-off {
			return false, fmt.Errorf("element %08x length %d: %w", el.tag, el.length, dissect.ErrTruncated)
		}
		for i, t := range idTags {
			if t == el.tag {
				id.vals[i] = b[off:end]
				break
			}
		}
		off = end
	}
	return false, nil
}

// skipItems skips the items of an undefined-length sequence (or encapsulated
// pixel data) starting at off, up to and including its sequence delimiter.
func skipItems(b []byte, off int, s syntax, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("sequences nested deeper than %d: %w", maxDepth, dissect.ErrMalformed)
	}
	for {
		if len(b)-off < 8 {
			return 0, fmt.Errorf("sequence item at %d: %w", off, dissect.ErrTruncated)
		}
		tag := uint32(s.u16(b[off:]))<<16 | uint32(s.u16(b[off+2:]))
		length := s.u32(b[off+4:])
		off += 8
		switch tag {
		case tagSequenceDelim:
			return off, nil
		case tagItem:
			if length == undefinedLength {
				var err error
				if off, err = skipElements(b, off, s, depth+1); err != nil {
					return 0, err
				}
				continue
			}
			if int(length) > len(b)-off {
				return 0, fmt.Errorf("sequence item length %d: %w", length, dissect.ErrTruncated)
			}
			off += int(length)
		default:
			return 0, fmt.Errorf("tag %08x inside a sequence: %w", tag, dissect.ErrMalformed)
		}
	}
}

// skipElements skips the elements of an undefined-length item, up to and
// including its item delimiter.
func skipElements(b []byte, off int, s syntax, depth int) (int, error) {
	for {
		el, err := s.header(b, off)
		if err != nil {
			return 0, err
		}
		off += el.hdr
		if el.tag == tagItemDelim {
			return off, nil
		}
		if el.length == undefinedLength {
			if off, err = skipItems(b, off, s.nested(el), depth+1); err != nil {
				return 0, err
			}
			continue
		}
		if int(el.length) > len(b)-off {
			return 0, fmt.Errorf("element %08x length %d: %w", el.tag, el.length, dissect.ErrTruncated)
		}
		off += int(el.length)
	}
}

// command is what Ward reads of a DIMSE command set (group 0000, always
// Implicit VR Little Endian): the command, its SOP class and whether a
// dataset follows. Instance UIDs and everything else are skipped.
type command struct {
	field     uint16
	hasField  bool
	sopClass  []byte
	noDataset bool
}

func parseCommand(b []byte) (command, error) {
	var c command
	off := 0
	for off < len(b) {
		el, err := implicitLE.header(b, off)
		if err != nil {
			return c, err
		}
		off += el.hdr
		if el.length == undefinedLength || int(el.length) > len(b)-off {
			return c, fmt.Errorf("command element %08x length %d: %w", el.tag, el.length, dissect.ErrMalformed)
		}
		v := b[off : off+int(el.length)]
		off += int(el.length)
		switch el.tag {
		case 0x00000002, 0x00000003: // Affected / Requested SOP Class UID
			c.sopClass = v
		case 0x00000100:
			if len(v) >= 2 {
				c.field, c.hasField = binary.LittleEndian.Uint16(v), true
			}
		case 0x00000800:
			if len(v) >= 2 {
				c.noDataset = binary.LittleEndian.Uint16(v) == 0x0101
			}
		}
	}
	if !c.hasField {
		return c, fmt.Errorf("command without command field: %w", dissect.ErrMalformed)
	}
	return c, nil
}
