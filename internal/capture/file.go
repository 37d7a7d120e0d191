package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FileError says which file broke and where: the byte offset is into the
// (decompressed) capture stream, at the start of the record that failed.
type FileError struct {
	Path   string
	Offset int64
	Err    error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: byte offset %d: %v", e.Path, e.Offset, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// countingReader counts bytes handed to the pcap reader, so errors can name
// an offset.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// File reads one pcap or pcapng file, optionally gzip-compressed.
type File struct {
	path    string
	f       *os.File
	gz      *gzip.Reader
	cr      *countingReader
	r       packetReader
	ng      *pcapgo.NgReader
	link    layers.LinkType
	count   int
	snaplen uint32
	// next is the byte offset of the next pcap record: 24-byte file header,
	// then 16-byte record headers each followed by its captured bytes.
	// (pcapgo buffers its input, so only this arithmetic is exact.)
	next int64
}

var (
	pcapMagics = [][]byte{
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, // microsecond
		{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, // nanosecond
	}
	pcapngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}
	gzipMagic   = []byte{0x1f, 0x8b}
)

// OpenFile opens a capture file, detecting pcap, pcapng and gzip by content.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	src := &File{path: path, f: f}
	var r io.Reader = bufio.NewReaderSize(f, 1<<16)
	br := r.(*bufio.Reader)
	head, _ := br.Peek(4)
	if bytes.HasPrefix(head, gzipMagic) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Err: fmt.Errorf("gzip: %w", err)}
		}
		src.gz = gz
		br = bufio.NewReaderSize(gz, 1<<16)
		head, _ = br.Peek(4)
	}
	src.cr = &countingReader{r: br}
	switch {
	case len(head) < 4:
		f.Close()
		if len(head) == 0 {
			return nil, &FileError{Path: path, Err: errors.New("empty file")}
		}
		return nil, &FileError{Path: path, Err: errors.New("too short to be a capture file")}
	case bytes.Equal(head, pcapngMagic):
		ng, err := pcapgo.NewNgReader(src.cr, pcapgo.NgReaderOptions{SkipUnknownVersion: true})
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Offset: 0, Err: fmt.Errorf("pcapng header: %w", err)}
		}
		src.ng, src.r, src.link = ng, ng, ng.LinkType()
	case isPcapMagic(head):
		pr, err := pcapgo.NewReader(src.cr)
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Offset: 0, Err: fmt.Errorf("pcap header: %w", err)}
		}
		src.r, src.link, src.snaplen = pr, pr.LinkType(), pr.Snaplen()
		src.next = 24
	default:
		f.Close()
		return nil, &FileError{Path: path, Err: fmt.Errorf("not a pcap or pcapng file (starts with % x)", head)}
	}
	return src, nil
}

func isPcapMagic(b []byte) bool {
	for _, m := range pcapMagics {
		if bytes.Equal(b, m) {
			return true
		}
	}
	return false
}

// Path is the file's name.
func (s *File) Path() string { return s.path }

// Count is the number of packets read so far.
func (s *File) Count() int { return s.count }

// ReadPacket returns the next packet, io.EOF at a clean end, or a
// *FileError naming the offset of the damaged record.
func (s *File) ReadPacket() (Packet, error) {
	start := s.next
	if s.ng != nil {
		start = s.cr.n // block-granular for pcapng
	}
	before := s.cr.n
	data, ci, err := s.r.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, io.EOF) && s.cr.n == before && (s.ng != nil || !s.partialHeader()) {
			return Packet{}, io.EOF
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("truncated packet record: %w", io.ErrUnexpectedEOF)
		}
		return Packet{}, &FileError{Path: s.path, Offset: start, Err: err}
	}
	if ci.CaptureLength > len(data) {
		ci.CaptureLength = len(data)
	}
	link := s.link
	if s.ng != nil && ci.InterfaceIndex >= 0 && ci.InterfaceIndex < s.ng.NInterfaces() {
		if ifc, err := s.ng.Interface(ci.InterfaceIndex); err == nil {
			link = ifc.LinkType
		}
	}
	s.count++
	s.next += 16 + int64(len(data))
	return Packet{Data: data, Info: ci, LinkType: link}, nil
}

// partialHeader reports whether bytes remain after the last full record:
// pcapgo reads ahead, so a clean EOF is told apart from a cut header by
// comparing what was consumed with what the records account for.
func (s *File) partialHeader() bool {
	return s.gz == nil && s.fileSize() > s.next
}

func (s *File) fileSize() int64 {
	st, err := s.f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

// Close releases the file.
func (s *File) Close() error {
	if s.gz != nil {
		s.gz.Close()
	}
	return s.f.Close()
}
