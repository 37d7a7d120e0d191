package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/wardiomt/ward/internal/testutil"
)

// rec is one record as written to the file; caplen and origlen are written
// as given so tests can lie about lengths.
type rec struct {
	sec, frac       uint32
	caplen, origlen uint32
	data            []byte
}

// encodeClassic writes a classic pcap file (version 2.4) in either byte
// order and timestamp resolution.
func encodeClassic(order binary.AppendByteOrder, nano bool, snaplen, link uint32, recs []rec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...) // timezone, sigfigs
	b = order.AppendUint32(b, snaplen)
	b = order.AppendUint32(b, link)
	for _, r := range recs {
		b = order.AppendUint32(b, r.sec)
		b = order.AppendUint32(b, r.frac)
		b = order.AppendUint32(b, r.caplen)
		b = order.AppendUint32(b, r.origlen)
		b = append(b, r.data...)
	}
	return b
}

// swappedRec is r with its length fields in pre-2.3 order.
func swappedRec(r rec) rec {
	r.caplen, r.origlen = r.origlen, r.caplen
	return r
}

// fullRec is a well-formed record of n bytes patterned by seed.
func fullRec(sec, frac uint32, n int, seed byte) rec {
	d := make([]byte, n)
	for i := range d {
		d[i] = seed + byte(i)
	}
	return rec{sec: sec, frac: frac, caplen: uint32(n), origlen: uint32(n), data: d}
}

// outcome is how a packet-by-packet read ended.
type outcome struct {
	packets int
	clean   bool   // ended with a clean EOF at a record boundary
	msg     string // error text when pcapgo's error is not about a short stream
}

// comparePcapgo reads b with pcapgo and with the classic reader (blocks of
// bufSize bytes, input through wrap) and fails on the first difference in
// header acceptance, data, CaptureInfo, link type or how the read ends.
// pcapgo says io.EOF both at a clean end and when a record's data is missing
// entirely, so its short-stream errors are judged by the byte arithmetic.
func comparePcapgo(t testing.TB, b []byte, bufSize int, wrap func(io.Reader) io.Reader) outcome {
	t.Helper()
	pr, perr := pcapgo.NewReader(bytes.NewReader(libpcapNormalized(b)))
	cr, cerr := newClassicReader(wrap(bytes.NewReader(b)), bufSize)
	if (perr == nil) != (cerr == nil) {
		t.Fatalf("header: pcapgo err %v, classic err %v", perr, cerr)
	}
	if perr != nil {
		if !isShort(perr) && perr.Error() != cerr.Error() {
			t.Fatalf("header: pcapgo err %q, classic err %q", perr, cerr)
		}
		return outcome{msg: perr.Error()}
	}
	if pr.LinkType() != cr.link || pr.Snaplen() != cr.snaplen {
		t.Fatalf("header: pcapgo link %v snaplen %d, classic link %v snaplen %d", pr.LinkType(), pr.Snaplen(), cr.link, cr.snaplen)
	}
	off := int64(classicHeaderLen)
	for i := 0; ; i++ {
		pd, pci, perr := pr.ZeroCopyReadPacketData()
		cd, cci, cerr := cr.readPacket()
		if perr != nil {
			if cerr == nil {
				t.Fatalf("packet %d: pcapgo err %v, classic read %d bytes", i, perr, len(cd))
			}
			if isShort(perr) {
				clean := errors.Is(perr, io.EOF) && off == int64(len(b))
				if clean != (cerr == io.EOF) || !isShort(cerr) {
					t.Fatalf("packet %d at offset %d of %d: pcapgo err %v, classic err %v", i, off, len(b), perr, cerr)
				}
				return outcome{packets: i, clean: clean}
			}
			if perr.Error() != cerr.Error() {
				t.Fatalf("packet %d: pcapgo err %q, classic err %q", i, perr, cerr)
			}
			return outcome{packets: i, msg: perr.Error()}
		}
		if cerr != nil {
			t.Fatalf("packet %d: classic err %v, pcapgo read %d bytes", i, cerr, len(pd))
		}
		if !bytes.Equal(pd, cd) || !reflect.DeepEqual(pci, cci) {
			t.Fatalf("packet %d differs:\npcapgo  %+v % x\nclassic %+v % x", i, pci, head(pd), cci, head(cd))
		}
		off += recordHeaderLen + int64(len(cd))
	}
}

