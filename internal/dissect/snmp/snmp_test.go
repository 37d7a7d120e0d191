package snmp

import (
	"encoding/hex"
	"errors"
	"net/netip"
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

var captures = []string{"ndpi_snmp", "SNMPv2c_get_requests", "snmpv3_synthetic", "snmpv3_netsnmp"}

func TestGolden(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunCapture(t, filepath.Join("testdata", name+".pcap"), New()) {
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
		})
	}
}

// TestNetSNMPv3 reads a real Net-SNMP agent's SNMPv3 exchange (authPriv,
// then noAuthNoPriv; testdata/capture-snmpv3.sh) and checks every packet's
// engine against tshark's reading (snmpv3_netsnmp.oracle.tsv), whose it is,
// and that the USM user names sent in clear are never emitted.
func TestNetSNMPv3(t *testing.T) {
	oracle, err := os.ReadFile("testdata/snmpv3_netsnmp.oracle.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]string{} // frame -> engine id, enterprise, format, mac
	for _, line := range strings.Split(strings.TrimSpace(string(oracle)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) == 6 && f[2] != "<MISSING>" {
			n, _ := strconv.Atoi(f[0])
			want[n] = f[2:]
		}
	}
	got := dissecttest.RunCapture(t, "testdata/snmpv3_netsnmp.pcap", New())
	if len(got) != 8 || len(want) != 6 {
		t.Fatalf("%d observations, %d oracle engines; want 8 and 6", len(got), len(want))
	}
	formats := map[string]string{"3": "mac"}
	for _, fr := range got {
		o := fr.Obs
		id, _ := o.Get("snmp.engine_id")
		ent, _ := o.Get("snmp.engine_enterprise")
		format, _ := o.Get("snmp.engine_format")
		mac, _ := o.Get("snmp.engine_mac")
		w, ok := want[fr.Frame]
		if !ok {
			if id != "" {
				t.Errorf("frame %d: engine %s where tshark shows none (discovery)", fr.Frame, id)
			}
			continue
		}
		if id != w[0] || ent != w[1] || format != formats[w[2]] || mac != w[3] {
			t.Errorf("frame %d: engine %s/%s/%s/%s, tshark %v", fr.Frame, id, ent, format, mac, w)
		}
		owner, _ := o.Get("snmp.engine_owner")
		if wantOwner := map[bool]string{true: "sender", false: "receiver"}[o.SrcPort == 161]; owner != wantOwner {
			t.Errorf("frame %d from port %d: engine owner %q, want %q", fr.Frame, o.SrcPort, owner, wantOwner)
		}
		for _, f := range o.Fields {
			if strings.Contains(f.Value, "wardauth") || strings.Contains(f.Value, "wardnoauth") {
				t.Errorf("frame %d: %s carries the USM user name", fr.Frame, f.Key)
			}
		}
	}
}

// ber builds one BER element with a definite length.
func ber(tag byte, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	n := len(v)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, v...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, v...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, v...)
	}
}

func integer(v byte) []byte { return []byte{tagInteger, 1, v} }

func oid(hexs string) []byte {
	b, err := hex.DecodeString(hexs)
	if err != nil {
		panic(err)
	}
	return ber(tagOID, b)
}

func octets(s string) []byte { return ber(tagOctets, []byte(s)) }

func vb(o, val []byte) []byte { return ber(tagSequence, o, val) }

// v2 builds a v1/v2c message around a PDU.
func v2(version byte, community string, pdu []byte) []byte {
	return ber(tagSequence, integer(version), octets(community), pdu)
}

