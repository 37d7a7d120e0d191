package bacnet

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// capture is testdata/capture-bacnet.sh's: an air handler controller on
// 47808 and a pharmacy refrigeration monitor on 47809 (ISO 8859-1 and UCS-2
// strings) answering a workstation's Who-Is, ReadProperty and
// ReadPropertyMultiple.
const capture = "building_controllers"

// propKeys maps tshark's property names to our fields.
var propKeys = map[string]string{
	"vendor-name":                  "bacnet.vendor_name",
	"model-name":                   "bacnet.model_name",
	"firmware-revision":            "bacnet.firmware_revision",
	"application-software-version": "bacnet.application_software_version",
	"object-name":                  "bacnet.object_name",
	"location":                     "bacnet.location",
	"description":                  "bacnet.description",
	"serial-number":                "bacnet.serial_number",
	"vendor-identifier":            "bacnet.vendor_id",
	"protocol-revision":            "bacnet.protocol_revision",
}

func TestCapture(t *testing.T) {
	checkOracle(t, capture, filepath.Join("testdata", capture+".pcap"))
}

// The shared capture: internet scanners' ReadProperty requests, Who-Is,
// I-Am (instances 0 and 4194303), an Error and router messages.
func TestSharedCapture(t *testing.T) {
	checkOracle(t, "ndpi_bacnet", testutil.SharedData(t, "pcaps/ndpi/bacnet.pcap"))
}

// checkOracle runs the capture at path through the decoder with only this
// dissector, compares the observations with testdata/<name>.golden.json,
// and with tshark's reading: testdata/<name>.oracle.tsv (its fields) and
// <name>.values.tsv (the property values it prints). Every frame where
// tshark read an I-Am or a property ACK about a device object gives one
// observation with that device's instance (and the I-Am's vendor id), no
// other frame gives one, every device property value tshark read is ours
// for that frame, and every value we emit from an ACK is one tshark read.
// Values of other objects (an analog input's name) are never emitted.
func checkOracle(t *testing.T, name, path string) {
	rows := dissecttest.ReadOracle(t, filepath.Join("testdata", name+".oracle.tsv"))
	values := readValues(t, filepath.Join("testdata", name+".values.tsv"))
	got := map[int]observe.Observation{}
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, path, New()) {
		if _, dup := got[f.Frame]; dup {
			t.Errorf("frame %d: more than one observation", f.Frame)
		}
		got[f.Frame] = f.Obs
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, name, obs)

	want := map[int]string{} // frame -> device instance tshark read
	for frame, r := range rows {
		typ, first := dissecttest.First(r["bacapp.type"]), dissecttest.First
		switch {
		case typ == "1" && first(r["bacapp.unconfirmed_service"]) == "0": // I-Am
			want[frame] = first(r["bacapp.instance_number"])
			f := dissecttest.FieldMap(got[frame])
			if v := first(r["bacapp.vendor_identifier"]); f["bacnet.vendor_id"] != v {
				t.Errorf("frame %d: vendor id %q, tshark %q", frame, f["bacnet.vendor_id"], v)
			}
		case typ == "3" && (first(r["bacapp.confirmed_service"]) == "12" || first(r["bacapp.confirmed_service"]) == "14"):
			// The ACK's object: a ReadProperty-ACK's first, any of a
			// ReadPropertyMultiple-ACK's (object-list values are object
			// identifiers too, but come after a ReadProperty-ACK's own).
			for i, ot := range r["bacapp.objectType"] {
				if ot == "8" && i < len(r["bacapp.instance_number"]) {
					want[frame] = r["bacapp.instance_number"][i]
					break
				}
				if first(r["bacapp.confirmed_service"]) == "12" {
					break
				}
			}
		}
	}
	for frame, inst := range want {
		o, ok := got[frame]
		if !ok {
			t.Errorf("frame %d: tshark read device %s, no observation", frame, inst)
			continue
		}
		if v, _ := o.Get("bacnet.device_instance"); v != inst {
			t.Errorf("frame %d: device instance %q, tshark %q", frame, v, inst)
		}
	}
	for frame, o := range got {
		if _, ok := want[frame]; !ok {
			t.Errorf("frame %d: tshark read no device identity; ours %v", frame, dissecttest.FieldMap(o))
		}
	}

	theirs := map[int]map[string]string{} // frame -> key -> device value tshark read
	for _, v := range values {
		key, ok := propKeys[v.property]
		if !ok {
			t.Fatalf("%s: frame %d: property %q has no field", name, v.frame, v.property)
		}
		o := got[v.frame]
		if !strings.HasPrefix(v.object, "device, ") {
			for _, f := range o.Fields {
				if f.Value == v.value {
					t.Errorf("frame %d: %s's %s %q reached %s", v.frame, v.object, v.property, v.value, f.Key)
				}
			}
			continue
		}
		if theirs[v.frame] == nil {
			theirs[v.frame] = map[string]string{}
		}
		theirs[v.frame][key] = v.value
		if inst, _ := o.Get("bacnet.device_instance"); "device, "+inst != v.object {
			t.Errorf("frame %d: device instance %q, tshark read %s", v.frame, inst, v.object)
		}
		if ours, _ := o.Get(key); ours != v.value {
			t.Errorf("frame %d: %s %q, tshark %q", v.frame, key, ours, v.value)
		}
	}
	for frame, o := range got {
		if s, _ := o.Get("bacnet.service"); s == "i_am" {
			continue
		}
		for _, f := range o.Fields {
			if isPropKey(f.Key) && theirs[frame][f.Key] != f.Value {
				t.Errorf("frame %d: %s %q, tshark read none", frame, f.Key, f.Value)
			}
		}
	}
	t.Logf("%d observations, %d device property values compared", len(got), len(values))
}

