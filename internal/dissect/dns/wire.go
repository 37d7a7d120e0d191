package dns

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
)

// Wire parsing shared with mDNS (RFC 1035 §4, RFC 6762). Message.Parse
// records offsets only, never slices of the input, so a Message can be kept
// and reused without holding on to a packet buffer.

// Record types Ward reads.
const (
	TypeA     uint16 = 1
	TypeNS    uint16 = 2
	TypeCNAME uint16 = 5
	TypeSOA   uint16 = 6
	TypePTR   uint16 = 12
	TypeHINFO uint16 = 13
	TypeMX    uint16 = 15
	TypeTXT   uint16 = 16
	TypeAAAA  uint16 = 28
	TypeSRV   uint16 = 33
	TypeOPT   uint16 = 41
	TypeNSEC  uint16 = 47
	TypeHTTPS uint16 = 65
	TypeANY   uint16 = 255
)

// Section tells where a resource record was found.
type Section uint8

// Sections of a DNS message after the question.
const (
	Answer Section = iota
	Authority
	Additional
)

// Limits keep the work per datagram bounded whatever the counts claim.
const (
	maxNameWire = 255 // RFC 1035 limit on a name's wire length
	maxJumps    = 32  // compression pointers followed per name
	// MaxRecords caps the questions and records kept per message.
	MaxRecords = 256
)

// Name errors are built once: names are decoded for every record, and a
// hostile datagram must not turn each failure into an allocation.
var (
	errHeader        = fmt.Errorf("dns header: %w", dissect.ErrTruncated)
	errNameTruncated = fmt.Errorf("dns name runs past the message: %w", dissect.ErrTruncated)
	errNameTooLong   = fmt.Errorf("dns name longer than %d bytes: %w", maxNameWire, dissect.ErrMalformed)
	errNameLoop      = fmt.Errorf("dns name has more than %d compression pointers: %w", maxJumps, dissect.ErrMalformed)
	errLabelType     = fmt.Errorf("dns name uses an obsolete label type: %w", dissect.ErrMalformed)
)

// Header is the fixed 12-byte DNS header.
type Header struct {
	ID               uint16
	Flags            uint16
	QDCount, ANCount uint16
	NSCount, ARCount uint16
}

// Response reports the QR bit.
func (h Header) Response() bool { return h.Flags&0x8000 != 0 }

// Opcode returns the 4-bit opcode.
func (h Header) Opcode() uint8 { return uint8(h.Flags>>11) & 0xf }

// RCode returns the 4-bit response code.
func (h Header) RCode() uint8 { return uint8(h.Flags & 0xf) }

// Question is one entry of the question section. Name is the offset of its
// (possibly compressed) name in the message. The top bit of the raw class is
// mDNS's unicast-response (QU) bit and is split off.
type Question struct {
	Name  int
	Type  uint16
	Class uint16
	QU    bool
}

// Record is one resource record. Data is the offset and length of its RDATA.
// The top bit of the raw class is mDNS's cache-flush bit and is split off.
type Record struct {
	Section    Section
	Name       int
	Type       uint16
	Class      uint16
	CacheFlush bool
	TTL        uint32
	Data       int
	DataLen    int
}

// Message is a parsed DNS message: header and offsets into the bytes given
// to Parse. Reuse one Message; Parse resets it without allocating once its
// slices have grown.
type Message struct {
	Header
	Questions []Question
	Records   []Record
	// Truncated is set when the counts promised more than the message held;
	// what was read before is kept.
	Truncated bool
}

