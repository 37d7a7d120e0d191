package cdp

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

func TestGolden(t *testing.T) {
	for _, name := range []string{"3560_CDP", "LLDP_and_CDP"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunCapture(t, filepath.Join("testdata", name+".pcap"), New()) {
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
		})
	}
}

func tlv(typ uint16, v ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(v)))
	return append(b, v...)
}

func s(t uint16, v string) []byte { return tlv(t, []byte(v)...) }

func cdpPDU(tlvs ...[]byte) []byte {
	b := append(append([]byte(nil), snap...), 2, 180, 0, 0)
	for _, t := range tlvs {
		b = append(b, t...)
	}
	return b
}

func fields(obs []observe.Observation) []map[string]string {
	var out []map[string]string
	for _, o := range obs {
		m := map[string]string{}
		for _, f := range o.Fields {
			m[f.Key] = f.Value
		}
		out = append(out, m)
	}
	return out
}

var ipv6Addr = append([]byte{0, 0, 0, 2,
	1, 1, 0xcc, 0, 4, 0, 0, 0, 0, // 0.0.0.0 first: skipped
	2, 8}, append(append([]byte(nil), ipv6SNAP...), 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42)...)

func TestDissectFrame(t *testing.T) {
	tests := []struct {
		name    string
		frame   []byte
		want    []map[string]string
		wantErr error
	}{
		{
			name: "phone with IPv6 management address",
			frame: cdpPDU(s(1, "SEP00112233AABB"), s(5, "SIP88xx.12-8-1\n"), s(6, "Cisco IP Phone 8865"), s(3, "Port 1"),
				tlv(4, 0, 0, 0x02, 0x90), tlv(0x16, ipv6Addr...), tlv(0x0a, 0, 20), s(9, "CORP")),
			want: []map[string]string{{
				"cdp.device_id": "SEP00112233AABB", "cdp.software_version": "SIP88xx.12-8-1", "cdp.platform": "Cisco IP Phone 8865",
				"cdp.port_id": "Port 1", "cdp.capabilities": "host,phone,cvta", "cdp.address": "2001:db8::42",
				"cdp.native_vlan": "20", "cdp.vtp_domain": "CORP", "cdp.version": "2",
			}},
		},
		{
			name:    "TLV length below its header",
			frame:   cdpPDU(s(1, "sw1"), []byte{0, 6, 0, 2}),
			want:    []map[string]string{{"cdp.device_id": "sw1", "cdp.version": "2"}},
			wantErr: dissect.ErrMalformed,
		},
		{name: "truncated TLV", frame: cdpPDU([]byte{0, 1, 0, 40, 'x'}), wantErr: dissect.ErrTruncated},
		{name: "not SNAP", frame: []byte{0x42, 0x42, 0x03}, wantErr: dissect.ErrMalformed},
		{name: "header cut", frame: append(append([]byte(nil), snap...), 2), wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectFrame(&dissect.Meta{}, tc.frame, &c)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, fields(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecoderPaths checks the frames the real decoder hands over: an 802.3
// length frame, and the same behind an 802.1Q tag (etherType is then the length).
func TestDecoderPaths(t *testing.T) {
	pdu := cdpPDU(s(1, "sw1"), s(6, "cisco WS-C2960"))
	dst := []byte{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}
	src := []byte{0x00, 0x19, 0x06, 0xea, 0xb8, 0x85}
	plain := append(append(append([]byte(nil), dst...), src...), byte(len(pdu)>>8), byte(len(pdu)))
	plain = append(plain, pdu...)
	tagged := append(append(append([]byte(nil), dst...), src...), 0x81, 0x00, 0x00, 0x0a, byte(len(pdu)>>8), byte(len(pdu)))
	tagged = append(tagged, pdu...)
	for name, frame := range map[string][]byte{"802.3": plain, "802.1Q": tagged} {
		t.Run(name, func(t *testing.T) {
			var c observe.Collector
			cfg := decode.DefaultConfig()
			dec, err := decode.New(cfg, decode.Split(New()), &c)
			if err != nil {
				t.Fatal(err)
			}
			dec.Packet(frame, gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(frame), Length: len(frame)}, layers.LinkTypeEthernet)
			if len(c.Obs) != 1 {
				t.Fatalf("got %d observations, want 1", len(c.Obs))
			}
			if v, _ := c.Obs[0].Get("cdp.platform"); v != "cisco WS-C2960" {
				t.Errorf("platform %q", v)
			}
		})
	}
}

// TestOracle compares with tshark on every shared capture carrying CDP.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	a := dissecttest.NewAgreement()
	for _, rel := range []string{"tcpdump/3560_CDP.pcap", "tcpdump/LLDP_and_CDP.pcap"} {
		path := filepath.Join(dir, rel)
		want := dissecttest.Oracle(t, path)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunCapture(t, path, New()) {
			got[f.Frame] = f.Obs
		}
		for frame, row := range want {
			if row["_ws.col.Protocol"][0] != "CDP" {
				continue
			}
			o, ok := got[frame]
			a.Check(rel+" frames", frame, boolStr(ok), "true", "tshark sees CDP, ward emitted nothing")
			for _, p := range []struct{ ours, theirs string }{
				{"cdp.device_id", "cdp.deviceid"},
				{"cdp.platform", "cdp.platform"},
				{"cdp.port_id", "cdp.portid"},
				{"cdp.software_version", "cdp.software_version"},
			} {
				th, ok := row[p.theirs]
				if !ok {
					continue
				}
				ours, _ := o.Get(p.ours)
				// tshark lists the version banner one line per occurrence.
				a.Check(rel+" "+p.ours, frame, ours, strings.Join(th, "\n"), "")
			}
			// cdp.nrgyz.ip_address holds the address TLVs' IPv4 addresses;
			// Ward drops 0.0.0.0, which names no interface.
			if th, ok := row["cdp.nrgyz.ip_address"]; ok && th[0] != "0.0.0.0" {
				ours, _ := o.Get("cdp.address")
				a.Check(rel+" cdp.address", frame, ours, th[0], "")
			}
		}
	}
	if a.Fields() == 0 {
		t.Fatal("oracle compared nothing")
	}
	a.Report(t)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	for _, p := range [][]byte{nil, {0x42, 0x42, 3}, cdpPDU([]byte{0, 1, 0, 40}), cdpPDU(tlv(0x1234, 1, 2))} {
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectFrame(m, p, e) }); n != 0 {
			t.Errorf("frame %x: %.0f allocs, want 0", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { d.MatchFrame(0, nil, p) }); n != 0 {
			t.Errorf("MatchFrame %x: %.0f allocs", p, n)
		}
	}
}

func BenchmarkDissectFrame(b *testing.B) {
	p := dissecttest.FramePayloads(b, filepath.Join("testdata", "3560_CDP.pcap"))[0][14:]
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectFrame(m, p, e)
	}
}
