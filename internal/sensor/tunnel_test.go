package sensor_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// Remote SPAN: the demo hospital's frames, each sent to the sensor inside
// ERSPAN (types I, II, III), Ethernet over GRE, VXLAN or Geneve (and
// ERSPAN II split into IP fragments), give exactly the observations of the
// frames captured directly, and none about the tunnel itself.
func TestTunnelledMirror(t *testing.T) {
	const demo = "../../testdata/demo/hospital-demo.pcap"
	frames := readFrames(t, demo, 4000)
	want := observeFile(t, writeFrames(t, frames, nil))
	if len(want) < 100 {
		t.Fatalf("only %d observations from the plain frames", len(want))
	}
	for _, kind := range []string{"erspan1", "erspan2", "erspan3", "erspan3-subheader", "gre-teb", "vxlan", "geneve", "erspan2-fragmented", "pppoe"} {
		t.Run(kind, func(t *testing.T) {
			got := observeFile(t, writeFrames(t, frames, func(f []byte) [][]byte { return wrap(t, kind, f) }))
			if len(got) != len(want) {
				t.Fatalf("%d observations, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("observation %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
		})
	}
}

type frame struct {
	ci   gopacket.CaptureInfo
	data []byte
}

func readFrames(t *testing.T, path string, n int) []frame {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []frame
	for len(out) < n {
		p, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame{p.Info, append([]byte(nil), p.Data...)})
	}
	return out
}

// writeFrames writes frames (each turned into one or more frames by wrap,
// when given) to a temporary pcap.
func writeFrames(t *testing.T, frames []frame, wrap func([]byte) [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cap.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		outs := [][]byte{fr.data}
		if wrap != nil {
			outs = wrap(fr.data)
		}
		for _, o := range outs {
			ci := fr.ci
			ci.CaptureLength, ci.Length = len(o), len(o)
			if err := w.WritePacket(ci, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

func observeFile(t *testing.T, path string) []string {
	t.Helper()
	var c observe.Collector
	if _, err := sensor.ReadFiles(context.Background(), []string{path}, decode.DefaultConfig(), &c, nil); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(c.Obs))
	for i := range c.Obs {
		b, err := json.Marshal(&c.Obs[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

var (
	switchMAC = net.HardwareAddr{0x00, 0x00, 0x0c, 0x07, 0xac, 0x01}
	sensorMAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	switchIP  = net.IP{192, 0, 2, 1}
	sensorIP  = net.IP{192, 0, 2, 200}
)

// wrap encapsulates one Ethernet frame as a switch would send it to a
// remote collector.
func wrap(t *testing.T, kind string, f []byte) [][]byte {
	t.Helper()
	if kind == "pppoe" {
		// A PPPoE session between the same hosts: IP goes inside PPP;
		// ARP, LLDP and tagged frames stay as they are.
		var proto uint16
		switch binary.BigEndian.Uint16(f[12:14]) {
		case 0x0800:
			proto = 0x0021
		case 0x86dd:
			proto = 0x0057
		default:
			return [][]byte{f}
		}
		ip := f[14:]
		out := append([]byte{}, f[:12]...)
		out = append(out, 0x88, 0x64, 0x11, 0x00, 0x12, 0x34, byte((len(ip)+2)>>8), byte(len(ip)+2), byte(proto>>8), byte(proto))
		return [][]byte{append(out, ip...)}
	}
	var gre, udpPayload []byte
	var port uint16
	switch kind {
	case "erspan1":
		gre = append([]byte{0x00, 0x00, 0x88, 0xbe}, f...)
	case "erspan2", "erspan2-fragmented":
		hdr := []byte{0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7}  // S flag, ERSPAN II, sequence 7
		span := []byte{0x10, 0x05, 0x00, 0x2a, 0, 0, 0, 0} // version 1, VLAN 5, session 42
		gre = append(append(hdr, span...), f...)
	case "erspan3", "erspan3-subheader":
		hdr := []byte{0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9}
		span := []byte{0x20, 0x05, 0x00, 0x2a, 1, 2, 3, 4, 0, 0, 0, 0} // version 2, timestamp, frame type 0
		if kind == "erspan3-subheader" {
			span[11] |= 1
			span = append(span, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1)
		}
		gre = append(append(hdr, span...), f...)
	case "gre-teb":
		gre = append([]byte{0x20, 0x00, 0x65, 0x58, 0, 0, 0, 3}, f...) // with a key
	case "vxlan":
		port = 4789
		udpPayload = append([]byte{0x08, 0, 0, 0, 0, 0x10, 0x01, 0}, f...)
	case "geneve":
		port = 6081
		opt := []byte{0x01, 0x02, 0x80, 0x01, 0xca, 0xfe, 0xf0, 0x0d} // one 8-byte option
		udpPayload = append(append([]byte{0x02, 0x00, 0x65, 0x58, 0, 0, 0x10, 0}, opt...), f...)
	default:
		t.Fatalf("unknown tunnel %s", kind)
	}
	eth := &layers.Ethernet{SrcMAC: switchMAC, DstMAC: sensorMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: switchIP, DstIP: sensorIP, Id: 99}
	var payload []byte
	if gre != nil {
		ip.Protocol = layers.IPProtocolGRE
		payload = gre
	} else {
		ip.Protocol = layers.IPProtocolUDP
		payload = make([]byte, 8, 8+len(udpPayload))
		binary.BigEndian.PutUint16(payload[0:], 54321)
		binary.BigEndian.PutUint16(payload[2:], port)
		binary.BigEndian.PutUint16(payload[4:], uint16(8+len(udpPayload)))
		payload = append(payload, udpPayload...)
	}
	if kind == "erspan2-fragmented" && len(payload) > 200 {
		// Two fragments, the second first: reassembly must not depend on order.
		cut := 96
		b := serialize(t, eth, &layers.IPv4{Version: 4, TTL: 64, SrcIP: switchIP, DstIP: sensorIP, Id: 99, Protocol: ip.Protocol, FragOffset: uint16(cut / 8)}, payload[cut:])
		a := serialize(t, eth, &layers.IPv4{Version: 4, TTL: 64, SrcIP: switchIP, DstIP: sensorIP, Id: 99, Protocol: ip.Protocol, Flags: layers.IPv4MoreFragments}, payload[:cut])
		return [][]byte{b, a}
	}
	return [][]byte{serialize(t, eth, ip, payload)}
}

func serialize(t *testing.T, eth *layers.Ethernet, ip *layers.IPv4, payload []byte) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}
