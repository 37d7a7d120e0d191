package dhcpv6

import (
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// framed is an observation with the 1-based number of the frame it came from.
type framed struct {
	Frame int
	Obs   observe.Observation
}

// runPcap decodes path with only ds and returns what they emitted.
func runPcap(t testing.TB, path string, ds ...dissect.Dissector) []framed {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []framed
	frame := 0
	cfg := decode.DefaultConfig()
	cfg.Services, cfg.SynSignatures = false, false
	names := map[string]bool{}
	for _, d := range ds {
		names[d.Name()] = true
	}
	dec, err := decode.New(cfg, decode.Split(ds...), observe.EmitterFunc(func(o *observe.Observation) {
		if names[o.Protocol] { // the decoder's own flow/service observations are not ours
			out = append(out, framed{frame, o.Clone()})
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for {
		pkt, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		frame++
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	return out
}

// udpPayloads returns copies of the UDP payloads in a capture (fuzz seeds).
func udpPayloads(t testing.TB, path string) [][]byte {
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