// libpcapNormalized rewrites what libpcap reads and pcapgo refuses into
// what pcapgo reads the same way: version 2.0-2.3 and 543.0 headers become
// 2.4 with their record lengths put in 2.4's order, and a captured length
// above the original raises the original. Anything else stays as it is.
func libpcapNormalized(b []byte) []byte {
	if len(b) < classicHeaderLen {
		return b
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return b
	}
	major, minor := order.Uint16(b[4:]), order.Uint16(b[6:])
	swap := lengthsInOrder
	switch {
	case major == 543 && minor == 0, major == 2 && minor < 3:
		swap = lengthsSwapped
	case major == 2 && minor == 3:
		swap = lengthsMaybeSwapped
	case major != 2 || minor != 4:
		return b
	}
	n := append([]byte(nil), b...)
	order.PutUint16(n[4:], 2)
	order.PutUint16(n[6:], 4)
	maxCap := max(uint64(order.Uint32(n[16:])), pcapgoEagerMax)
	for off := classicHeaderLen; off+recordHeaderLen <= len(n); {
		capLen, origLen := order.Uint32(n[off+8:]), order.Uint32(n[off+12:])
		if swap == lengthsSwapped || swap == lengthsMaybeSwapped && capLen > origLen {
			capLen, origLen = origLen, capLen
		}
		origLen = max(origLen, capLen)
		order.PutUint32(n[off+8:], capLen)
		order.PutUint32(n[off+12:], origLen)
		if uint64(capLen) > maxCap {
			break
		}
		off += recordHeaderLen + int(capLen)
	}
	return n
}

// withVersion sets a classic file's version fields.
func withVersion(b []byte, order binary.ByteOrder, major, minor uint16) []byte {
	n := append([]byte(nil), b...)
	order.PutUint16(n[4:], major)
	order.PutUint16(n[6:], minor)
	return n
}

// readPacket is read in pcapgo's shape, for comparing the two.
func (c *classicReader) readPacket() ([]byte, gopacket.CaptureInfo, error) {
	var p Packet
	err := c.read(&p)
	return p.Data, p.Info, err
}

func isShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func head(b []byte) []byte { return b[:min(len(b), 32)] }

func identity(r io.Reader) io.Reader { return r }

func TestClassicMatchesPcapgo(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	three := []rec{fullRec(1700000000, 1, 60, 1), fullRec(1700000001, 999999, 1514, 2), fullRec(1700000002, 0, 0, 3)}
	big := fullRec(5, 6, 300000, 7)    // longer than MAXIMUM_SNAPLEN and the test blocks
	oversize := fullRec(1, 2, 1600, 8) // dpkt style: longer than the declared snap length
	sliced := fullRec(1, 2, 96, 9)
	sliced.origlen = 1500
	tests := []struct {
		name string
		b    []byte
		want outcome
	}{
		{"little endian microseconds", encodeClassic(le, false, 65535, 1, three), outcome{packets: 3, clean: true}},
		{"big endian microseconds", encodeClassic(be, false, 65535, 1, three), outcome{packets: 3, clean: true}},
		{"little endian nanoseconds", encodeClassic(le, true, 65535, 1, three), outcome{packets: 3, clean: true}},
		{"big endian nanoseconds", encodeClassic(be, true, 262144, 1, three), outcome{packets: 3, clean: true}},
		{"raw IP link", encodeClassic(le, false, 65535, 101, three), outcome{packets: 3, clean: true}},
		{"linux cooked link", encodeClassic(be, true, 65535, 113, three), outcome{packets: 3, clean: true}},
		{"no records", encodeClassic(le, false, 65535, 1, nil), outcome{clean: true}},
		{"sliced record", encodeClassic(le, false, 96, 1, []rec{sliced, sliced}), outcome{packets: 2, clean: true}},
		{"record over small snaplen", encodeClassic(le, false, 1500, 1, []rec{oversize, sliced}), outcome{packets: 2, clean: true}},
		{"record over MAXIMUM_SNAPLEN allowed by snaplen", encodeClassic(be, false, 1<<20, 1, []rec{sliced, big, sliced}), outcome{packets: 3, clean: true}},
		{"microsecond field out of range", encodeClassic(le, false, 65535, 1, []rec{fullRec(1, 4294967295, 60, 1)}), outcome{packets: 1, clean: true}},
		{"caplen over MAXIMUM_SNAPLEN", encodeClassic(le, false, 65535, 1, []rec{sliced, big}), outcome{packets: 1, msg: "capture length exceeds snap length: 300000 > 65535"}},
		// libpcap reads it (tcpdump's own tests have such files); the
		// original length is raised to the captured one.
		{"caplen over origlen", encodeClassic(le, false, 65535, 1, []rec{{caplen: 10, origlen: 9, data: make([]byte, 10)}}), outcome{packets: 1, clean: true}},
		{"version 2.2, lengths swapped", withVersion(encodeClassic(be, false, 96, 1, []rec{swappedRec(sliced), swappedRec(sliced)}), be, 2, 2), outcome{packets: 2, clean: true}},
		{"version 2.3, some lengths swapped", withVersion(encodeClassic(le, false, 96, 1, []rec{swappedRec(sliced), sliced}), le, 2, 3), outcome{packets: 2, clean: true}},
		{"DG/UX 543.0", withVersion(encodeClassic(le, false, 96, 1, []rec{swappedRec(sliced)}), le, 543, 0), outcome{packets: 1, clean: true}},
		{"version 2.5", withVersion(encodeClassic(le, false, 96, 1, three), le, 2, 5), outcome{msg: "Unknown minor version 5"}},
		{"absurd caplen", encodeClassic(be, false, 0xffffffff, 1, []rec{{caplen: 0xfffffff0, origlen: 0xfffffff0, data: make([]byte, 100)}}), outcome{}},
		{"bad major version", append(le.AppendUint32(nil, 0xa1b2c3d4), make([]byte, 20)...), outcome{msg: "Unknown major version 0"}},
		{"bad minor version", append(le.AppendUint32(le.AppendUint16(le.AppendUint32(nil, 0xa1b2c3d4), 2), 7), make([]byte, 16)...), outcome{msg: "Unknown minor version 7"}},
		{"bad magic", make([]byte, 24), outcome{msg: "Unknown magic 0"}},
		{"short header", encodeClassic(le, false, 65535, 1, nil)[:20], outcome{msg: "unexpected EOF"}},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{48, 100, 4096, classicBlock} {
			for _, w := range []struct {
				name string
				fn   func(io.Reader) io.Reader
			}{{"whole", identity}, {"one byte", iotest.OneByteReader}, {"half", iotest.HalfReader}} {
				if w.name == "one byte" && len(tt.b) > 100000 {
					continue // correct but slow
				}
				t.Run(fmt.Sprintf("%s/buf%d/%s", tt.name, bufSize, w.name), func(t *testing.T) {
					if got := comparePcapgo(t, tt.b, bufSize, w.fn); got != tt.want {
						t.Errorf("outcome %+v, want %+v", got, tt.want)
					}
				})
			}
		}
	}
}

