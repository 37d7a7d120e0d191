package lldp

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var _ dissect.FrameDissector = (*Dissector)(nil)

func TestGolden(t *testing.T) {
	for _, name := range []string{"lldp_mudurl", "wireshark-lldp", "lldp-app-priority", "LLDP_and_CDP", "lldp_8021_linkagg"} {
		t.Run(name, func(t *testing.T) {
			got := dissecttest.RunCapture(t, filepath.Join("testdata", name+".pcap"), New())
			obs := make([]observe.Observation, 0, len(got))
			for _, f := range got {
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
		})
	}
}

// tlv builds one LLDP TLV.
func tlv(typ int, v ...byte) []byte {
	return append([]byte{byte(typ<<1 | len(v)>>8), byte(len(v))}, v...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func str(prefix []byte, s string) []byte { return append(append([]byte(nil), prefix...), s...) }

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

func TestDissectFrame(t *testing.T) {
	chassisMAC := tlv(1, 4, 0x00, 0x1b, 0x4f, 0x01, 0x02, 0x03)
	tests := []struct {
		name    string
		frame   []byte
		want    []map[string]string
		wantErr error
	}{
		{
			name: "LLDP-MED phone inventory",
			frame: cat(
				chassisMAC,
				tlv(2, str([]byte{5}, "eth0")...),
				tlv(3, 0, 120),
				tlv(5, str(nil, "SEP001B4F010203")...),
				tlv(7, 0x00, 0x24, 0x00, 0x20),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 1}, "\x00\x33\x03")...),
				tlv(127, 0x00, 0x12, 0xbb, 2, 1, 0x40, 0x32, 0xae), // voice: tagged, VLAN 25, prio 5, DSCP 46
				tlv(127, 0x00, 0x80, 0xc2, 1, 0x00, 0x0a),          // port VLAN 10
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 5}, "1.0")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 6}, "FW 2.3")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 7}, "SIP75.8-5-3S")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 8}, "FCH1234ABCD")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 9}, "Cisco Systems, Inc.\x00")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 10}, "IP Phone 7975")...),
				tlv(127, str([]byte{0x00, 0x12, 0xbb, 11}, "ASSET-42")...),
				tlv(8, 5, 1, 10, 1, 2, 3, 2, 0, 0, 0, 1, 0),
				tlv(8, 17, 2, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 0),
				tlv(0),
			),
			want: []map[string]string{{
				"lldp.chassis_id":             "00:1b:4f:01:02:03",
				"lldp.chassis_id_type":        "mac",
				"lldp.port_id":                "eth0",
				"lldp.system_name":            "SEP001B4F010203",
				"lldp.capabilities":           "telephone",
				"lldp.capabilities_supported": "bridge,telephone",
				"lldp.mgmt_address":           "10.1.2.3",
				"lldp.med_hardware":           "1.0",
				"lldp.med_firmware":           "FW 2.3",
				"lldp.med_software":           "SIP75.8-5-3S",
				"lldp.med_serial":             "FCH1234ABCD",
				"lldp.med_manufacturer":       "Cisco Systems, Inc.",
				"lldp.med_model":              "IP Phone 7975",
				"lldp.med_asset_id":           "ASSET-42",
				"lldp.med_device_class":       "endpoint_class_3",
				"lldp.med_voice_vlan":         "25",
				"lldp.port_vlan":              "10",
			}, {
				"lldp.chassis_id":   "00:1b:4f:01:02:03",
				"lldp.mgmt_address": "fe80::1",
			}},
		},
		{
			name:  "network address chassis, binary port id shown as hex",
			frame: cat(tlv(1, 5, 1, 192, 0, 2, 7), tlv(2, 2, 0x01, 0x02, 0xff), tlv(3, 0, 120), tlv(0)),
			want: []map[string]string{{
				"lldp.chassis_id":      "192.0.2.7",
				"lldp.chassis_id_type": "network_address",
				"lldp.port_id":         "0102ff",
			}},
		},
		{
			name:    "TLV longer than frame keeps what came before",
			frame:   cat(tlv(1, 7, 'a', 'b'), []byte{0x0a, 0x30, 'x'}),
			want:    []map[string]string{{"lldp.chassis_id": "ab", "lldp.chassis_id_type": "local"}},
			wantErr: dissect.ErrTruncated,
		},
		{name: "first TLV not chassis", frame: tlv(2, 5, 'x'), wantErr: dissect.ErrMalformed},
		{name: "empty", frame: nil, wantErr: dissect.ErrMalformed},
		{name: "odd byte", frame: []byte{0x02}, wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			m := &dissect.Meta{SrcMAC: net.HardwareAddr{0, 0x1b, 0x4f, 1, 2, 3}}
			err := New().DissectFrame(m, tc.frame, &c)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, fields(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOracle compares Ward's LLDP fields with tshark's on every shared
// capture that carries LLDP.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	a := dissecttest.NewAgreement()
	for _, rel := range []string{"tcpdump/LLDP_and_CDP.pcap", "tcpdump/lldp_mudurl.pcap", "tcpdump/lldp-app-priority.pcap", "arkime/wireshark-lldp.pcap", "tcpdump/lldp_8021_linkagg.pcap"} {
		path := filepath.Join(dir, rel)
		want := dissecttest.Oracle(t, path)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunCapture(t, path, New()) {
			if _, ok := got[f.Frame]; !ok { // the first observation carries the frame's fields
				got[f.Frame] = f.Obs
			}
		}
		for frame, row := range want {
			if row["_ws.col.Protocol"][0] != "LLDP" {
				continue
			}
			o := got[frame]
			pairs := []struct{ ours, theirs string }{
				{"lldp.chassis_id", "lldp.chassis.id.mac"},
				{"lldp.chassis_id", "lldp.chassis.id"},
				{"lldp.port_id", "lldp.port.id"},
				{"lldp.port_description", "lldp.port.desc"},
				{"lldp.system_name", "lldp.tlv.system.name"},
				{"lldp.system_description", "lldp.tlv.system.desc"},
				{"lldp.mgmt_address", "lldp.mgn.addr.ip4"},
			}
			for _, p := range pairs {
				th, ok := row[p.theirs]
				if !ok {
					continue
				}
				ours, _ := o.Get(p.ours)
				// tshark escapes newlines in this dump.
				ours = strings.ReplaceAll(ours, "\n", `\n`)
				a.Check(rel+" "+p.ours, frame, ours, th[0], "")
			}
		}
		// Every frame Ward reads must be LLDP to tshark too.
		for frame := range got {
			if row, ok := want[frame]; !ok || row["_ws.col.Protocol"][0] != "LLDP" {
				a.Check(rel+" frames", frame, "lldp", "", "ward emitted for a frame tshark does not call LLDP")
			}
		}
	}
	if a.Fields() == 0 {
		t.Fatal("oracle compared nothing")
	}
	a.Report(t)
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	bad := [][]byte{nil, {0x02}, tlv(2, 5, 'x'), cat(tlv(1, 7), []byte{0x0a, 0x30})}
	for _, p := range bad {
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectFrame(m, p, e) }); n != 0 {
			t.Errorf("frame %x: %.0f allocs, want 0", p, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { d.MatchFrame(0x0800, nil, nil) }); n != 0 {
		t.Errorf("MatchFrame: %.0f allocs", n)
	}
}

func BenchmarkDissectFrame(b *testing.B) {
	frames := dissecttest.FramePayloads(b, filepath.Join("testdata", "lldp_mudurl.pcap"))
	p := frames[0][14:]
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectFrame(m, p, e)
	}
}
