package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

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

// countingReader counts bytes handed to the pcapng reader, so errors can
// name an offset.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// File reads one pcap or pcapng file, optionally gzip-compressed.
type File struct {
	path    string
	f       *os.File
	gz      *gzip.Reader
	cr      *countingReader // pcapng only
	ng      *pcapgo.NgReader
	pc      *classicReader // classic pcap only
	link    layers.LinkType
	count   int
	snaplen uint32
	// next is the byte offset of the next pcap record: 24-byte file header,
	// then 16-byte record headers each followed by its captured bytes.
	// (The reader reads ahead in blocks, so only this arithmetic is exact.)
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
	switch {
	case len(head) < 4:
		f.Close()
		if len(head) == 0 {
			return nil, &FileError{Path: path, Err: errors.New("empty file")}
		}
		return nil, &FileError{Path: path, Err: errors.New("too short to be a capture file")}
	case bytes.Equal(head, pcapngMagic):
		src.cr = &countingReader{r: br}
		ng, err := pcapgo.NewNgReader(src.cr, pcapgo.NgReaderOptions{SkipUnknownVersion: true})
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Offset: 0, Err: fmt.Errorf("pcapng header: %w", err)}
		}
		src.ng, src.link = ng, ng.LinkType()
	case isPcapMagic(head):
		// br hands its buffered start over first; after that, reads as
		// large as the block go straight to the file (or gzip stream).
		pc, err := newClassicReader(br, src.blockSize())
		if err != nil {
			f.Close()
			return nil, &FileError{Path: path, Offset: 0, Err: fmt.Errorf("pcap header: %w", err)}
		}
		src.pc, src.link, src.snaplen = pc, pc.link, pc.snaplen
		src.next = classicHeaderLen
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

// blockSize is the classic reader's block, or less for a smaller
// uncompressed file (merging many small files need not cost a block each).
func (s *File) blockSize() int {
	if s.gz == nil {
		if size := s.fileSize(); size > 0 && size < classicBlock {
			return int(max(size, 4096))
		}
	}
	return classicBlock
}

// ReadPacket returns the next packet, io.EOF at a clean end, or a
// *FileError naming the offset of the damaged record.
func (s *File) ReadPacket() (Packet, error) {
	if s.pc != nil {
		return s.readClassic()
	}
	start := s.cr.n // block-granular for pcapng
	data, ci, err := s.ng.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, io.EOF) && s.cr.n == start {
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
	if ci.InterfaceIndex >= 0 && ci.InterfaceIndex < s.ng.NInterfaces() {
		if ifc, err := s.ng.Interface(ci.InterfaceIndex); err == nil {
			link = ifc.LinkType
		}
	}
	s.count++
	return Packet{Data: data, Info: ci, LinkType: link}, nil
}

// readClassic is ReadPacket for classic pcap: the reader tells a clean end
// (io.EOF) from a cut record itself, and errors name the record's start.
func (s *File) readClassic() (Packet, error) {
	p := Packet{LinkType: s.link}
	if err := s.pc.read(&p); err != nil {
		if err == io.EOF {
			return Packet{}, io.EOF
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("truncated packet record: %w", io.ErrUnexpectedEOF)
		}
		return Packet{}, &FileError{Path: s.path, Offset: s.next, Err: err}
	}
	s.count++
	s.next += recordHeaderLen + int64(len(p.Data))
	return p, nil
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