// Parse reads msg's header, questions and records. A message cut short
// keeps what was complete, sets Truncated and returns nil, since captures
// often snap DNS datagrams and the first questions are the useful part.
// Only a message without a header, or one whose first question cannot be
// read, is an error.
func (m *Message) Parse(msg []byte) error {
	m.Questions = m.Questions[:0]
	m.Records = m.Records[:0]
	m.Truncated = false
	if len(msg) < 12 {
		return errHeader
	}
	m.Header = Header{
		ID:      binary.BigEndian.Uint16(msg[0:2]),
		Flags:   binary.BigEndian.Uint16(msg[2:4]),
		QDCount: binary.BigEndian.Uint16(msg[4:6]),
		ANCount: binary.BigEndian.Uint16(msg[6:8]),
		NSCount: binary.BigEndian.Uint16(msg[8:10]),
		ARCount: binary.BigEndian.Uint16(msg[10:12]),
	}
	off := 12
	for i := 0; i < int(m.QDCount); i++ {
		end, err := SkipName(msg, off)
		if err != nil || end+4 > len(msg) || len(m.Questions) >= MaxRecords {
			if i == 0 && err != nil {
				return fmt.Errorf("dns question name: %w", err)
			}
			m.Truncated = true
			return nil
		}
		class := binary.BigEndian.Uint16(msg[end+2 : end+4])
		m.Questions = append(m.Questions, Question{
			Name:  off,
			Type:  binary.BigEndian.Uint16(msg[end : end+2]),
			Class: class & 0x7fff,
			QU:    class&0x8000 != 0,
		})
		off = end + 4
	}
	sections := [3]struct {
		s Section
		n uint16
	}{{Answer, m.ANCount}, {Authority, m.NSCount}, {Additional, m.ARCount}}
	for _, sec := range sections {
		for i := 0; i < int(sec.n); i++ {
			end, err := SkipName(msg, off)
			if err != nil || end+10 > len(msg) || len(m.Records) >= MaxRecords {
				m.Truncated = true
				return nil
			}
			rdlen := int(binary.BigEndian.Uint16(msg[end+8 : end+10]))
			if end+10+rdlen > len(msg) {
				m.Truncated = true
				return nil
			}
			class := binary.BigEndian.Uint16(msg[end+2 : end+4])
			m.Records = append(m.Records, Record{
				Section:    sec.s,
				Name:       off,
				Type:       binary.BigEndian.Uint16(msg[end : end+2]),
				Class:      class & 0x7fff,
				CacheFlush: class&0x8000 != 0,
				TTL:        binary.BigEndian.Uint32(msg[end+4 : end+8]),
				Data:       end + 10,
				DataLen:    rdlen,
			})
			off = end + 10 + rdlen
		}
	}
	return nil
}

// SkipName returns the offset just past the name starting at off, without
// following compression pointers (a pointer ends the name in place).
func SkipName(msg []byte, off int) (int, error) {
	for n := 0; n <= maxNameWire; n++ {
		if off >= len(msg) {
			return 0, errNameTruncated
		}
		l := int(msg[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				return off + 1, nil
			}
			off += 1 + l
		case 0xc0:
			if off+2 > len(msg) {
				return 0, errNameTruncated
			}
			return off + 2, nil
		default: // 0x40 and 0x80 label types are obsolete (RFC 6891)
			return 0, errLabelType
		}
	}
	return 0, errNameTooLong
}

// AppendName appends the dotted name at off (following compression
// pointers, at most maxJumps of them, so pointer loops end) to dst without a
// trailing dot. The root name appends nothing. Label bytes are copied as
// they are; callers make the text valid UTF-8 when they emit it.
func AppendName(dst, msg []byte, off int) ([]byte, error) {
	start := len(dst)
	jumps, wire := 0, 0
	for {
		if off < 0 || off >= len(msg) {
			return dst[:start], errNameTruncated
		}
		l := int(msg[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				return dst, nil
			}
			wire += 1 + l
			if wire > maxNameWire {
				return dst[:start], errNameTooLong
			}
			if off+1+l > len(msg) {
				return dst[:start], errNameTruncated
			}
			if len(dst) > start {
				dst = append(dst, '.')
			}
			dst = append(dst, msg[off+1:off+1+l]...)
			off += 1 + l
		case 0xc0:
			if off+2 > len(msg) {
				return dst[:start], errNameTruncated
			}
			jumps++
			if jumps > maxJumps {
				return dst[:start], errNameLoop
			}
			off = int(binary.BigEndian.Uint16(msg[off:off+2]) & 0x3fff)
		default:
			return dst[:start], errLabelType
		}
	}
}

// RData returns the record's RDATA within msg (nil if out of range).
func (r *Record) RData(msg []byte) []byte {
	if r.Data < 0 || r.Data+r.DataLen > len(msg) {
		return nil
	}
	return msg[r.Data : r.Data+r.DataLen]
}

// TypeName returns the mnemonic of common record types, or "TYPE<n>"
// (RFC 3597) appended to buf for the rest.
func TypeName(buf []byte, t uint16) []byte {
	if s, ok := typeNames[t]; ok {
		return append(buf, s...)
	}
	buf = append(buf, "TYPE"...)
	return strconv.AppendUint(buf, uint64(t), 10)
}

var typeNames = map[uint16]string{
	TypeA: "A", TypeNS: "NS", TypeCNAME: "CNAME", TypeSOA: "SOA", TypePTR: "PTR",
	TypeHINFO: "HINFO", TypeMX: "MX", TypeTXT: "TXT", TypeAAAA: "AAAA", TypeSRV: "SRV",
	TypeOPT: "OPT", TypeNSEC: "NSEC", TypeHTTPS: "HTTPS", TypeANY: "ANY",
	64: "SVCB", 99: "SPF", 43: "DS", 46: "RRSIG", 48: "DNSKEY", 35: "NAPTR", 257: "CAA",
	252: "AXFR",
}

// TypeString is TypeName for the common types without a buffer; "" otherwise.
func TypeString(t uint16) string { return typeNames[t] }
