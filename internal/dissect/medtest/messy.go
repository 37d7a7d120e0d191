package medtest

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/capture"
)

// Rewrites of real captures that make TCP delivery messy, to check that a
// dissector extracts the same fields from them. Packets must be Ethernet or
// Linux SLL framed IPv4/TCP (others are passed through unchanged).

func hasPayload(p capture.Packet) bool {
	pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.NoCopy)
	tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	return tcp != nil && len(tcp.Payload) > 0
}

// SwapPairs swaps each pair of consecutive payload-carrying packets, so the
// decoder sees every second segment before its predecessor.
func SwapPairs(pkts []capture.Packet) []capture.Packet {
	out := append([]capture.Packet(nil), pkts...)
	prev := -1
	for i := range out {
		if !hasPayload(out[i]) {
			continue
		}
		if prev < 0 {
			prev = i
			continue
		}
		out[prev], out[i] = out[i], out[prev]
		prev = -1
	}
	return out
}

// Retransmit sends every payload-carrying packet twice.
func Retransmit(pkts []capture.Packet) []capture.Packet {
	var out []capture.Packet
	for _, p := range pkts {
		out = append(out, p)
		if hasPayload(p) {
			out = append(out, p)
		}
	}
	return out
}

// StartAt drops everything before the first packet for which keep is true,
// as if the capture started mid-conversation.
func StartAt(pkts []capture.Packet, keep func(payload []byte) bool) []capture.Packet {
	for i, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.NoCopy)
		if tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); tcp != nil && len(tcp.Payload) > 0 && keep(tcp.Payload) {
			return pkts[i:]
		}
	}
	return nil
}

// TruncateLast cuts the payload of the last payload-carrying packet in half
// (as a snaplen would) and drops what follows it.
func TruncateLast(pkts []capture.Packet) []capture.Packet { return TruncateLastAt(pkts, 0.5) }

// TruncateLastAt keeps the given fraction of the last payload-carrying
// packet's payload and drops what follows it.
func TruncateLastAt(pkts []capture.Packet, keep float64) []capture.Packet {
	for i := len(pkts) - 1; i >= 0; i-- {
		if hasPayload(pkts[i]) {
			out := append([]capture.Packet(nil), pkts[:i+1]...)
			p := out[i]
			pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.NoCopy)
			tcp := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			cut := len(p.Data) - len(tcp.Payload) + int(float64(len(tcp.Payload))*keep)
			p.Data = append([]byte(nil), p.Data[:cut]...)
			p.Info.CaptureLength = cut
			out[i] = p
			return out
		}
	}
	return pkts
}

// SplitSegments re-cuts every TCP payload into segments of at most size
// bytes with consecutive sequence numbers.
func SplitSegments(t testing.TB, pkts []capture.Packet, size int) []capture.Packet {
	t.Helper()
	var out []capture.Packet
	for _, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if tcp == nil || ip == nil || len(tcp.Payload) <= size {
			out = append(out, p)
			continue
		}
		payload := append([]byte(nil), tcp.Payload...)
		for off := 0; off < len(payload); off += size {
			chunk := payload[off:min(off+size, len(payload))]
			var ls []gopacket.SerializableLayer
			for _, l := range pkt.Layers() {
				switch l.LayerType() {
				case layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL:
					ls = append(ls, l.(gopacket.SerializableLayer))
				}
			}
			ipc, tcpc := *ip, *tcp
			tcpc.Seq = tcp.Seq + uint32(off)
			if err := tcpc.SetNetworkLayerForChecksum(&ipc); err != nil {
				t.Fatal(err)
			}
			ls = append(ls, &ipc, &tcpc, gopacket.Payload(chunk))
			buf := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
				t.Fatalf("re-serialising a segment: %v", err)
			}
			np := p
			np.Data = append([]byte(nil), buf.Bytes()...)
			np.Info.CaptureLength, np.Info.Length = len(np.Data), len(np.Data)
			out = append(out, np)
		}
	}
	return out
}

// UpTo keeps the packets up to and including the first whose TCP payload
// satisfies pred, dropping the rest (all of them when none does).
func UpTo(pkts []capture.Packet, pred func(payload []byte) bool) []capture.Packet {
	for i, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.NoCopy)
		if tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); tcp != nil && len(tcp.Payload) > 0 && pred(tcp.Payload) {
			return pkts[:i+1]
		}
	}
	return pkts
}