func isPropKey(k string) bool {
	for _, v := range propKeys {
		if v == k {
			return true
		}
	}
	return false
}

type valueRow struct {
	frame                   int
	object, property, value string
}

// readValues reads a .values.tsv (frame, object, property, value), which
// ReadOracle cannot: its strings may hold the octet 0xC2 (as in "°").
func readValues(t *testing.T, path string) []valueRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []valueRow
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first {
			continue
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil || len(cols) != 4 {
			t.Fatalf("%s: bad row %q", path, sc.Text())
		}
		out = append(out, valueRow{n, cols[1], cols[2], cols[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLikeFresh(t *testing.T) {
	dissecttest.AssertUDPLikeFresh(t, func() dissect.UDPDissector { return New() }, dissecttest.UDPMeta(), dissecttest.Testdata(capture+".pcap")...)
}

// Builders for datagrams the captures do not have.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// bvll prefixes a BVLC header of function fn.
func bvll(fn byte, parts ...[]byte) []byte {
	b := cat(parts...)
	n := len(b) + 4
	return append([]byte{0x81, fn, byte(n >> 8), byte(n)}, b...)
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// appStr is an application-tagged character string.
func appStr(charset byte, s []byte) []byte {
	n := len(s) + 1
	if n < 5 {
		return cat([]byte{0x70 | byte(n), charset}, s)
	}
	return cat([]byte{0x75, byte(n), charset}, s)
}

// rpACK is a ReadProperty-ACK (invoke ID 1) of object typ,inst property
// prop holding value.
func rpACK(typ, inst uint32, prop byte, value []byte) []byte {
	oid := typ<<22 | inst
	return bvll(0x0a, []byte{0x01, 0x00, 0x30, 0x01, 0x0c, 0x0c, byte(oid >> 24), byte(oid >> 16), byte(oid >> 8), byte(oid), 0x19, prop, 0x3e}, value, []byte{0x3f})
}

const (
	iAmAPDU = "1000 c40203f7a1 2205ca 9100 220bb9" // device 260001, 1482, segmented-both, vendor 3001
	npduAHU = "0100"
)

// rpmACK is a ReadPropertyMultiple-ACK of device 260001 with vendor-name
// and model-name, then an analog input's object-name.
func rpmACK() []byte {
	return cat(
		unhex("0c0203f7a1 1e"),
		unhex("2979 4e"), appStr(0, []byte("Northgate Building Controls")), unhex("4f"),
		unhex("2946 4e"), appStr(0, []byte("NBC-AHU-740")), unhex("4f"),
		unhex("1f"),
		unhex("0c00000001 1e 294d 4e"), appStr(0, []byte("canary point name")), unhex("4f 1f"),
	)
}

func TestDissectUDP(t *testing.T) {
	ahu := map[string]string{"bacnet.service": "i_am", "bacnet.device_instance": "260001", "bacnet.vendor_id": "3001", "bacnet.max_apdu": "1482", "bacnet.segmentation": "both"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	rpm := rpmACK()
	tests := []struct {
		name    string
		p       []byte
		want    map[string]string // nil: no observation
		wantErr error
	}{
		{name: "I-Am broadcast", p: bvll(0x0b, unhex(npduAHU+iAmAPDU)), want: ahu},
		{
			name: "I-Am of an MS/TP device through a router: SNET 5, SADR 0x1e",
			p:    bvll(0x0b, unhex("0108 0005 01 1e"), unhex("1000 c402000032 2132 9103 2105")),
			want: map[string]string{"bacnet.service": "i_am", "bacnet.device_instance": "50", "bacnet.vendor_id": "5", "bacnet.max_apdu": "50", "bacnet.segmentation": "none", "bacnet.source_network": "5", "bacnet.source_address": "1e"},
		},
		{
			name: "I-Am globally broadcast by a router: DNET, SNET and hop count",
			p:    bvll(0x0b, unhex("0128 ffff 00 0bb8 06 0a0b0c0dbac0 fe"), unhex(iAmAPDU)),
			want: with(ahu, "bacnet.source_network", "3000", "bacnet.source_address", "0a0b0c0dbac0"),
		},
		{
			name: "I-Am forwarded by a BBMD from 10.20.2.7:47808",
			p:    bvll(0x04, unhex("0a140207bac0"), unhex(npduAHU+iAmAPDU)),
			want: with(ahu, "bacnet.forwarded_from", "10.20.2.7:47808"),
		},
		{name: "I-Am from a foreign device", p: bvll(0x09, unhex(npduAHU+iAmAPDU)), want: ahu},
		{
			name: "ReadProperty-ACK, ISO 8859-1",
			p:    rpACK(8, 710042, 121, appStr(5, []byte("K\xe4ltetechnik Rhein GmbH"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "710042", "bacnet.vendor_name": "Kältetechnik Rhein GmbH"},
		},
		{
			name: "ReadProperty-ACK, UCS-2 little-endian after a byte order mark",
			p:    rpACK(8, 7, 58, appStr(4, unhex("fffe 4f00 5200 2000 3300"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7", "bacnet.location": "OR 3"},
		},
		{
			name: "ReadProperty-ACK, UCS-2 with a surrogate pair and a lone surrogate",
			p:    rpACK(8, 7, 77, appStr(4, unhex("0041 d83dde37 d800 0042"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7", "bacnet.object_name": "A\U0001F637\uFFFDB"},
		},
		{
			name: "ReadProperty-ACK, UCS-2 of an odd length is skipped",
			p:    rpACK(8, 7, 77, appStr(4, unhex("0041 00"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7"},
		},
		{
			name: "ReadProperty-ACK, UCS-4 is not read",
			p:    rpACK(8, 7, 77, appStr(3, unhex("00000041"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7"},
		},
		{
			name: "ReadProperty-ACK, control characters and padding dropped",
			p:    rpACK(8, 7, 44, appStr(0, []byte(" 4.2\x07.1\x00\x00"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7", "bacnet.firmware_revision": "4.2.1"},
		},
		{
			name: "ReadProperty-ACK, a vendor-identifier of the wrong type is skipped",
			p:    rpACK(8, 7, 120, appStr(0, []byte("5"))),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "7"},
		},
		{
			name: "ReadProperty-ACK of one array element: not the property",
			p:    bvll(0x0a, unhex("0100 3001 0c 0c0203f7a1 194d 2901 3e"), appStr(0, []byte("AHU")), unhex("3f")),
			want: map[string]string{"bacnet.service": "read_property_ack", "bacnet.device_instance": "260001"},
		},
		{name: "ReadProperty-ACK of an analog input", p: rpACK(0, 1, 77, appStr(0, []byte("canary point name")))},
		{
			name: "ReadPropertyMultiple-ACK: the device's values, not the point's",
			p:    bvll(0x0a, unhex("0100 3005 0e"), rpm),
			want: map[string]string{"bacnet.service": "read_property_multiple_ack", "bacnet.device_instance": "260001", "bacnet.vendor_name": "Northgate Building Controls", "bacnet.model_name": "NBC-AHU-740"},
		},
		{
			name: "first segment of a segmented ReadPropertyMultiple-ACK: the whole values",
			p:    bvll(0x0a, unhex("0100 3c05 0004 0e"), rpm[:47]),
			want: map[string]string{"bacnet.service": "read_property_multiple_ack", "bacnet.device_instance": "260001", "bacnet.vendor_name": "Northgate Building Controls"},
		},
		{name: "second segment", p: bvll(0x0a, unhex("0100 3c05 0104 0e"), rpm[47:])},
		{name: "unsegmented ReadPropertyMultiple-ACK cut short", p: bvll(0x0a, unhex("0100 3005 0e"), rpm[:47]), wantErr: dissect.ErrTruncated},
		{name: "ReadPropertyMultiple-ACK without listOfResults", p: bvll(0x0a, unhex("0100 3005 0e 0c0203f7a1 2979")), wantErr: dissect.ErrMalformed},
		{name: "ReadPropertyMultiple-ACK result neither value nor error", p: bvll(0x0a, unhex("0100 3005 0e 0c0203f7a1 1e 2979 2105 1f")), wantErr: dissect.ErrMalformed},
		{name: "ReadPropertyMultiple-ACK result without property identifier", p: bvll(0x0a, unhex("0100 3005 0e 0c0203f7a1 1e 4e 4f 1f")), wantErr: dissect.ErrMalformed},
		{
			name: "ReadPropertyMultiple-ACK: results past the bound are not read",
			p:    bvll(0x0a, unhex("0100 3005 0e"), bytes.Repeat(unhex("0c00000001 1e 1f"), maxResults), rpm),
		},
		{name: "ReadProperty-ACK nested past the bound", p: rpACK(8, 7, 77, nested(maxDepth + 1)[:2*maxDepth+4]), wantErr: dissect.ErrMalformed},
		{name: "Who-Is", p: bvll(0x0b, unhex("0100 1008"))},
		{name: "ReadProperty request", p: bvll(0x0a, unhex("0104 0275000c 0c0203f7a1 1979"))},
		{name: "Error", p: bvll(0x0a, unhex("0100 500b0c 9102 9120"))},
		{name: "network layer message: I-Am-Router-To-Network", p: bvll(0x0b, unhex("0180 01 0005"))},
		{name: "BVLC-Result", p: unhex("81000006 0000")},
		{name: "I-Am of an analog input", p: bvll(0x0b, unhex("0100 1000 c400000001 2205ca 9100 220bb9")), wantErr: dissect.ErrMalformed},
		{name: "I-Am without vendor id", p: bvll(0x0b, unhex("0100 1000 c40203f7a1 2205ca 9100")), wantErr: dissect.ErrTruncated},
		{name: "ReadProperty-ACK without closing tag", p: bvll(0x0a, unhex("0100 3001 0c 0c0203f7a1 1979 3e"), appStr(0, []byte("canary"))), wantErr: dissect.ErrTruncated},
		{name: "NPDU version 2", p: bvll(0x0b, unhex("0200"+iAmAPDU)), wantErr: dissect.ErrMalformed},
		{name: "SLEN 0", p: bvll(0x0b, unhex("0108 0005 00"), unhex(iAmAPDU)), wantErr: dissect.ErrMalformed},
		{name: "SADR past the end", p: bvll(0x0b, unhex("0108 0005 06 0102")), wantErr: dissect.ErrTruncated},
		{name: "BVLC length is not the datagram's", p: unhex("810b0010 0100" + iAmAPDU), wantErr: dissect.ErrMalformed},
		{name: "Forwarded-NPDU cut in the address", p: unhex("81040007 0a1402"), wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(dissecttest.UDPMeta(), tc.p, &c)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err %v, want %v", err, tc.wantErr)
				}
			} else if err != nil {
				t.Errorf("err %v", err)
			}
			var want []map[string]string
			if tc.want != nil {
				want = []map[string]string{tc.want}
			}
			if diff := cmp.Diff(want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, o := range c.Obs {
				if o.Protocol != "bacnet" {
					t.Errorf("protocol %q", o.Protocol)
				}
			}
			dissecttest.NoCanary(t, c.Obs, "canary")
		})
	}
}

func TestMatchUDP(t *testing.T) {
	d := New()
	whoIs := bvll(0x0b, unhex("0100 1008"))
	tests := []struct {
		name string
		p    []byte
		want bool
	}{
		{"Who-Is", whoIs, true},
		{"Forwarded-NPDU", bvll(0x04, unhex("0a140207bac0 0100 1008")), true},
		{"Distribute-Broadcast-To-Network", bvll(0x09, unhex("0100 1008")), true},
		{"BVLC-Result: no NPDU", unhex("81000006 0000"), false},
		{"Register-Foreign-Device", unhex("81050006 003c"), false},
		{"BACnet/IPv6", append([]byte{0x82}, whoIs[1:]...), false},
		{"length off by one", append(whoIs, 0), false},
		{"NPDU version 0", bvll(0x0a, unhex("0000 1008")), false},
		{"Forwarded-NPDU with no NPDU", bvll(0x04, unhex("0a140207bac0")), false},
		{"a DNS query", unhex("8100 0100 0001 0000 0000 0000"), false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		if got := d.MatchUDP(47808, 47808, tc.p); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Content decides, not the port.
	if !d.MatchUDP(47809, 47809, whoIs) || !d.MatchUDP(50123, 47820, whoIs) {
		t.Error("MatchUDP: BACnet on another port")
	}
}

// Datagrams that identify nothing cost nothing: Who-Is (local and global),
// requests, errors and acknowledgements of points from the capture, and
// other traffic on port 47808.
func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := dissecttest.UDPMeta()
	m.SrcPort, m.DstPort = 47808, Port
	e := observe.EmitterFunc(func(*observe.Observation) {})
	payloads := dissecttest.MatchedUDPPayloads(t, filepath.Join("testdata", capture+".pcap"), d.MatchUDP)
	quiet := map[string][]byte{
		"not BACnet on 47808":   []byte("\x00\x01\x00\x00\x00\x00\x00\x00M-SEARCH * HTTP/1.1\r\n"),
		"BVLC type, bad length": unhex("810b00ff 0100 1008"),
		"malformed I-Am":        bvll(0x0b, unhex("0100 1000 c40203f7a1 2205")),
		"router message":        bvll(0x0b, unhex("0180 01 0005")),
		"second segment":        bvll(0x0a, unhex("0100 3c05 0104 0e 2979")),
	}
	for frame, p := range payloads {
		var c observe.Collector
		_ = d.DissectUDP(m, p, &c)
		if len(c.Obs) == 0 {
			quiet["frame "+strconv.Itoa(frame)] = p
		}
	}
	for _, frame := range []int{1, 31} { // Who-Is, local and global
		if _, ok := quiet["frame "+strconv.Itoa(frame)]; !ok {
			t.Fatalf("frame %d is no quiet Who-Is", frame)
		}
	}
	for name, p := range quiet {
		if n := testing.AllocsPerRun(100, func() {
			if d.MatchUDP(m.SrcPort, m.DstPort, p) {
				_ = d.DissectUDP(m, p, e)
			}
			_ = d.DissectUDP(m, p, e)
		}); n != 0 {
			t.Errorf("%s: %.0f allocs, want 0", name, n)
		}
	}
}

func BenchmarkCapture(b *testing.B) {
	dissecttest.BenchUDP(b, New(), dissecttest.UDPMeta(), dissecttest.Testdata(capture+".pcap")...)
}

func BenchmarkMix(b *testing.B) { dissecttest.BenchUDPMix(b, New()) }
