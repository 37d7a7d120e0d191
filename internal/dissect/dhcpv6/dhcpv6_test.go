package dhcpv6

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
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

func opt(code uint16, v ...byte) []byte {
	return append([]byte{byte(code >> 8), byte(code), byte(len(v) >> 8), byte(len(v))}, v...)
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func message(t byte, opts ...[]byte) []byte {
	return append([]byte{t, 0x12, 0x34, 0x56}, cat(opts...)...)
}

func relay(t byte, link, peer string, opts ...[]byte) []byte {
	b := []byte{t, 0}
	b = append(b, netip.MustParseAddr(link).AsSlice()...)
	b = append(b, netip.MustParseAddr(peer).AsSlice()...)
	return append(b, cat(opts...)...)
}

func testMeta() *dissect.Meta {
	return &dissect.Meta{
		Time:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP:     netip.MustParseAddr("fe80::1"),
		DstIP:     netip.MustParseAddr("ff02::1:2"),
		SrcPort:   546,
		DstPort:   547,
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

var duidLLT = []byte{0, 1, 0, 1, 0x1c, 0x39, 0xcf, 0x88, 0x08, 0x00, 0x27, 0xfe, 0x8f, 0x95}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name    string
		p       []byte
		want    []observe.Field
		wantErr error
	}{
		{
			name: "windows solicit",
			p: message(1,
				opt(optClientID, duidLLT...),
				opt(optVendorClass, 0, 0, 1, 0x37, 0, 8, 'M', 'S', 'F', 'T', ' ', '5', '.', '0'),
				opt(optClientFQDN, 0, 6, 'w', 's', '-', 'r', 'a', 'd', 4, 'h', 'o', 's', 'p', 0),
				opt(optORO, 0, 17, 0, 23, 0, 24, 0, 39),
				opt(optIANA, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0),
			),
			want: fields(
				"dhcpv6.message_type", "solicit",
				"dhcpv6.duid", "00:01:00:01:1c:39:cf:88:08:00:27:fe:8f:95",
				"dhcpv6.duid_type", "llt",
				"dhcpv6.duid_mac", "08:00:27:fe:8f:95",
				"dhcpv6.enterprise", "311",
				"dhcpv6.vendor_class", "311:MSFT 5.0",
				"dhcpv6.fqdn", "ws-rad.hosp",
				"dhcpv6.option_request", "17,23,24,39",
				"dhcpv6.options", "1,16,39,6,3",
			),
		},
		{
			name: "reply with address and prefix",
			p: message(7,
				opt(optClientID, 0, 3, 0, 1, 0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8),
				opt(optServerID, 0, 2, 0, 0, 0x01, 0x37, 0xaa),
				opt(optIANA, cat([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
					opt(optIAAddr, append(netip.MustParseAddr("2001:db8::42").AsSlice(), 0, 0, 0, 1, 0, 0, 0, 2)...))...),
				opt(optIAPD, cat([]byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0},
					opt(optIAPrefix, append([]byte{0, 0, 0, 1, 0, 0, 0, 2, 56}, netip.MustParseAddr("2001:db8:100::").AsSlice()...)...))...),
			),
			want: fields(
				"dhcpv6.message_type", "reply",
				"dhcpv6.duid", "00:03:00:01:b8:27:eb:b8:53:c8",
				"dhcpv6.duid_type", "ll",
				"dhcpv6.duid_mac", "b8:27:eb:b8:53:c8",
				"dhcpv6.server_duid", "00:02:00:00:01:37:aa",
				"dhcpv6.options", "1,2,3,25",
				"dhcpv6.address", "2001:db8::42",
				"dhcpv6.prefix", "2001:db8:100::/56",
			),
		},
		{
			name: "nested relays: the innermost relay describes the client",
			p: relay(12, "2001:db8:1::1", "2001:db8:1::2",
				opt(optInterfaceID, []byte("outer")...),
				opt(optRelayMsg, relay(12, "2001:db8:2::1", "fe80::ba27:ebff:feb8:53c8",
					opt(optInterfaceID, []byte("Gi1/0/7")...),
					opt(optRemoteID, 0, 0, 0x0d, 0xe9, 0x01, 0x02),
					opt(optClientLLA, 0, 1, 0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8),
					opt(optRelayMsg, message(11, opt(optClientID, 0, 2, 0, 0, 0x9, 0x8e, 0xde, 0xad))...),
				)...),
			),
			want: fields(
				"dhcpv6.message_type", "information-request",
				"dhcpv6.duid", "00:02:00:00:09:8e:de:ad",
				"dhcpv6.duid_type", "en",
				"dhcpv6.duid_enterprise", "2446",
				"dhcpv6.options", "1",
				"dhcpv6.relayed", "1",
				"dhcpv6.peer_address", "fe80::ba27:ebff:feb8:53c8",
				"dhcpv6.link_address", "2001:db8:2::1",
				"dhcpv6.relay_interface_id", "Gi1/0/7",
				"dhcpv6.relay_remote_id", "3561:01:02",
				"dhcpv6.client_mac", "b8:27:eb:b8:53:c8",
			),
		},
		{
			name:    "option overruns",
			p:       message(1, []byte{0, 1, 0, 9, 1}),
			wantErr: dissect.ErrTruncated,
		},
		{
			name:    "relay too short",
			p:       []byte{12, 0, 1, 2, 3},
			wantErr: dissect.ErrTruncated,
		},
		{
			name: "relay loop is bounded",
			p: func() []byte {
				p := message(1)
				for range 40 {
					p = relay(12, "::1", "::2", opt(optRelayMsg, p...))
				}
				return p
			}(),
			wantErr: dissect.ErrMalformed,
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
				return
			}
			if len(c.Obs) != 1 {
				t.Fatalf("%d observations", len(c.Obs))
			}
			if diff := cmp.Diff(tt.want, c.Obs[0].Fields); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

var captures = []string{"wireshark-dhcpv6", "dhcpv6-mud", "dhcpv6-vendor-specific-information", "dhcpv6-rfc6355-duid-uuid", "dhcpv6-rfc5970", "android_dhcpv6"}

func TestGolden(t *testing.T) {
	for _, name := range captures {
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

func readTSV(t *testing.T, path string) map[int]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var header []string
	rows := map[int]map[string][]string{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		row := map[string][]string{}
		for i, c := range cols {
			if i < len(header) && c != "" {
				row[header[i]] = strings.Split(strings.ReplaceAll(c, "§", "\xc2"), "\xc2")
			}
		}
		n, _ := strconv.Atoi(cols[0])
		rows[n] = row
	}
	return rows
}

func last(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func unhex(s string) string { return strings.ReplaceAll(s, ":", "") }

// TestOracle compares with tshark 4.0.17 field dumps of the same captures
// (testdata/*.tshark.tsv; the shared oracle has no DHCPv6 fields). For
// relayed messages tshark lists outer before inner values, so the
// innermost (last) one is compared.
func TestOracle(t *testing.T) {
	keys := []string{"dhcpv6.message_type", "dhcpv6.duid", "dhcpv6.duid_mac", "dhcpv6.enterprise", "dhcpv6.vendor_class",
		"dhcpv6.address", "dhcpv6.prefix", "dhcpv6.peer_address", "dhcpv6.link_address", "dhcpv6.relay_interface_id",
		"dhcpv6.fqdn", "dhcpv6.option_request"}
	type stat struct{ agree, total int }
	stats := map[string]*stat{}
	for _, k := range keys {
		stats[k] = &stat{}
	}
	var disagreements []string
	for _, name := range captures {
		rows := readTSV(t, "testdata/"+name+".tshark.tsv")
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunPcap(t, "testdata/"+name+".pcap", New()) {
			got[f.Frame] = f.Obs
		}
		for frame, row := range rows {
			o := got[frame]
			want := map[string]string{}
			if n, err := strconv.Atoi(last(row["dhcpv6.msgtype"])); err == nil {
				want["dhcpv6.message_type"] = messageType(byte(n))
			}
			if v := row["dhcpv6.duid.bytes"]; len(v) > 0 {
				want["dhcpv6.duid"] = v[0] // the client's DUID comes first in every capture here
			}
			macs := append(append([]string{}, row["dhcpv6.duidllt.link_layer_addr"]...), row["dhcpv6.duidll.link_layer_addr"]...)
			if ent := row["dhcpv6.vendorclass.enterprise"]; len(ent) > 0 {
				want["dhcpv6.enterprise"] = ent[0]
				want["dhcpv6.vendor_class"] = ent[0] + ":" + strings.Join(row["dhcpv6.vendorclass.data"], ",")
			} else if ent := row["dhcpv6.vendoropts.enterprise"]; len(ent) > 0 {
				want["dhcpv6.enterprise"] = ent[0]
			}
			if v := row["dhcpv6.iaaddr.ip"]; len(v) > 0 {
				want["dhcpv6.address"] = v[0]
			}
			if a, l := row["dhcpv6.iaprefix.pref_addr"], row["dhcpv6.iaprefix.pref_len"]; len(a) > 0 && len(l) > 0 {
				want["dhcpv6.prefix"] = a[0] + "/" + l[0]
			}
			if v := row["dhcpv6.peeraddr"]; len(v) > 0 {
				want["dhcpv6.peer_address"] = last(v)
				want["dhcpv6.link_address"] = last(row["dhcpv6.linkaddr"])
			}
			if v := row["dhcpv6.interface_id"]; len(v) > 0 {
				want["dhcpv6.relay_interface_id"] = last(v)
			}
			if v := row["dhcpv6.client_domain"]; len(v) > 0 {
				want["dhcpv6.fqdn"] = v[0]
			}
			if v := row["dhcpv6.requested_option_code"]; len(v) > 0 {
				want["dhcpv6.option_request"] = strings.Join(v, ",")
			}
			for _, k := range keys {
				w, wok := want[k]
				g, gok := o.Get(k)
				if k == "dhcpv6.duid_mac" {
					clientDUID := ""
					if v := row["dhcpv6.duid.bytes"]; len(v) > 0 {
						clientDUID = v[0]
					}
					if !gok && (len(macs) == 0 || !strings.HasPrefix(clientDUID, "0001") && !strings.HasPrefix(clientDUID, "0003")) {
						// tshark's MACs here are the server DUID's; the
						// client's DUID (UUID, EN) embeds none.
						continue
					}
					stats[k].total++
					if gok && contains(macs, g) {
						stats[k].agree++
					} else {
						disagreements = append(disagreements, fmt.Sprintf("%s #%d %s: ward %q tshark %q", name, frame, k, g, macs))
					}
					continue
				}
				if !wok && !gok {
					continue
				}
				switch k {
				case "dhcpv6.duid":
					g = unhex(g)
				case "dhcpv6.relay_interface_id":
					if !strings.Contains(g, ":") {
						g = hex.EncodeToString([]byte(g))
					}
					g = unhex(g)
				}
				stats[k].total++
				if w == g {
					stats[k].agree++
				} else {
					disagreements = append(disagreements, fmt.Sprintf("%s #%d %s: ward %q tshark %q", name, frame, k, g, w))
				}
			}
		}
	}
	for _, d := range disagreements {
		t.Log("disagreement:", d)
	}
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
}

func contains(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	p := message(1, opt(optClientID, duidLLT...), opt(optIANA, cat([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
		opt(optIAAddr, make([]byte, 24)...))...))
	// Every valid message is reported; what must not allocate is matching
	// and the option walk that precedes emission.
	if n := testing.AllocsPerRun(100, func() { _ = d.MatchUDP(546, 547, p) }); n != 0 {
		t.Errorf("%d allocs matching", int(n))
	}
	_ = d.options(p[4:], 0)
	if n := testing.AllocsPerRun(100, func() {
		d.m = msg{order: d.m.order[:0]}
		_ = d.options(p[4:], 0)
	}); n != 0 {
		t.Errorf("%d allocs walking options", int(n))
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	p := message(1,
		opt(optClientID, duidLLT...),
		opt(optVendorClass, 0, 0, 1, 0x37, 0, 8, 'M', 'S', 'F', 'T', ' ', '5', '.', '0'),
		opt(optORO, 0, 17, 0, 23, 0, 24, 0, 39),
	)
	d := New()
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectUDP(m, p, e)
	}
}
