package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// classicReader reads classic (libpcap 2.4) capture files. It replaces
// pcapgo.Reader on the sensor's hot path: instead of two io.ReadFull calls
// through two interface layers per packet, it reads large blocks into one
// buffer, parses each 16-byte record header in place and hands out the
// packet as a slice of that buffer. Bytes move only when a record crosses
// the end of the buffer. Its acceptance rules and lengths are pcapgo's,
// widened to what libpcap (so tcpdump and tshark) also reads: versions 2.0
// to 2.3 with their swapped length fields, DG/UX's 543.0, and records whose
// captured length exceeds the original one (a writer's bug: the original
// length is taken to be the captured one).
type classicReader struct {
	r   io.Reader
	buf []byte
	// buf[pos:end] is read but not yet handed out.
	pos, end int
	// rerr is the reader's first error, reported only once the bytes read
	// before it are used up: damage late in a block costs no earlier packet.
	rerr error

	bigEndian  bool
	nanoFactor uint32 // 1000 for microsecond files, 1 for nanosecond ones
	snaplen    uint32
	link       layers.LinkType
	maxCapLen  int
	swapped    lengthOrder
}

// lengthOrder is how a file's record headers order the captured and
// original lengths: version 2.3 swapped them relative to earlier versions,
// and some 2.3 files were written in the old order (libpcap's rule).
type lengthOrder uint8

const (
	lengthsInOrder lengthOrder = iota
	lengthsSwapped
	lengthsMaybeSwapped // 2.3: swapped only when the captured length exceeds the original
)

const (
	// classicBlock is how much is read at once: 256 KiB stays in a core's
	// L2 between the kernel's copy and the header parse, and measured a
	// little less system time than 1 MiB on the benchmark mix. The rare
	// record above it (up to MAXIMUM_SNAPLEN) grows the buffer once.
	classicBlock = 1 << 18
	// pcapgoEagerMax is pcapgo's (and libpcap's) MAXIMUM_SNAPLEN: records up
	// to this length are taken whatever snap length the file declares.
	pcapgoEagerMax   = 262144
	classicHeaderLen = 24
	recordHeaderLen  = 16
	// maxEmptyReads mirrors bufio: a reader that keeps returning nothing
	// and no error is broken.
	maxEmptyReads = 100
)

// newClassicReader reads the 24-byte file header from r. bufSize is the
// initial block size; records longer than it grow the buffer.
func newClassicReader(r io.Reader, bufSize int) (*classicReader, error) {
	c := &classicReader{r: r, buf: make([]byte, max(bufSize, 2*classicHeaderLen))}
	if !c.fill(classicHeaderLen) {
		return nil, c.shortErr()
	}
	h := c.buf[c.pos : c.pos+classicHeaderLen]
	switch magic := binary.LittleEndian.Uint32(h[0:4]); magic {
	case 0xa1b2c3d4:
		c.nanoFactor = 1000
	case 0xd4c3b2a1:
		c.bigEndian, c.nanoFactor = true, 1000
	case 0xa1b23c4d:
		c.nanoFactor = 1
	case 0x4d3cb2a1:
		c.bigEndian, c.nanoFactor = true, 1
	default:
		return nil, fmt.Errorf("Unknown magic %x", magic)
	}
	// pcapgo's messages; libpcap's accepted versions.
	switch major, minor := c.u16(h[4:6]), c.u16(h[6:8]); {
	case major == 543 && minor == 0: // DG/UX tcpdump
		c.swapped = lengthsSwapped
	case major != 2:
		return nil, fmt.Errorf("Unknown major version %d", major)
	case minor > 4:
		return nil, fmt.Errorf("Unknown minor version %d", minor)
	case minor < 3:
		c.swapped = lengthsSwapped
	case minor == 3:
		c.swapped = lengthsMaybeSwapped
	}
	c.snaplen = c.u32(h[16:20])
	c.link = layers.LinkType(c.u32(h[20:24]))
	// pcapgo's rule: declared snap lengths above MAXIMUM_SNAPLEN are honoured,
	// below it writers that did not truncate (dpkt) are tolerated.
	c.maxCapLen = max(int(c.snaplen), pcapgoEagerMax)
	c.pos += classicHeaderLen
	return c, nil
}

func (c *classicReader) u16(b []byte) uint16 {
	if c.bigEndian {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (c *classicReader) u32(b []byte) uint32 {
	if c.bigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// read loads the next record into p.Data (valid until the next call) and
// p.Info. It returns io.EOF only when the stream ends exactly at a record
// boundary, io.ErrUnexpectedEOF (or the reader's own error) for a cut
// record. On an error nothing is consumed, so a repeated call fails the same
// way. Filling the caller's Packet spares copying it on the way out.
func (c *classicReader) read(p *Packet) error {
	if c.end-c.pos < recordHeaderLen && !c.fill(recordHeaderLen) {
		return c.shortErr()
	}
	h := c.buf[c.pos : c.pos+recordHeaderLen]
	var sec, frac, capLen, origLen uint32
	if c.bigEndian {
		sec, frac = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
		capLen, origLen = binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(h[0:4]), binary.LittleEndian.Uint32(h[4:8])
		capLen, origLen = binary.LittleEndian.Uint32(h[8:12]), binary.LittleEndian.Uint32(h[12:16])
	}
	ci := &p.Info
	// The multiplication stays in uint32, as in pcapgo, so even a corrupt
	// microsecond field (>= 2^32/1000) yields the very same timestamp.
	ci.Timestamp = time.Unix(int64(sec), int64(frac*c.nanoFactor)).UTC()
	if c.swapped == lengthsSwapped || c.swapped == lengthsMaybeSwapped && capLen > origLen {
		capLen, origLen = origLen, capLen
	}
	ci.CaptureLength, ci.Length = int(capLen), int(max(origLen, capLen))
	if ci.CaptureLength < 0 || ci.CaptureLength > c.maxCapLen { // < 0: a 32-bit int
		return fmt.Errorf("capture length exceeds snap length: %d > %d", capLen, c.snaplen)
	}
	need := recordHeaderLen + ci.CaptureLength
	if c.end-c.pos < need && !c.fill(need) {
		return c.shortErr()
	}
	start := c.pos + recordHeaderLen
	c.pos += need
	// Capacity ends with the packet: an append by the caller must not
	// overwrite the next record.
	p.Data = c.buf[start:c.pos:c.pos]
	return nil
}

// fill makes at least need unread bytes available, false if the reader
// ends (or fails) first. Unread bytes move to the front of the buffer first,
// so each read gets as much room as possible; a record longer than the
// buffer grows it, at most doubling per full buffer, so a tiny file
// claiming a huge record cannot make it allocate more than twice what the
// file really holds.
func (c *classicReader) fill(need int) bool {
	empty := 0
	for c.end-c.pos < need {
		if c.rerr != nil {
			return false
		}
		if c.pos > 0 {
			c.end = copy(c.buf, c.buf[c.pos:c.end])
			c.pos = 0
		}
		if c.end == len(c.buf) {
			nb := make([]byte, min(need, 2*len(c.buf)))
			copy(nb, c.buf[:c.end])
			c.buf = nb
		}
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		switch {
		case err != nil:
			c.rerr = err
		case n == 0:
			if empty++; empty >= maxEmptyReads {
				c.rerr = io.ErrNoProgress
			}
		}
	}
	return true
}

// shortErr explains a failed fill: a clean end when nothing was left, a
// cut record when something was, the reader's own error otherwise.
func (c *classicReader) shortErr() error {
	if !errors.Is(c.rerr, io.EOF) {
		return c.rerr
	}
	if c.end == c.pos {
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}
