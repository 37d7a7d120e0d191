package nbns

// Test helpers shared by this package's tests: run captures through the real
// decoder with only this dissector, and read tshark's oracle dumps.

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// framed is an observation tagged with its 1-based frame number.
type framed struct {
	Frame int
	Obs   observe.Observation
}

// runCapture decodes path with only ds and returns what they emitted.
func runCapture(t testing.TB, path string, ds ...dissect.Dissector) []framed {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []framed
	frame := 0
	names := map[string]bool{}
	for _, d := range ds {
		names[d.Name()] = true
	}
	// The decoder has observations of its own (flows, services): keep only ours.
	emit := observe.EmitterFunc(func(o *observe.Observation) {
		if names[o.Protocol] {
			out = append(out, framed{frame, o.Clone()})
		}
	})
	cfg := decode.DefaultConfig()
	cfg.SynSignatures, cfg.Services = false, false
	dec, err := decode.New(cfg, decode.Split(ds...), emit)
	if err != nil {
		t.Fatal(err)
	}
	for {
		pkt, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s frame %d: %v", path, frame+1, err)
		}
		frame++
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	dec.Flush()
	return out
}

// framePayloads returns the raw frames of a capture, for seeds and benchmarks.
func framePayloads(t testing.TB, path string) [][]byte {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]byte
	for {
		pkt, err := src.ReadPacket()
		if err != nil {
			break
		}
		out = append(out, append([]byte(nil), pkt.Data...))
	}
	return out
}

// oracle reads tshark's field dump for a capture: frame number -> field ->
// occurrences. tshark joined repeated fields with "§", which the dump holds
// either whole or as its lone first byte 0xC2.
func oracle(t testing.TB, capturePath string) map[int]map[string][]string {
	t.Helper()
	dir := filepath.Dir(capturePath)
	name := filepath.Base(dir) + "__" + filepath.Base(capturePath) + ".tsv"
	f, err := os.Open(filepath.Join(filepath.Dir(dir), "oracle", name))
	if err != nil {
		t.Fatalf("oracle for %s: %v", capturePath, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var hdr []string
	out := map[int]map[string][]string{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if hdr == nil {
			hdr = cols
			continue
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("oracle %s: frame number %q", name, cols[0])
		}
		row := map[string][]string{}
		for i, c := range cols {
			if c == "" || i >= len(hdr) {
				continue
			}
			c = strings.ReplaceAll(c, "§", "\xc2")
			row[hdr[i]] = strings.Split(c, "\xc2")
		}
		out[n] = row
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// agreement counts per-field matches between Ward and tshark.
type agreement struct {
	match, total map[string]int
	why          []string
}

func newAgreement() *agreement {
	return &agreement{match: map[string]int{}, total: map[string]int{}}
}

func (a *agreement) check(field string, frame int, ours, theirs, note string) {
	a.total[field]++
	if ours == theirs {
		a.match[field]++
		return
	}
	a.why = append(a.why, "frame "+strconv.Itoa(frame)+" "+field+": ward "+strconv.Quote(ours)+" tshark "+strconv.Quote(theirs)+" "+note)
}

// report logs agreement and fails any field below 99%.
func (a *agreement) report(t *testing.T) {
	t.Helper()
	keys := make([]string, 0, len(a.total))
	for f := range a.total {
		keys = append(keys, f)
	}
	sort.Strings(keys)
	for _, f := range keys {
		n := a.total[f]
		pct := 100 * float64(a.match[f]) / float64(n)
		t.Logf("%-28s %4d/%4d agree (%.1f%%)", f, a.match[f], n, pct)
		if pct < 99 {
			t.Errorf("%s agreement %.1f%% < 99%%", f, pct)
		}
	}
	for _, w := range a.why {
		t.Log("disagreement: " + w)
	}
}

// recorder is a UDP dissector that only keeps copies of matching payloads,
// by frame number.
type recorder struct {
	match    func(sp, dp uint16, p []byte) bool
	frame    *int
	payloads map[int][]byte
}

func (*recorder) Name() string                            { return "recorder" }
func (r *recorder) MatchUDP(sp, dp uint16, p []byte) bool { return r.match(sp, dp, p) }
func (r *recorder) DissectUDP(_ *dissect.Meta, p []byte, _ observe.Emitter) error {
	r.payloads[*r.frame] = append([]byte(nil), p...)
	return nil
}

// udpPayloads returns the matching UDP payloads of a capture by frame number.
func udpPayloads(t testing.TB, path string, match func(sp, dp uint16, p []byte) bool) map[int][]byte {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	frame := 0
	r := &recorder{match: match, frame: &frame, payloads: map[int][]byte{}}
	cfg := decode.DefaultConfig()
	cfg.SynSignatures, cfg.Services = false, false
	dec, err := decode.New(cfg, decode.Split(r), observe.EmitterFunc(func(*observe.Observation) {}))
	if err != nil {
		t.Fatal(err)
	}
	for {
		pkt, err := src.ReadPacket()
		if err != nil {
			break
		}
		frame++
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	return r.payloads
}
