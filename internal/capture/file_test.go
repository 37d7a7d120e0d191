package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writePcap makes a capture of n small frames, one second apart from base.
func writePcap(t *testing.T, n int, base time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data := bytes.Repeat([]byte{byte(i)}, 60)
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Second), CaptureLength: 60, Length: 60}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t *testing.T, s Source) (int, error) {
	t.Helper()
	n := 0
	for {
		_, err := s.ReadPacket()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestFileFormats(t *testing.T) {
	base := time.Unix(1700000000, 0)
	pcap := writePcap(t, 5, base)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pcap)
	zw.Close()
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		nw.WritePacket(gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Second), CaptureLength: 60, Length: 60}, make([]byte, 60))
	}
	nw.Flush()

	tests := []struct {
		name    string
		data    []byte
		want    int
		wantErr string // substring of the open or read error
	}{
		{"pcap", pcap, 5, ""},
		{"pcap.gz", gz.Bytes(), 5, ""},
		{"pcapng", ng.Bytes(), 3, ""},
		{"truncated record", pcap[:len(pcap)-10], 4, "byte offset 328: truncated packet record"},
		{"truncated header of record", pcap[:24+16*4+60*4+8], 4, "byte offset 328: truncated"},
		{"empty", nil, 0, "empty file"},
		{"not a capture", []byte("hello, this is text\n"), 0, "not a pcap or pcapng file"},
		{"short", []byte{0xd4, 0xc3}, 0, "too short"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 0}, 0, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.name, tt.data)
			f, err := OpenFile(p)
			if err != nil {
				if tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("open error %q, want one naming the file and %q", err, tt.wantErr)
				}
				return
			}
			defer f.Close()
			n, err := readAll(t, f)
			if n != tt.want {
				t.Errorf("read %d packets, want %d", n, tt.want)
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p)) {
				t.Fatalf("error %v, want one naming the file and %q", err, tt.wantErr)
			}
		})
	}
}

func TestMergeOrderAndDamage(t *testing.T) {
	base := time.Unix(1700000000, 0)
	a := writeFile(t, "a.pcap", writePcap(t, 3, base))                           // t=0,1,2
	b := writeFile(t, "b.pcap", writePcap(t, 3, base.Add(500*time.Millisecond))) // t=.5,1.5,2.5
	bad := writePcap(t, 3, base.Add(250*time.Millisecond))
	c := writeFile(t, "c.pcap", bad[:len(bad)-5]) // t=.25,1.25 then damage
	var srcs []Source
	for _, p := range []string{a, b, c} {
		f, err := OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, f)
	}
	var errs []error
	m := NewMerge(srcs, func(err error) { errs = append(errs, err) })
	defer m.Close()
	var times []time.Duration
	for {
		p, err := m.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, p.Info.Timestamp.Sub(base))
	}
	want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 1250 * time.Millisecond, 1500 * time.Millisecond, 2 * time.Second, 2500 * time.Millisecond}
	if len(times) != len(want) {
		t.Fatalf("merged times %v, want %v", times, want)
	}
	for i := range want {
		if times[i] != want[i] {
			t.Fatalf("merged times %v, want %v", times, want)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "c.pcap") {
		t.Fatalf("errors %v, want one for c.pcap", errs)
	}
}

// TestNoSendPath keeps the passive promise checkable: no file in Ward's
// capture code may call a transmit method of a packet handle.
func TestNoSendPath(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, banned := range []string{"WritePacketData", "unix.Sendto", "unix.Write(", "syscall.Sendto", "SendPacket"} {
			if bytes.Contains(b, []byte(banned)) {
				t.Errorf("%s contains %q: capture code must not transmit", f, banned)
			}
		}
	}
}

func TestParseBPF(t *testing.T) {
	// tcpdump -ddd 'tcp port 104' style (shortened program).
	prog, err := ParseBPF("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")
	if err != nil || len(prog) != 4 || prog[1].K != 2048 {
		t.Fatalf("ParseBPF = %v, %v", prog, err)
	}
	for _, bad := range []string{"", "2\n40 0 0 12\n", "x\n", "1\n40 0 0\n", "1\n40 0 999 1\n"} {
		if _, err := ParseBPF(bad); err == nil {
			t.Errorf("ParseBPF(%q) accepted", bad)
		}
	}
}