func response(tag byte, varbinds ...[]byte) []byte {
	return ber(tag, integer(7), integer(0), integer(0), ber(tagSequence, varbinds...))
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

const community = "s3cr3t-community"

func TestDissectUDP(t *testing.T) {
	sysGroup := []([]byte){
		vb(oid("2b06010201010100"), octets("Philips IntelliVue MX800 Rev M.00.03\x00")),
		vb(oid("2b06010201010200"), oid("2b060104018f6d0102")), // 1.3.6.1.4.1.2029.1.2
		vb(oid("2b06010201010400"), octets("biomed@example.org")),
		vb(oid("2b06010201010500"), octets("icu-bed-12")),
		vb(oid("2b06010201010600"), octets("ICU 3rd floor")),
		vb(oid("2b06010201010300"), []byte{0x43, 1, 5}), // sysUpTime: ignored
	}
	tests := []struct {
		name    string
		msg     []byte
		want    []map[string]string
		wantErr error
	}{
		{
			name: "v2c get-response with the system group",
			msg:  v2(1, community, response(0xa2, sysGroup...)),
			want: []map[string]string{{
				"snmp.version": "v2c", "snmp.pdu": "get-response", "snmp.cleartext_community": "seen",
				"snmp.sys_descr": "Philips IntelliVue MX800 Rev M.00.03", "snmp.sys_object_id": "1.3.6.1.4.1.2029.1.2",
				"snmp.enterprise": "2029", "snmp.sys_contact": "biomed@example.org", "snmp.sys_name": "icu-bed-12",
				"snmp.sys_location": "ICU 3rd floor",
			}},
		},
		{
			name: "get-request carries no values but flags the community",
			msg:  v2(0, community, response(0xa0, vb(oid("2b06010201010100"), []byte{tagNull, 0}))),
			want: []map[string]string{{"snmp.version": "v1", "snmp.pdu": "get-request", "snmp.cleartext_community": "seen"}},
		},
		{
			name: "set-request values describe the target, not the sender",
			msg:  v2(1, community, response(0xa3, vb(oid("2b06010201010500"), octets("renamed")))),
			want: []map[string]string{{"snmp.version": "v2c", "snmp.pdu": "set-request", "snmp.cleartext_community": "seen"}},
		},
		{
			name: "v1 trap",
			msg: v2(0, community, ber(0xa4, oid("2b0601040109"), ber(tagIPAddress, []byte{10, 0, 0, 9}),
				integer(6), integer(1), []byte{0x43, 1, 9}, ber(tagSequence, sysGroup[3]))),
			want: []map[string]string{{
				"snmp.version": "v1", "snmp.pdu": "trap", "snmp.cleartext_community": "seen",
				"snmp.trap_enterprise": "1.3.6.1.4.1.9", "snmp.agent_address": "10.0.0.9", "snmp.sys_name": "icu-bed-12",
			}},
		},
		{
			name: "v2 trap names its trap OID",
			msg:  v2(1, community, response(0xa7, vb(oid("2b060106030101040100"), oid("2b06010603010105040100")))),
			want: []map[string]string{{
				"snmp.version": "v2c", "snmp.pdu": "snmpv2-trap", "snmp.cleartext_community": "seen",
				"snmp.trap_oid": "1.3.6.1.6.3.1.1.5.4.1.0",
			}},
		},
		{
			name: "v3 authPriv: engine id only",
			msg: ber(tagSequence, integer(3),
				ber(tagSequence, integer(1), []byte{tagInteger, 2, 0x05, 0xdc}, ber(tagOctets, []byte{0x07}), integer(3)),
				ber(tagOctets, ber(tagSequence, ber(tagOctets, []byte{0x80, 0, 0, 0x09, 0x03, 0xaa, 0xbb}), integer(1), integer(2), octets("user"), octets(""), octets(""))),
				ber(tagOctets, []byte{1, 2, 3, 4})),
			want: []map[string]string{{
				"snmp.version": "v3", "snmp.engine_id": "80000009" + "03aabb", "snmp.engine_enterprise": "9",
				"snmp.v3_security": "authPriv",
			}},
		},
		{
			// Seen from a real tool: the USM SEQUENCE claims 4 bytes more
			// than the security parameters hold. Wireshark still reads the
			// engine id; so does Ward.
			name: "v3 USM parameters mis-sized",
			msg: ber(tagSequence, integer(3),
				ber(tagSequence, integer(1), []byte{tagInteger, 2, 0x10, 0x00}, ber(tagOctets, []byte{0x04}), integer(3)),
				ber(tagOctets, missized(ber(tagSequence, ber(tagOctets, []byte{0x80, 0, 0x1f, 0x88, 0x80, 0x12, 0x34}), integer(0), integer(0), octets("admin"), octets(""), octets("")), 4)),
				ber(tagSequence, octets(""), octets(""), response(0xa0, vb(oid("2b06010201010100"), []byte{tagNull, 0})))),
			want: []map[string]string{{
				"snmp.version": "v3", "snmp.pdu": "get-request", "snmp.engine_id": "80001f88801234", "snmp.engine_enterprise": "8072",
				"snmp.engine_format": "enterprise", "snmp.engine_owner": "receiver", "snmp.v3_security": "noAuthNoPriv",
			}},
		},
		{
			name:    "varbind cut short keeps the envelope",
			msg:     v2(1, community, response(0xa2, []byte{0x30, 0x05, 0x06})),
			want:    []map[string]string{{"snmp.version": "v2c", "snmp.pdu": "get-response", "snmp.cleartext_community": "seen"}},
			wantErr: dissect.ErrTruncated,
		},
		{name: "version 5 does not exist", msg: v2(5, community, response(0xa0)), wantErr: dissect.ErrMalformed},
		{
			name:    "broken PDU still shows the cleartext community",
			msg:     v2(0, community, integer(42)),
			want:    []map[string]string{{"snmp.version": "v1", "snmp.cleartext_community": "seen"}},
			wantErr: dissect.ErrMalformed,
		},
		{name: "no community", msg: ber(tagSequence, integer(1), integer(1)), wantErr: dissect.ErrMalformed},
		{name: "indefinite length", msg: []byte{0x30, 0x80, 0, 0}, wantErr: dissect.ErrMalformed},
		{name: "short", msg: []byte{0x30}, wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(&dissect.Meta{}, tc.msg, &c)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, fields(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			assertNoCommunity(t, c.Obs, community)
		})
	}
}

func assertNoCommunity(t *testing.T, obs []observe.Observation, community string) {
	t.Helper()
	for _, o := range obs {
		for _, f := range o.Fields {
			if strings.Contains(f.Value, community) || strings.Contains(f.Key, community) {
				t.Fatalf("community %q leaked in %s=%q", community, f.Key, f.Value)
			}
		}
		b, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), community) {
			t.Fatalf("community %q leaked in %s", community, b)
		}
	}
}

