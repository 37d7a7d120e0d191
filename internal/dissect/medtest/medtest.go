// Package medtest holds test helpers shared by the medical dissectors
// (DICOM, HL7, ASTM, POCT1-A): reading and building captures, replaying them through a
// decoder in any order, and checking that canary PHI never leaks. Only
// _test.go files import it.
package medtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// ReadPackets loads every packet of a capture file, copying the data.
func ReadPackets(t testing.TB, path string) []capture.Packet {
	t.Helper()
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []capture.Packet
	for {
		p, err := f.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
}

// Run replays packets through a decoder with only the given dissectors and
// returns what they emitted (decoder-made tcp/flow observations excluded)
// and the decoder's counters.
func Run(t testing.TB, cfg decode.Config, pkts []capture.Packet, ds ...dissect.Dissector) ([]observe.Observation, *decode.Stats) {
	t.Helper()
	names := map[string]bool{}
	for _, d := range ds {
		names[d.Name()] = true
	}
	var c observe.Collector
	cfg.SynSignatures, cfg.Services = false, false
	dec, err := decode.New(cfg, decode.Split(ds...), observe.EmitterFunc(func(o *observe.Observation) {
		if names[o.Protocol] {
			c.Emit(o)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		dec.Packet(p.Data, p.Info, p.LinkType)
	}
	dec.Flush()
	return c.Obs, dec.Stats()
}

// AssertNoCanary fails when any canary string appears in the JSON of the
// observations or in the extra outputs (logs, files written).
func AssertNoCanary(t testing.TB, obs []observe.Observation, extra [][]byte, canaries ...string) {
	t.Helper()
	var all bytes.Buffer
	for _, o := range obs {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		all.WriteByte('\n')
	}
	for _, x := range extra {
		all.Write(x)
	}
	for _, c := range canaries {
		if i := bytes.Index(bytes.ToLower(all.Bytes()), bytes.ToLower([]byte(c))); i >= 0 {
			lo, hi := max(0, i-80), min(all.Len(), i+80)
			t.Errorf("canary %q leaked: ...%s...", c, all.Bytes()[lo:hi])
		}
	}
}

// Values returns every value of key across observations, in order.
func Values(obs []observe.Observation, key string) []string {
	var out []string
	for i := range obs {
		for _, f := range obs[i].Fields {
			if f.Key == key {
				out = append(out, f.Value)
			}
		}
	}
	return out
}
