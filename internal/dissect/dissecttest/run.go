// Package dissecttest holds the test helpers shared by the dissector
// packages: running captures through the real decoder with only the
// dissectors under test, pulling payloads out of captures for fuzz seeds and
// benchmarks, reading tshark's oracle dumps and tallying agreement with
// them. Only _test.go files import it.
package dissecttest

import (
	"errors"
	"io"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Framed is an observation tagged with the 1-based number of the frame it
// came from.
type Framed struct {
	Frame int
	Obs   observe.Observation
}

// RunCapture decodes path with only ds, flushes the decoder, and returns
// what ds emitted.
func RunCapture(t testing.TB, path string, ds ...dissect.Dissector) []Framed {
	t.Helper()
	out, _ := run(t, path, true, ds)
	return out
}

// RunPcap is RunCapture without the final flush: only what ds emitted
// while the packets were read.
func RunPcap(t testing.TB, path string, ds ...dissect.Dissector) []Framed {
	t.Helper()
	out, _ := run(t, path, false, ds)
	return out
}

// RunChecked is RunCapture for one dissector that also fails the test
// (without stopping it) when d panicked on any packet.
func RunChecked(t testing.TB, path string, d dissect.Dissector) []Framed {
	t.Helper()
	out, dec := run(t, path, true, []dissect.Dissector{d})
	if ps := dec.Stats().Protocols[d.Name()]; ps != nil && ps.Panics > 0 {
		t.Errorf("%s: %s panicked %d times", path, d.Name(), ps.Panics)
	}
	return out
}

// RunCarrying is RunChecked for a dissector that hands part of its
// conversations to another (RDP to TLS): the observations of the protocols
// in also are kept.
func RunCarrying(t testing.TB, path string, d dissect.Dissector, also ...string) []Framed {
	t.Helper()
	out, dec := run(t, path, true, []dissect.Dissector{d}, also...)
	if ps := dec.Stats().Protocols[d.Name()]; ps != nil && ps.Panics > 0 {
		t.Errorf("%s: %s panicked %d times", path, d.Name(), ps.Panics)
	}
	return out
}

func run(t testing.TB, path string, flush bool, ds []dissect.Dissector, also ...string) ([]Framed, *decode.Decoder) {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []Framed
	frame := 0
	names := map[string]bool{}
	for _, d := range ds {
		names[d.Name()] = true
	}
	for _, n := range also {
		names[n] = true
	}
	// The decoder has observations of its own (flows, services): keep only ours.
	emit := observe.EmitterFunc(func(o *observe.Observation) {
		if names[o.Protocol] {
			out = append(out, Framed{frame, o.Clone()})
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
	if flush {
		dec.Flush()
	}
	return out, dec
}
