package dhcp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// message builds a DHCPv4 datagram: BOOTP header, cookie, the given raw
// option bytes and an end option.
func message(op byte, chaddr []byte, yiaddr [4]byte, opts ...byte) []byte {
	p := make([]byte, headerLen)
	p[0], p[1], p[2] = op, 1, byte(len(chaddr))
	copy(p[16:20], yiaddr[:])
	copy(p[28:], chaddr)
	p = append(p, magicCookie...)
	p = append(p, opts...)
	return append(p, 255)
}

func opt(code byte, v ...byte) []byte { return append([]byte{code, byte(len(v))}, v...) }

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var mac = []byte{0x00, 0x0c, 0x29, 0x12, 0x34, 0x56}

func testMeta() *dissect.Meta {
	return &dissect.Meta{
		Time:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP:     netip.IPv4Unspecified(),
		DstIP:     netip.MustParseAddr("255.255.255.255"),
		SrcPort:   68,
		DstPort:   67,
		Transport: "udp",
	}
}

func fields(kv ...string) []observe.Field {
	var fs []observe.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, observe.Field{Key: kv[i], Value: kv[i+1]})
	}
	return fs
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name    string
		p       []byte
		want    []observe.Field
		wantErr error
	}{
		{
			name: "discover with identity options",
			p: message(1, mac, [4]byte{}, cat(
				opt(53, 1),
				opt(61, append([]byte{1}, mac...)...),
				opt(50, 10, 1, 2, 3),
				opt(12, []byte("INFUSION-07\x00")...),
				opt(81, 0x04, 0, 0, 4, 'p', 'u', 'm', 'p', 4, 'h', 'o', 's', 'p', 0),
				opt(60, []byte("MSFT 5.0")...),
				opt(77, []byte("RRAS.Microsoft")...),
				opt(55, 1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252),
			)...),
			want: fields(
				"dhcp.message_type", "discover",
				"dhcp.op", "request",
				"dhcp.client_mac", "00:0c:29:12:34:56",
				"dhcp.hostname", "INFUSION-07",
				"dhcp.fqdn", "pump.hosp",
				"dhcp.vendor_class", "MSFT 5.0",
				"dhcp.user_class", "RRAS.Microsoft",
				"dhcp.param_request_list", "1,3,6,15,31,33,43,44,46,47,119,121,249,252",
				"dhcp.options", "53,61,50,12,81,60,77,55",
				"dhcp.client_id", "01:00:0c:29:12:34:56",
				"dhcp.requested_ip", "10.1.2.3",
			),
		},
		{
			name: "relayed ack with option 82 and vendor specific",
			p: message(2, mac, [4]byte{10, 20, 30, 40}, cat(
				opt(53, 5),
				opt(54, 10, 20, 0, 1),
				opt(15, []byte("icu.example.org")...),
				opt(43, 1, 4, 0xde, 0xad, 0xbe, 0xef),
				opt(82, cat(opt(1, []byte("Gi1/0/17")...), opt(2, 0x00, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f))...),
				opt(81, 0x00, 255, 255, 'b', 'e', 'd', '1', '.'),
			)...),
			want: fields(
				"dhcp.message_type", "ack",
				"dhcp.op", "reply",
				"dhcp.client_mac", "00:0c:29:12:34:56",
				"dhcp.your_ip", "10.20.30.40",
				"dhcp.fqdn", "bed1",
				"dhcp.options", "53,54,15,43,82,81",
				"dhcp.server_id", "10.20.0.1",
				"dhcp.domain", "icu.example.org",
				"dhcp.vendor_specific", "01:04:de:ad:be:ef",
				"dhcp.relay_circuit_id", "Gi1/0/17",
				"dhcp.relay_remote_id", "00:1b:2c:3d:4e:5f",
			),
		},
		{
			name: "RFC 3004 user classes and option overload",
			p: func() []byte {
				p := message(1, mac, [4]byte{}, cat(opt(53, 3), opt(52, 1), opt(77, 2, 'a', 'b', 3, 'c', 'd', 'e'))...)
				copy(p[108:], cat(opt(12, []byte("from-file-field")...), []byte{255}))
				return p
			}(),
			want: fields(
				"dhcp.message_type", "request",
				"dhcp.op", "request",
				"dhcp.client_mac", "00:0c:29:12:34:56",
				"dhcp.hostname", "from-file-field",
				"dhcp.user_class", "ab,cde",
				"dhcp.options", "53,52,77,12",
			),
		},
		{
			name: "vendor-identifying vendor class (RFC 3925)",
			p: message(1, mac, [4]byte{}, cat(
				opt(53, 8),
				opt(124, 0, 0, 0x11, 0x8b, 11, 5, 'm', 'o', 'd', 'e', 'm', 4, 'v', '3', '.', '0'),
				opt(125, 0, 0, 0x0d, 0xe9, 0),
			)...),
			want: fields(
				"dhcp.message_type", "inform",
				"dhcp.op", "request",
				"dhcp.client_mac", "00:0c:29:12:34:56",
				"dhcp.options", "53,124,125",
				"dhcp.enterprise", "4491",
				"dhcp.vi_vendor_class", "4491:modem,v3.0",
			),
		},
		{
			name: "bootp without options",
			p:    message(1, mac, [4]byte{}),
			want: fields("dhcp.message_type", "bootp", "dhcp.op", "request", "dhcp.client_mac", "00:0c:29:12:34:56"),
		},
		{
			name:    "option runs past the end",
			p:       message(1, mac, [4]byte{}, 12, 40, 'x'),
			wantErr: dissect.ErrTruncated,
		},
		{
			name:    "bad op",
			p:       message(7, mac, [4]byte{}),
			wantErr: dissect.ErrMalformed,
		},
		{
			name:    "short",
			p:       make([]byte, 100),
			wantErr: dissect.ErrTruncated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(testMeta(), tt.p, &c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if len(c.Obs) != 0 {
					t.Errorf("emitted %d observations on error", len(c.Obs))
				}
				return
			}
			if len(c.Obs) != 1 {
				t.Fatalf("%d observations, want 1", len(c.Obs))
			}
			if diff := cmp.Diff(tt.want, c.Obs[0].Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchUDP(t *testing.T) {
	d := New()
	p := message(1, mac, [4]byte{}, opt(53, 1)...)
	for _, tc := range []struct {
		sp, dp uint16
		p      []byte
		want   bool
	}{
		{68, 67, p, true}, {67, 68, p, true}, {67, 67, p, true},
		{68, 53, p, false}, {68, 67, p[:200], false}, {68, 67, make([]byte, 300), false},
	} {
		if got := d.MatchUDP(tc.sp, tc.dp, tc.p); got != tc.want {
			t.Errorf("MatchUDP(%d,%d,len %d) = %v", tc.sp, tc.dp, len(tc.p), got)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"wireshark-dhcp", "dhcp-rfc3004", "dhcp-mud", "android_dhcp", "leasequery"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunPcap(t, "testdata/"+name+".pcap", New()) {
				obs = append(obs, f.Obs)
			}
			if len(obs) == 0 {
				t.Fatal("no observations")
			}
			testutil.Golden(t, name, obs)
		})
	}
}

// TestOracle compares, per frame, the fields Ward and tshark both extract.
// tshark shows a type-1 client identifier's MAC as a second
// dhcp.hw.mac_addr, so dhcp.client_id "01:<mac>" is compared with that.
func TestOracle(t *testing.T) {
	data := testutil.SharedData(t, "pcaps")
	files := dissecttest.Inventory(t, data, "dhcp")
	if len(files) == 0 {
		t.Fatal("no dhcp captures in INVENTORY.tsv")
	}
	type stat struct{ agree, total int }
	keys := []string{"dhcp.message_type", "dhcp.client_mac", "dhcp.hostname", "dhcp.vendor_class", "dhcp.param_request_list", "dhcp.client_id"}
	stats := map[string]*stat{}
	for _, k := range keys {
		stats[k] = &stat{}
	}
	var disagreements, skipped []string
	for _, rel := range files {
		rows := dissecttest.OracleRows(t, data, rel)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunPcap(t, data+"/"+rel, New()) {
			got[f.Frame] = f.Obs
		}
		for frame, row := range rows {
			if len(row["dhcp.option.dhcp"]) == 0 && len(row["dhcp.hw.mac_addr"]) == 0 {
				continue
			}
			o, ok := got[frame]
			if !ok && len(row["dhcp.option.dhcp"]) == 0 {
				// tshark read a BOOTP header but no options (it flags these
				// frames malformed: the magic cookie is misplaced); Ward
				// rejects such datagrams as not DHCP.
				skipped = append(skipped, fmt.Sprintf("%s #%d", rel, frame))
				continue
			}
			want := map[string]string{}
			if v := row["dhcp.option.dhcp"]; len(v) > 0 {
				n, _ := strconv.Atoi(v[0])
				want["dhcp.message_type"] = messageType(n)
			}
			if v := row["dhcp.hw.mac_addr"]; len(v) > 0 {
				want["dhcp.client_mac"] = v[0]
				if len(v) > 1 {
					want["dhcp.client_id"] = "01:" + v[1]
				}
			}
			if v := row["dhcp.client_id"]; len(v) > 0 {
				want["dhcp.client_id"] = v[0]
			}
			if v := row["dhcp.option.hostname"]; len(v) > 0 {
				want["dhcp.hostname"] = v[0]
			}
			if v := row["dhcp.option.vendor_class_id"]; len(v) > 0 {
				want["dhcp.vendor_class"] = v[0]
			}
			if v := row["dhcp.option.request_list_item"]; len(v) > 0 {
				want["dhcp.param_request_list"] = strings.Join(v, ",")
			}
			for _, k := range keys {
				w, wok := want[k]
				g, gok := o.Get(k)
				if !wok && (!gok || k == "dhcp.client_id") {
					// tshark prints no client_id for types other than 1
					// (e.g. type 0 with a short value): nothing to compare.
					continue
				}
				s := stats[k]
				s.total++
				if ok && w == g {
					s.agree++
					continue
				}
				disagreements = append(disagreements, fmt.Sprintf("%s #%d %s: ward %q tshark %q", rel, frame, k, g, w))
			}
		}
	}
	for _, d := range disagreements {
		t.Log("disagreement:", d)
	}
	t.Logf("skipped %d frames tshark marks malformed (no DHCP options): %v", len(skipped), skipped)
	for _, k := range keys {
		s := stats[k]
		if s.total == 0 {
			t.Logf("%s: no comparable values", k)
			continue
		}
		pct := 100 * float64(s.agree) / float64(s.total)
		t.Logf("%s: %d/%d agree (%.2f%%)", k, s.agree, s.total, pct)
		if pct < 99 {
			t.Errorf("%s agreement %.2f%% < 99%%", k, pct)
		}
	}
	if stats["dhcp.message_type"].total == 0 {
		t.Error("oracle comparison compared nothing")
	}
}

func TestNoAllocWithoutObservation(t *testing.T) {
	// Every well-formed DHCP message yields an observation, so the
	// allocation-free path is the rejection of non-DHCP datagrams.
	d := New()
	p := make([]byte, 300)
	if n := testing.AllocsPerRun(100, func() { _ = d.MatchUDP(68, 67, p) }); n != 0 {
		t.Errorf("%d allocs matching", int(n))
	}
	// Option parsing itself is allocation-free once the order buffer grew.
	msg := message(1, mac, [4]byte{}, cat(opt(53, 1), opt(12, 'h'), opt(55, 1, 3, 6))...)
	_ = d.parseOptions(msg[headerLen+4:])
	if n := testing.AllocsPerRun(100, func() {
		d.opt = options{msgType: -1, order: d.opt.order[:0]}
		_ = d.parseOptions(msg[headerLen+4:])
	}); n != 0 {
		t.Errorf("%d allocs parsing options", int(n))
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	p := message(1, mac, [4]byte{}, cat(
		opt(53, 3), opt(61, append([]byte{1}, mac...)...), opt(50, 10, 1, 2, 3),
		opt(12, []byte("INFUSION-07")...), opt(60, []byte("MSFT 5.0")...),
		opt(55, 1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252),
	)...)
	d := New()
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectUDP(m, p, e)
	}
}
