package capture

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// benchPcap writes n frames with a sensor-like size mix (many small, some
// full-size) so block refills and records crossing block ends both happen.
func benchPcap(b *testing.B, n int) string {
	b.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{60, 66, 74, 120, 342, 590, 1024, 1514}
	data := make([]byte, 1514)
	base := time.Unix(1700000000, 0)
	for i := range n {
		l := sizes[rng.IntN(len(sizes))]
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Microsecond), CaptureLength: l, Length: l}
		if err := w.WritePacket(ci, data[:l]); err != nil {
			b.Fatal(err)
		}
	}
	p := filepath.Join(b.TempDir(), "bench.pcap")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkReadFile reports the cost of one packet (op = packet): the file is
// reopened whenever it runs out, so the open is amortised over its packets.
func BenchmarkReadFile(b *testing.B) {
	b.Run("synthetic", func(b *testing.B) { benchRead(b, benchPcap(b, 50000)) })
	b.Run("mix", func(b *testing.B) {
		// The benchmark mix is built by bench/ and is not in the repository;
		// WARD_BENCH_PCAP names a stable copy while bench/ rebuilds it.
		p := os.Getenv("WARD_BENCH_PCAP")
		if p == "" {
			p = filepath.Join("..", "..", "bench", "out", "mix.pcap")
		}
		if _, err := os.Stat(p); err != nil {
			b.Skipf("%s not built; skipping", p)
		}
		benchRead(b, p)
	})
}

func benchRead(b *testing.B, path string) {
	f, err := OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var sum int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p, err := f.ReadPacket()
		if errors.Is(err, io.EOF) {
			f.Close()
			if f, err = OpenFile(path); err != nil {
				b.Fatal(err)
			}
			p, err = f.ReadPacket()
		}
		if err != nil {
			b.Fatal(err)
		}
		sum += len(p.Data)
	}
	b.StopTimer()
	f.Close()
	if sum == 0 {
		b.Fatal("read no bytes")
	}
}