// TestCommunityNeverEmitted reads every real capture's community strings
// independently of the dissector and proves none reaches an observation.
func TestCommunityNeverEmitted(t *testing.T) {
	seen := 0
	for _, name := range captures {
		path := filepath.Join("testdata", name+".pcap")
		var obs []observe.Observation
		for _, f := range dissecttest.RunCapture(t, path, New()) {
			obs = append(obs, f.Obs)
		}
		for _, p := range dissecttest.MatchedUDPPayloads(t, path, New().MatchUDP) {
			// SEQUENCE { INTEGER version, OCTET STRING community, ... }
			_, body, _, err := readTLV(p)
			if err != nil {
				continue
			}
			_, _, rest, err := readTLV(body)
			if err != nil {
				continue
			}
			tag, c, _, err := readTLV(rest)
			if err != nil || tag != tagOctets || len(c) < 3 {
				continue
			}
			seen++
			assertNoCommunity(t, obs, string(c))
		}
	}
	if seen == 0 {
		t.Fatal("no community strings in the test captures")
	}
	t.Logf("%d messages with a community checked", seen)
}

// TestOracle compares OIDs, octet-string values and the system-group fields
// with tshark on every shared capture carrying SNMP.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	a := dissecttest.NewAgreement()
	keys := map[string]string{
		"1.3.6.1.2.1.1.1.0": "snmp.sys_descr", "1.3.6.1.2.1.1.4.0": "snmp.sys_contact",
		"1.3.6.1.2.1.1.5.0": "snmp.sys_name", "1.3.6.1.2.1.1.6.0": "snmp.sys_location",
	}
	for _, rel := range []string{"ndpi/snmp.pcap", "arkime/SNMPv2c_get_requests.pcap", "arkime/snmpv3_synthetic.pcap"} {
		path := filepath.Join(dir, rel)
		want := dissecttest.Oracle(t, path)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunCapture(t, path, New()) {
			got[f.Frame] = f.Obs
		}
		payloads := dissecttest.MatchedUDPPayloads(t, path, New().MatchUDP)
		for fr, row := range want {
			if row["_ws.col.Protocol"][0] != "SNMP" {
				continue
			}
			o, emitted := got[fr]
			var msg message
			_ = parseMessage(payloads[fr], &msg)
			var oids, octs []string
			var pairs [][2]string
			_ = walkVarbinds(msg.varbinds, func(id []byte, tag byte, val []byte) bool {
				s, _ := appendOID(nil, id)
				oids = append(oids, string(s))
				if tag == tagOctets {
					octs = append(octs, hex.EncodeToString(val))
					pairs = append(pairs, [2]string{string(s), ""})
				}
				return true
			})
			if th, ok := row["snmp.name"]; ok || len(oids) > 0 {
				a.Check(rel+" snmp.name (OIDs)", fr, strings.Join(oids, ","), strings.Join(th, ","), "")
			}
			if th, ok := row["snmp.value.octets"]; ok || len(octs) > 0 {
				a.Check(rel+" snmp.value.octets", fr, strings.Join(octs, ","), strings.Join(th, ","), "")
				// Pair tshark's octet values with the OIDs in order and
				// compare the system group Ward emitted.
				if len(th) == len(pairs) && msg.hasPDU && carriesValues(msg.pduTag) {
					for i, p := range pairs {
						key, ok := keys[p[0]]
						if !ok {
							continue
						}
						raw, _ := hex.DecodeString(th[i])
						ours, _ := o.Get(key)
						a.Check(rel+" "+key, fr, ours, text(raw), "")
					}
				}
			}
			// Ward reads what tshark reads; tshark flags some synthetic v3
			// messages as malformed that Ward still reads the envelope of.
			a.Check(rel+" frames", fr, boolStr(emitted), boolStr(true), "")
		}
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
	for _, p := range [][]byte{nil, {0x30}, {0x30, 0x80, 0, 0}, v2(5, "x", response(0xa0)), ber(tagSequence, integer(1), integer(1))} {
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, p, e) }); n != 0 {
			t.Errorf("message %x: %.0f allocs, want 0", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { d.MatchUDP(161, 4000, p) }); n != 0 {
			t.Errorf("MatchUDP %x: %.0f allocs", p, n)
		}
	}
	// A request yields an observation of constants only: no allocation either.
	req := v2(1, community, response(0xa0, vb(oid("2b06010201010100"), []byte{tagNull, 0})))
	if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, req, e) }); n != 0 {
		t.Errorf("get-request: %.0f allocs, want 0", n)
	}
}