// TestClassicSharedCaptures reads every classic pcap of the shared corpus
// with pcapgo and with the classic reader, packet by packet, and through
// OpenFile to check the count and that no error is invented.
func TestClassicSharedCaptures(t *testing.T) {
	root := testutil.SharedData(t, "pcaps")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		var magic [4]byte
		if _, err := io.ReadFull(f, magic[:]); err == nil && isPcapMagic(magic[:]) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no classic pcap under %s", root)
	}
	total := 0
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			// A small block makes records cross block ends often.
			for _, bufSize := range []int{1500, classicBlock} {
				out := comparePcapgo(t, b, bufSize, identity)
				f, err := OpenFile(p)
				if err != nil {
					t.Fatal(err)
				}
				n, rerr := readAll(t, f)
				f.Close()
				if n != out.packets || f.Count() != n || (rerr == nil) != out.clean {
					t.Fatalf("OpenFile read %d (Count %d), err %v; pcapgo read %+v", n, f.Count(), rerr, out)
				}
				total += n
			}
		})
	}
	t.Logf("%d classic pcaps, %d packets read twice each", len(files), total/2)
}

// TestClassicTruncatedEveryOffset cuts small files at every byte and checks
// that the packets before the cut are kept and the error names the file and
// the exact offset of the first incomplete record, gzip'd or not.
func TestClassicTruncatedEveryOffset(t *testing.T) {
	recs := []rec{fullRec(10, 20, 60, 1), fullRec(11, 0, 0, 2), fullRec(12, 5, 129, 3), fullRec(13, 6, 17, 4)}
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		full := encodeClassic(order, order == binary.BigEndian, 65535, 1, recs)
		var starts []int // record start offsets, then the file end
		off := classicHeaderLen
		for _, r := range recs {
			starts = append(starts, off)
			off += recordHeaderLen + len(r.data)
		}
		starts = append(starts, off)
		dir := t.TempDir()
		for cut := 0; cut <= len(full); cut++ {
			for _, gz := range []bool{false, true} {
				b := full[:cut]
				if gz {
					var buf bytes.Buffer
					zw := gzip.NewWriter(&buf)
					zw.Write(b)
					zw.Close()
					b = buf.Bytes()
				}
				p := filepath.Join(dir, fmt.Sprintf("%v-%d-%v.pcap", order, cut, gz))
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := OpenFile(p)
				if cut < classicHeaderLen {
					if err == nil || !strings.Contains(err.Error(), p) {
						t.Fatalf("cut %d gzip %v: open error %v, want one naming the file", cut, gz, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d gzip %v: %v", cut, gz, err)
				}
				// Complete records before the cut, and where the next starts.
				n := 0
				for n < len(recs) && starts[n+1] <= cut {
					n++
				}
				got, err := readAll(t, f)
				f.Close()
				if got != n || f.Count() != n {
					t.Fatalf("cut %d gzip %v: read %d (Count %d), want %d", cut, gz, got, f.Count(), n)
				}
				if cut == starts[n] {
					if err != nil {
						t.Fatalf("cut %d gzip %v at a record boundary: %v", cut, gz, err)
					}
					continue
				}
				var fe *FileError
				if !errors.As(err, &fe) || fe.Offset != int64(starts[n]) || fe.Path != p || !errors.Is(err, io.ErrUnexpectedEOF) ||
					!strings.Contains(err.Error(), fmt.Sprintf("byte offset %d: truncated packet record", starts[n])) {
					t.Fatalf("cut %d gzip %v: error %v, want truncated record at offset %d", cut, gz, err, starts[n])
				}
			}
		}
	}
}

// TestClassicCorruptGzipKeepsPackets: a damaged gzip stream fails at the
// record the damage reaches, after every packet read before it.
func TestClassicCorruptGzipKeepsPackets(t *testing.T) {
	var recs []rec
	for i := range 2000 {
		recs = append(recs, fullRec(uint32(i), 0, 500, byte(i)))
	}
	raw := encodeClassic(binary.LittleEndian, false, 65535, 1, recs)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression) // keeps offsets predictable
	zw.Write(raw)
	zw.Close()
	b := buf.Bytes()
	b[len(b)-6] ^= 0xff // CRC-32 in the trailer: all data arrives, then the checksum fails
	p := writeFile(t, "crc.pcap.gz", b)
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := readAll(t, f)
	var fe *FileError
	if n != len(recs) || !errors.As(err, &fe) || !errors.Is(err, gzip.ErrChecksum) || fe.Offset != int64(len(raw)) {
		t.Fatalf("read %d of %d, err %v; want all packets then a checksum error at offset %d", n, len(recs), err, len(raw))
	}
}

