package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/observe"
)

// runWard runs the CLI in-process and returns stdout, stderr and the error main would print.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestObserveBadInput(t *testing.T) {
	good := filepath.Join("..", "..", "internal", "sensor", "testdata", "dhcp-rfc4388.pcap")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.pcap", data[:len(data)-37])
	empty := write("empty.pcap", nil)
	text := write("notes.txt", []byte("not a capture\n"))

	// The intact capture alone: the reference observation count.
	full, _, err := runCLI(t, "observe", good)
	if err != nil {
		t.Fatal(err)
	}
	nFull := strings.Count(full, "\n")

	t.Run("truncated keeps what came before", func(t *testing.T) {
		out, stderr, err := runCLI(t, "observe", truncated)
		if err != nil {
			t.Fatalf("a partly readable file must not fail: %v", err)
		}
		n := strings.Count(out, "\n")
		if n == 0 || n > nFull {
			t.Fatalf("%d observations from the truncated file, want 1..%d", n, nFull)
		}
		if !strings.Contains(stderr, truncated) || !strings.Contains(stderr, "byte offset") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Fatalf("want one warning line naming the file and offset, got %q", stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var o observe.Observation
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatalf("bad JSON line %q: %v", line, err)
			}
		}
	})
	for _, tc := range []struct{ name, path, want string }{
		{"empty", empty, "empty file"},
		{"not a capture", text, "not a pcap or pcapng file"},
		{"missing", filepath.Join(dir, "nope.pcap"), "no such file"},
	} {
		t.Run(tc.name+" alone fails", func(t *testing.T) {
			_, _, err := runCLI(t, "observe", tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("error %v, want one naming %s and %q", err, tc.path, tc.want)
			}
		})
		t.Run(tc.name+" beside a good file warns", func(t *testing.T) {
			out, stderr, err := runCLI(t, "observe", tc.path, good)
			if err != nil {
				t.Fatalf("err %v", err)
			}
			if strings.Count(out, "\n") != nFull || !strings.Contains(stderr, tc.path) {
				t.Fatalf("got %d observations (want %d) and stderr %q", strings.Count(out, "\n"), nFull, stderr)
			}
		})
	}
}

func TestObserveTableFormat(t *testing.T) {
	good := filepath.Join("..", "..", "internal", "sensor", "testdata", "dhcp-rfc4388.pcap")
	out, _, err := runCLI(t, "observe", "--format", "table", good)
	if err != nil || !strings.Contains(out, "dhcp.message_type=") {
		t.Fatalf("table output %q, %v", out, err)
	}
	if _, _, err := runCLI(t, "observe", "--format", "xml", good); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Fatalf("unknown format accepted: %v", err)
	}
}

// TestObserveStats: --stats reports on standard error what was decoded and
// which dissectors spoke, and leaves the JSON Lines on standard output as
// they are without it.
func TestObserveStats(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	plain, _, err := runCLI(t, "observe", demo)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCLI(t, "observe", "--stats", demo)
	if err != nil {
		t.Fatal(err)
	}
	if out != plain {
		t.Error("--stats changed the observations printed")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			rows[f[0]] = f[1:]
		}
	}
	if p := rows["packets"]; len(p) == 0 || p[0] != "14565" {
		t.Errorf("packets row %q, want 14565 packets:\n%s", p, stderr)
	}
	// The observation counts per protocol add up to what was printed.
	total := 0
	for name, r := range rows {
		if len(r) != 4 || name == "protocol" {
			continue
		}
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("row %s %q", name, r)
		}
		total += n
	}
	if want := strings.Count(out, "\n"); total != want {
		t.Errorf("protocol rows add up to %d observations, %d printed:\n%s", total, want, stderr)
	}
	for _, p := range []string{"hl7", "dicom", "bacnet", "lldp"} {
		if _, ok := rows[p]; !ok {
			t.Errorf("no %s row:\n%s", p, stderr)
		}
	}
	if !strings.Contains(stderr, "bytes inspected") || !strings.Contains(stderr, "tracked (TCP and UDP)") {
		t.Errorf("flow and inspection lines missing:\n%s", stderr)
	}
	if _, ok := rows["truncated"]; ok {
		t.Errorf("a truncated row for a capture with whole packets:\n%s", stderr)
	}

	// The same capture cut at 96 bytes a packet, as a privacy-minded
	// recorder writes it: --stats says how many packets lost their tail.
	cut, want := snapCut(t, demo, 96)
	_, stderr, err = runCLI(t, "observe", "--stats", cut)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, fmt.Sprintf("truncated    %d packets cut by the capture's snap length", want)) {
		t.Errorf("want %d truncated packets reported:\n%s", want, stderr)
	}
	// Without --stats, a warning when a good share of packets was cut; none
	// for whole captures.
	_, stderr, err = runCLI(t, "observe", cut)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, fmt.Sprintf("ward: warning: %d of 14565 packets were cut by the capture's snap length", want)) {
		t.Errorf("no snap length warning:\n%s", stderr)
	}
	if _, stderr, _ = runCLI(t, "observe", demo); strings.Contains(stderr, "snap length") {
		t.Errorf("a snap length warning for whole packets:\n%s", stderr)
	}
}

// snapCut writes a copy of the capture at path with every packet cut to
// snap bytes, and returns its path and how many packets were cut.
func snapCut(t *testing.T, path string, snap int) (string, int) {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(t.TempDir(), "cut.pcap")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := pcapgo.NewWriter(out)
	if err := w.WriteFileHeader(uint32(snap), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > snap {
			data, n = data[:snap], n+1
		}
		ci.CaptureLength = len(data)
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return outPath, n
}

// TestIngestWarnsSnapLength: ingesting a capture whose packets were cut
// says so, as observe does.
func TestIngestWarnsSnapLength(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	cut, n := snapCut(t, demo, 96)
	db := filepath.Join(t.TempDir(), "ward.db")
	_, stderr, err := runCLI(t, "ingest", "--db", db, cut)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, fmt.Sprintf("ward: warning: %d of 14565 packets were cut", n)) {
		t.Errorf("no snap length warning:\n%s", stderr)
	}
}