// BenchmarkDissectUDP cycles through every message of the nDPI capture:
// requests, responses with system-group values, traps and v3 reports.
func BenchmarkDissectUDP(b *testing.B) {
	var msgs [][]byte
	size := 0
	for _, p := range dissecttest.MatchedUDPPayloads(b, filepath.Join("testdata", "ndpi_snmp.pcap"), New().MatchUDP) {
		msgs = append(msgs, p)
		size += len(p)
	}
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(size / len(msgs)))
	i := 0
	for b.Loop() {
		_ = d.DissectUDP(m, msgs[i%len(msgs)], e)
		i++
	}
}

// missized raises the short length of the element e by extra, as a faulty
// encoder would.
func missized(e []byte, extra int) []byte {
	out := append([]byte(nil), e...)
	out[1] += byte(extra)
	return out
}

// TestEngineIDFormats: what RFC 3411's engine ID formats carry, and whose
// the engine is when the PDU is encrypted (by the ports).
func TestEngineIDFormats(t *testing.T) {
	for _, tt := range []struct {
		name     string
		id       []byte
		src, dst uint16
		want     map[string]string
	}{
		{"ipv4 from the agent", []byte{0x80, 0, 0, 9, 1, 10, 1, 2, 3}, 161, 40000,
			map[string]string{"snmp.engine_enterprise": "9", "snmp.engine_format": "ipv4", "snmp.engine_ip": "10.1.2.3", "snmp.engine_owner": "sender"}},
		{"ipv6", append([]byte{0x80, 0, 0, 11, 2}, netip.MustParseAddr("2001:db8::7").AsSlice()...), 161, 40000,
			map[string]string{"snmp.engine_enterprise": "11", "snmp.engine_format": "ipv6", "snmp.engine_ip": "2001:db8::7", "snmp.engine_owner": "sender"}},
		{"text, a trap to the manager", []byte{0x80, 0, 0, 0x0b, 4, 'p', 'u', 'm', 'p', '-', '7'}, 40000, 162,
			map[string]string{"snmp.engine_enterprise": "11", "snmp.engine_format": "text", "snmp.engine_text": "pump-7", "snmp.engine_owner": "sender"}},
		{"mac, a request to the agent", []byte{0x80, 0, 0, 9, 3, 0, 0x09, 0xfb, 1, 2, 3}, 40000, 161,
			map[string]string{"snmp.engine_enterprise": "9", "snmp.engine_format": "mac", "snmp.engine_mac": "00:09:fb:01:02:03", "snmp.engine_owner": "receiver"}},
		{"mac of the wrong length", []byte{0x80, 0, 0, 9, 3, 0, 0x09}, 161, 40000,
			map[string]string{"snmp.engine_enterprise": "9", "snmp.engine_owner": "sender"}},
		{"binary text is not text", []byte{0x80, 0, 0, 9, 4, 0xff, 0}, 50000, 50001,
			map[string]string{"snmp.engine_enterprise": "9"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := ber(tagSequence, integer(3),
				ber(tagSequence, integer(1), []byte{tagInteger, 2, 0x05, 0xdc}, ber(tagOctets, []byte{0x07}), integer(3)),
				ber(tagOctets, ber(tagSequence, ber(tagOctets, tt.id), integer(1), integer(2), octets("user"), octets(""), octets(""))),
				ber(tagOctets, []byte{1, 2, 3, 4}))
			d := New()
			var c observe.Collector
			m := &dissect.Meta{SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"), SrcPort: tt.src, DstPort: tt.dst, Transport: "udp"}
			if err := d.DissectUDP(m, msg, &c); err != nil || len(c.Obs) != 1 {
				t.Fatalf("DissectUDP: %v, %d observations", err, len(c.Obs))
			}
			got := map[string]string{}
			for _, f := range c.Obs[0].Fields {
				if strings.HasPrefix(f.Key, "snmp.engine_") && f.Key != "snmp.engine_id" {
					got[f.Key] = f.Value
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("engine fields (-want +got):\n%s", diff)
			}
		})
	}
}