// TestClassicNoAllocs: once the buffer exists, reading a packet allocates
// nothing (the timestamp, the CaptureInfo and the slice live on the stack).
func TestClassicNoAllocs(t *testing.T) {
	var recs []rec
	for i := range 20000 {
		recs = append(recs, fullRec(uint32(i), uint32(i), 60+i%1400, byte(i)))
	}
	b := encodeClassic(binary.LittleEndian, false, 65535, 1, recs)
	c, err := newClassicReader(bytes.NewReader(b), 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(len(recs)-1, func() {
		if _, _, err := c.readPacket(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per packet, want 0", allocs)
	}
}

// FuzzClassicReader: the classic reader never panics and agrees with pcapgo
// on every header, packet and error (comparePcapgo explains where pcapgo's
// io.EOF is ambiguous), read whole and one byte at a time.
func FuzzClassicReader(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	three := []rec{fullRec(1700000000, 1, 60, 1), fullRec(1700000001, 999999, 200, 2), fullRec(1700000002, 0, 0, 3)}
	f.Add(encodeClassic(le, false, 65535, 1, three))
	f.Add(encodeClassic(be, true, 65535, 101, three))
	f.Add(encodeClassic(le, true, 64, 113, three)[:100])
	f.Add(encodeClassic(be, false, 0xffffffff, 1, []rec{{caplen: 300000, origlen: 300000, data: make([]byte, 10)}}))
	f.Add(encodeClassic(le, false, 65535, 1, []rec{{caplen: 10, origlen: 9, data: make([]byte, 10)}}))
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 0, 2, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.HasPrefix(b, gzipMagic) {
			return // pcapgo would inflate it; OpenFile does that before either reader
		}
		whole := comparePcapgo(t, b, 64, identity)
		if bytes := comparePcapgo(t, b, 4096, iotest.OneByteReader); bytes != whole {
			t.Fatalf("one byte at a time: %+v, whole: %+v", bytes, whole)
		}
	})
}
