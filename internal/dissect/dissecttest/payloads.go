package dissecttest

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// FramePayloads returns copies of the raw frames of a capture, for seeds and
// benchmarks.
func FramePayloads(t testing.TB, path string) [][]byte {
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

// MatchedUDPPayloads returns copies of the UDP payloads of a capture that
// the decoder hands to a dissector matching as match does, by frame number.
func MatchedUDPPayloads(t testing.TB, path string, match func(sp, dp uint16, p []byte) bool) map[int][]byte {
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

// UDPPayloads returns copies of every non-empty UDP payload in a capture,
// as gopacket parses it (fuzz seeds).
func UDPPayloads(t testing.TB, path string) [][]byte {
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
		first := layers.LayerTypeEthernet
		switch pkt.LinkType {
		case layers.LinkTypeRaw, layers.LinkTypeIPv4:
			first = layers.LayerTypeIPv4
		case layers.LinkTypeLinuxSLL:
			first = layers.LayerTypeLinuxSLL
		}
		p := gopacket.NewPacket(pkt.Data, first, gopacket.Default)
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && len(u.Payload) > 0 {
			out = append(out, append([]byte(nil), u.Payload...))
		}
	}
	return out
}
