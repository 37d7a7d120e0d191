package capture

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
)

// digest reads src to its end and returns a hash per packet (data, time,
// lengths) and the error it ended with.
func digest(t *testing.T, src Source) ([][32]byte, error) {
	t.Helper()
	var out [][32]byte
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return out, err
		}
		h := sha256.New()
		h.Write(p.Data)
		h.Write([]byte(p.Info.Timestamp.Format(time.RFC3339Nano)))
		h.Write([]byte{byte(p.Info.CaptureLength), byte(p.Info.CaptureLength >> 8), byte(p.Info.Length), byte(p.Info.Length >> 8), byte(p.LinkType)})
		var d [32]byte
		copy(d[:], h.Sum(nil))
		out = append(out, d)
	}
}

func TestPrefetchMatchesSource(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	direct, err := OpenFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	want, wantErr := digest(t, direct)
	direct.Close()
	if !errors.Is(wantErr, io.EOF) || len(want) < 4*prefetchPackets {
		t.Fatalf("the demo capture should span several batches: %d packets, %v", len(want), wantErr)
	}
	f, err := OpenFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPrefetch(f)
	got, gotErr := digest(t, p)
	if !errors.Is(gotErr, io.EOF) {
		t.Fatalf("ended with %v, want EOF", gotErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets through Prefetch, %d direct", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("packet %d differs", i)
		}
	}
	if _, err := p.ReadPacket(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v, want EOF again", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// reusing is a Source that, like File, overwrites one buffer for every
// packet, and ends with err after sizes are exhausted.
type reusing struct {
	buf    []byte
	sizes  []int
	n      int
	err    error
	closed bool
}

func (r *reusing) ReadPacket() (Packet, error) {
	if r.n == len(r.sizes) {
		return Packet{}, r.err
	}
	size := r.sizes[r.n]
	if cap(r.buf) < size {
		r.buf = make([]byte, size)
	}
	b := r.buf[:size]
	for i := range b {
		b[i] = byte(r.n + i)
	}
	r.n++
	return Packet{Data: b, Info: gopacket.CaptureInfo{CaptureLength: size, Length: size}}, nil
}

func (r *reusing) Close() error { r.closed = true; return nil }

func TestPrefetchCopiesAndEnds(t *testing.T) {
	damage := errors.New("pcap: truncated record at byte 4242")
	for _, tc := range []struct {
		name  string
		sizes []int
		end   error
	}{
		{"empty", nil, io.EOF},
		{"one partial batch then damage", []int{60, 1514, 60}, damage},
		// Jumbo and oversized frames push a batch past its byte bound and
		// make its arena grow while earlier frames still point into it.
		{"arena growth", []int{60, 200 << 10, 9000, 100 << 10, 60, 64 << 10, 60}, io.EOF},
		{"many batches", repeatSizes(3*prefetchPackets+7, 1514), damage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &reusing{sizes: tc.sizes, err: tc.end}
			p := NewPrefetch(src)
			for i, size := range tc.sizes {
				pkt, err := p.ReadPacket()
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				want := make([]byte, size)
				for j := range want {
					want[j] = byte(i + j)
				}
				if !bytes.Equal(pkt.Data, want) || pkt.Info.CaptureLength != size {
					t.Fatalf("packet %d: %d bytes, not the %d the source gave", i, len(pkt.Data), size)
				}
			}
			for range 2 { // the end is sticky
				if _, err := p.ReadPacket(); !errors.Is(err, tc.end) {
					t.Fatalf("end: %v, want %v", err, tc.end)
				}
			}
			if err := p.Close(); err != nil || !src.closed {
				t.Fatalf("Close: %v, source closed %v", err, src.closed)
			}
		})
	}
}

func repeatSizes(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

// Stopping early (a cancelled context) must not leave the reader running
// or the source open.
func TestPrefetchCloseEarly(t *testing.T) {
	src := &reusing{sizes: repeatSizes(100*prefetchPackets, 60), err: io.EOF}
	p := NewPrefetch(src)
	if _, err := p.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if !src.closed {
		t.Fatal("source not closed")
	}
	if src.n >= len(src.sizes) {
		t.Fatal("the reader read the whole source after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
