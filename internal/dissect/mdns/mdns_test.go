package mdns

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/dissect/dns"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// msgBuilder assembles mDNS messages; names are written uncompressed
// unless a pointer is appended with ptr.
type msgBuilder struct{ b []byte }

func newMsg(flags uint16, qd, an, ns, ar int) *msgBuilder {
	return &msgBuilder{b: []byte{0, 0, byte(flags >> 8), byte(flags), 0, byte(qd), 0, byte(an), 0, byte(ns), 0, byte(ar)}}
}

func wireName(n string) []byte {
	var b []byte
	// Labels are split on "|" so instance labels may contain dots.
	for _, l := range strings.Split(n, "|") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func (m *msgBuilder) raw(b ...byte) *msgBuilder { m.b = append(m.b, b...); return m }

func (m *msgBuilder) u16(v uint16) *msgBuilder { return m.raw(byte(v>>8), byte(v)) }

func (m *msgBuilder) question(n string, t uint16, qu bool) *msgBuilder {
	class := uint16(1)
	if qu {
		class |= 0x8000
	}
	return m.raw(wireName(n)...).u16(t).u16(class)
}

func (m *msgBuilder) rr(owner []byte, t uint16, data []byte) *msgBuilder {
	m.raw(owner...).u16(t).u16(0x8001).raw(0, 0, 0x11, 0x94).u16(uint16(len(data)))
	return m.raw(data...)
}

func srv(port uint16, target string) []byte {
	return append([]byte{0, 0, 0, 0, byte(port >> 8), byte(port)}, wireName(target)...)
}

func txt(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b
}

func testMeta() *dissect.Meta {
	return &dissect.Meta{
		Time:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP:     netip.MustParseAddr("10.0.0.40"),
		DstIP:     netip.MustParseAddr("224.0.0.251"),
		SrcPort:   5353,
		DstPort:   5353,
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

// printerAnnouncement is a DNS-SD announcement of an IPP printer with a
// compressed SRV target and a reverse mapping.
func printerAnnouncement() []byte {
	inst := wireName("HP LaserJet 400 M401dne (F0E5C3)|_ipp|_tcp|local")
	m := newMsg(0x8400, 0, 5, 0, 2).
		rr(wireName("_services|_dns-sd|_udp|local"), dns.TypePTR, wireName("_ipp|_tcp|local")).
		rr(wireName("_ipp|_tcp|local"), dns.TypePTR, inst).
		rr(inst, dns.TypeSRV, srv(631, "NPIF0E5C3|local")).
		rr(inst, dns.TypeTXT, txt("txtvers=1", "ty=HP LaserJet 400 M401dne", "usb_MFG=Hewlett-Packard", "usb_MDL=HP LaserJet 400 M401dne", "")).
		rr(wireName("_universal|_sub|_ipp|_tcp|local"), dns.TypePTR, inst)
	m.rr(wireName("NPIF0E5C3|local"), dns.TypeA, []byte{10, 0, 0, 40})
	m.rr(wireName("40|0|0|10|in-addr|arpa"), dns.TypePTR, wireName("NPIF0E5C3|local"))
	return m.b
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name    string
		msg     []byte
		want    [][]observe.Field
		wantErr error
	}{
		{
			name: "printer announcement",
			msg:  printerAnnouncement(),
			want: [][]observe.Field{
				fields(
					"mdns.instance", "HP LaserJet 400 M401dne (F0E5C3)._ipp._tcp.local",
					"mdns.service", "_ipp._tcp.local",
					"mdns.hostname", "NPIF0E5C3.local",
					"mdns.port", "631",
					"mdns.txt", "txtvers=1; ty=HP LaserJet 400 M401dne; usb_MFG=Hewlett-Packard; usb_MDL=HP LaserJet 400 M401dne",
					"mdns.model", "HP LaserJet 400 M401dne",
					"mdns.manufacturer", "Hewlett-Packard",
				),
				fields("mdns.hostname", "NPIF0E5C3.local", "mdns.address", "10.0.0.40"),
			},
		},
		{
			name: "service enumeration only",
			msg: newMsg(0x8400, 0, 2, 0, 0).
				rr(wireName("_services|_dns-sd|_udp|local"), dns.TypePTR, wireName("_googlecast|_tcp|local")).
				rr(wireName("_services|_dns-sd|_udp|local"), dns.TypePTR, wireName("_googlecast|_tcp|local")).b,
			want: [][]observe.Field{fields("mdns.service", "_googlecast._tcp.local")},
		},
		{
			name: "instance name with a dot, model key precedence",
			msg: newMsg(0x8400, 0, 1, 0, 0).
				rr(wireName("Ward v1.2|_airplay|_tcp|local"), dns.TypeTXT, txt("md=ignored", "model=AppleTV5,3")).b,
			want: [][]observe.Field{fields(
				"mdns.instance", "Ward v1.2._airplay._tcp.local",
				"mdns.service", "_airplay._tcp.local",
				"mdns.txt", "md=ignored; model=AppleTV5,3",
				"mdns.model", "AppleTV5,3",
			)},
		},
		{
			name: "query with QU bit and known answer",
			msg: newMsg(0, 1, 1, 0, 0).question("_ipp|_tcp|local", dns.TypePTR, true).
				rr([]byte{0xc0, 12}, dns.TypePTR, wireName("Someone Else|_ipp|_tcp|local")).b,
			want: [][]observe.Field{fields("mdns.query", "_ipp._tcp.local", "mdns.qtype", "PTR", "mdns.qu", "1")},
		},
		{
			name: "probe claims host name in authority",
			msg: newMsg(0, 1, 0, 1, 0).question("monitor-7|local", dns.TypeANY, true).
				rr([]byte{0xc0, 12}, dns.TypeAAAA, netip.MustParseAddr("fe80::1").AsSlice()).b,
			want: [][]observe.Field{
				fields("mdns.hostname", "monitor-7.local", "mdns.address", "fe80::1"),
				fields("mdns.query", "monitor-7.local", "mdns.qtype", "ANY", "mdns.qu", "1"),
			},
		},
		{
			name: "IPv6 reverse mapping",
			msg: newMsg(0x8400, 0, 1, 0, 0).
				rr(wireName("1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|8|e|f|ip6|arpa"), dns.TypePTR, wireName("pump|local")).b,
			want: [][]observe.Field{fields("mdns.hostname", "pump.local", "mdns.address", "fe80::1")},
		},
		{
			name: "TXT of a non-service name is ignored",
			msg:  newMsg(0x8400, 0, 1, 0, 0).rr(wireName("_kerberos|host|local"), dns.TypeTXT, txt("LKDC:SHA1.00")).b,
		},
		{
			name: "SRV pointing into a pointer loop keeps the rest",
			msg: newMsg(0x8400, 0, 1, 0, 0).
				rr(wireName("x|_http|_tcp|local"), dns.TypeSRV, []byte{0, 0, 0, 0, 0, 80, 0xc0, 42}).b,
			want: [][]observe.Field{fields("mdns.instance", "x._http._tcp.local", "mdns.service", "_http._tcp.local", "mdns.port", "80")},
		},
		{
			name:    "short",
			msg:     []byte{0, 0, 0x84},
			wantErr: dissect.ErrTruncated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(testMeta(), tt.msg, &c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var got [][]observe.Field
			for _, o := range c.Obs {
				got = append(got, o.Fields)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReverseAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"40.0.0.10.in-addr.arpa", "10.0.0.40"},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.E.F.ip6.arpa", "fe80::1"},
		{"300.0.0.10.in-addr.arpa", ""},
		{"0.10.in-addr.arpa", ""},
		{"1.2.3.4.5.in-addr.arpa", ""},
		{"x.ip6.arpa", ""},
	} {
		a, ok := reverseAddr([]byte(tc.in))
		got := ""
		if ok {
			got = a.String()
		}
		if got != tc.want {
			t.Errorf("reverseAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"iphone_mdns", "android_mdns"} {
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

// readTSV reads a tshark field dump (same layout as the shared oracle).
func readTSV(t *testing.T, path string) map[int]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
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

// TestOracle compares with tshark 4.0.17. The shared oracle's display
// filter has no mdns, so testdata/*.tshark.tsv were made with the same
// tshark and options (see testdata/README.md) over the same captures.
// Per frame: queries and SRV targets/ports must equal tshark's as sets;
// every instance, service, TXT string and address Ward reports must be
// among tshark's values.
func TestOracle(t *testing.T) {
	type stat struct{ agree, total int }
	stats := map[string]*stat{}
	keys := []string{"mdns.query", "mdns.hostname(SRV)", "mdns.port", "mdns.instance", "mdns.service", "mdns.txt", "mdns.address"}
	for _, k := range keys {
		stats[k] = &stat{}
	}
	var disagreements []string
	check := func(rel string, frame int, key string, ok bool, got, want any) {
		s := stats[key]
		s.total++
		if ok {
			s.agree++
			return
		}
		disagreements = append(disagreements, fmt.Sprintf("%s #%d %s: ward %q tshark %q", rel, frame, key, got, want))
	}
	for _, name := range []string{"iphone_mdns", "android_mdns"} {
		rows := readTSV(t, "testdata/"+name+".tshark.tsv")
		got := map[int][]observe.Observation{}
		for _, f := range dissecttest.RunPcap(t, "testdata/"+name+".pcap", New()) {
			got[f.Frame] = append(got[f.Frame], f.Obs)
		}
		for frame, row := range rows {
			obs := got[frame]
			collect := func(key string, only func(*observe.Observation) bool) []string {
				var out []string
				for i := range obs {
					if v, ok := obs[i].Get(key); ok && (only == nil || only(&obs[i])) {
						out = append(out, v)
					}
				}
				return out
			}
			isResp := slices.Contains(row["dns.flags.response"], "1") || slices.Contains(row["dns.flags.response"], "True")
			if !isResp {
				q := collect("mdns.query", nil)
				w := slices.Clone(row["dns.qry.name"])
				sort.Strings(q)
				sort.Strings(w)
				check(name, frame, "mdns.query", slices.Equal(q, w), q, w)
				continue
			}
			uniq := func(v []string) []string { v = slices.Clone(v); sort.Strings(v); return slices.Compact(v) }
			srvHost := uniq(collect("mdns.hostname", func(o *observe.Observation) bool { _, ok := o.Get("mdns.port"); return ok }))
			check(name, frame, "mdns.hostname(SRV)", slices.Equal(srvHost, uniq(row["dns.srv.target"])), srvHost, uniq(row["dns.srv.target"]))
			ports := uniq(collect("mdns.port", nil))
			check(name, frame, "mdns.port", slices.Equal(ports, uniq(row["dns.srv.port"])), ports, uniq(row["dns.srv.port"]))
			names := append(slices.Clone(row["dns.resp.name"]), row["dns.ptr.domain_name"]...)
			for _, v := range collect("mdns.instance", nil) {
				check(name, frame, "mdns.instance", slices.Contains(names, v), v, "resp/ptr names")
			}
			for _, v := range collect("mdns.service", nil) {
				// A TXT-only instance (_device-info) has no PTR naming its
				// type; Ward reads the type from the instance name's suffix.
				ok := slices.ContainsFunc(names, func(n string) bool { return n == v || strings.HasSuffix(n, "."+v) })
				check(name, frame, "mdns.service", ok, v, "resp/ptr names or their suffixes")
			}
			for _, v := range collect("mdns.txt", nil) {
				for _, part := range strings.Split(v, "; ") {
					check(name, frame, "mdns.txt", slices.Contains(row["dns.txt"], part), part, row["dns.txt"])
				}
			}
			addrs := append(slices.Clone(row["dns.a"]), row["dns.aaaa"]...)
			for _, v := range collect("mdns.address", nil) {
				check(name, frame, "mdns.address", slices.Contains(addrs, v), v, addrs)
			}
		}
	}
	for _, d := range disagreements {
		t.Log("disagreement:", d)
	}
	for _, k := range keys {
		s := stats[k]
		if s.total == 0 {
			t.Errorf("%s: nothing compared", k)
			continue
		}
		pct := 100 * float64(s.agree) / float64(s.total)
		t.Logf("%s: %d/%d agree (%.2f%%)", k, s.agree, s.total, pct)
		if pct < 99 {
			t.Errorf("%s agreement %.2f%% < 99%%", k, pct)
		}
	}
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	// A goodbye for a non-service name and an NSEC-only response yield nothing.
	for _, msg := range [][]byte{
		newMsg(0x8400, 0, 1, 0, 0).rr(wireName("_kerberos|host|local"), dns.TypeTXT, txt("LKDC:SHA1.00")).b,
		newMsg(0x8400, 0, 1, 0, 0).rr(wireName("host|local"), dns.TypeNSEC, []byte{0xc0, 12, 0, 1, 0x40}).b,
	} {
		_ = d.DissectUDP(m, msg, e)
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, msg, e) }); n != 0 {
			t.Errorf("%d allocs for a datagram yielding no observation", int(n))
		}
	}
	// Building the per-datagram tables of a full announcement allocates
	// nothing either: only emitting converts to strings.
	msg := printerAnnouncement()
	none := observe.EmitterFunc(func(*observe.Observation) {})
	_ = d.DissectUDP(m, msg, none)
	if n := testing.AllocsPerRun(100, func() {
		_ = d.msg.Parse(msg)
		d.arena, d.instances, d.services, d.hosts = d.arena[:0], d.instances[:0], d.services[:0], d.hosts[:0]
		for i := range d.msg.Records {
			d.record(msg, &d.msg.Records[i])
		}
	}); n != 0 {
		t.Errorf("%d allocs building tables", int(n))
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	msg := printerAnnouncement()
	d := New()
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		_ = d.DissectUDP(m, msg, e)
	}
}
