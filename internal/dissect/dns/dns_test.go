package dns

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// msgBuilder assembles DNS messages for table tests.
type msgBuilder struct{ b []byte }

func newMsg(flags uint16, qd, an, ns, ar int) *msgBuilder {
	return &msgBuilder{b: []byte{0x12, 0x34, byte(flags >> 8), byte(flags), 0, byte(qd), 0, byte(an), 0, byte(ns), 0, byte(ar)}}
}

func (m *msgBuilder) name(n string) *msgBuilder {
	for _, l := range strings.Split(n, ".") {
		if l == "" {
			continue
		}
		m.b = append(m.b, byte(len(l)))
		m.b = append(m.b, l...)
	}
	m.b = append(m.b, 0)
	return m
}

func (m *msgBuilder) raw(b ...byte) *msgBuilder { m.b = append(m.b, b...); return m }

func (m *msgBuilder) u16(v uint16) *msgBuilder { return m.raw(byte(v>>8), byte(v)) }

func (m *msgBuilder) question(n string, t uint16) *msgBuilder { return m.name(n).u16(t).u16(1) }

// rr appends a record whose owner is a pointer to off.
func (m *msgBuilder) rr(ptr int, t uint16, data []byte) *msgBuilder {
	m.u16(0xc000|uint16(ptr)).u16(t).u16(1).raw(0, 0, 0, 60).u16(uint16(len(data)))
	return m.raw(data...)
}

func testMeta() *dissect.Meta {
	return &dissect.Meta{
		Time:      time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP:     netip.MustParseAddr("10.0.0.5"),
		DstIP:     netip.MustParseAddr("10.0.0.1"),
		SrcPort:   40000,
		DstPort:   53,
		Transport: "udp",
	}
}

func fieldsOf(obs []observe.Observation) [][]observe.Field {
	var out [][]observe.Field
	for _, o := range obs {
		out = append(out, o.Fields)
	}
	return out
}

func TestDissectUDP(t *testing.T) {
	f := func(kv ...string) []observe.Field {
		var fs []observe.Field
		for i := 0; i+1 < len(kv); i += 2 {
			fs = append(fs, observe.Field{Key: kv[i], Value: kv[i+1]})
		}
		return fs
	}
	tests := []struct {
		name    string
		msg     []byte
		want    [][]observe.Field
		wantErr error
	}{
		{
			name: "query",
			msg:  newMsg(0x0100, 1, 0, 0, 0).question("time.philips.com", TypeA).b,
			want: [][]observe.Field{f("dns.query", "time.philips.com", "dns.qtype", "A")},
		},
		{
			name: "two questions, unknown type",
			msg:  newMsg(0x0100, 2, 0, 0, 0).question("a.example", TypeAAAA).question("b.example", 99).b,
			want: [][]observe.Field{
				f("dns.query", "a.example", "dns.qtype", "AAAA"),
				f("dns.query", "b.example", "dns.qtype", "SPF"),
			},
		},
		{
			name: "response with CNAME and A via compression",
			msg: newMsg(0x8180, 1, 2, 0, 0).question("api.vendor.example", TypeA).
				rr(12, TypeCNAME, []byte{3, 'e', 'd', 'g', 0xc0, 16}).
				rr(12, TypeA, []byte{192, 0, 2, 7}).b,
			want: [][]observe.Field{
				f("dns.query", "api.vendor.example", "dns.qtype", "A", "dns.response", "1", "dns.rcode", "NOERROR"),
				f("dns.response", "1", "dns.answer_name", "api.vendor.example", "dns.answer", "edg.vendor.example", "dns.answer_type", "CNAME"),
				f("dns.response", "1", "dns.answer_name", "api.vendor.example", "dns.answer", "192.0.2.7", "dns.answer_type", "A"),
			},
		},
		{
			name: "nxdomain",
			msg:  newMsg(0x8183, 1, 0, 0, 0).question("nope.example", TypeA).b,
			want: [][]observe.Field{f("dns.query", "nope.example", "dns.qtype", "A", "dns.response", "1", "dns.rcode", "NXDOMAIN")},
		},
		{
			name: "answer count larger than message keeps the question",
			msg:  newMsg(0x8180, 1, 5, 0, 0).question("x.example", TypeA).raw(0xc0, 12, 0).b,
			want: [][]observe.Field{f("dns.query", "x.example", "dns.qtype", "A", "dns.response", "1", "dns.rcode", "NOERROR")},
		},
		{
			name: "compression loop in answer data is dropped",
			msg: newMsg(0x8180, 1, 1, 0, 0).question("loop.example", TypePTR).
				rr(12, TypePTR, []byte{0xc0, 36}).b,
			want: [][]observe.Field{f("dns.query", "loop.example", "dns.qtype", "PTR", "dns.response", "1", "dns.rcode", "NOERROR")},
		},
		{
			name:    "question name pointer loop",
			msg:     newMsg(0x0100, 1, 0, 0, 0).raw(0xc0, 12, 0, 1, 0, 1).b,
			want:    nil,
			wantErr: nil, // SkipName stops at the pointer; AppendName detects the loop and the question is dropped
		},
		{
			name:    "short header",
			msg:     []byte{1, 2, 3},
			wantErr: dissect.ErrTruncated,
		},
		{
			name:    "obsolete label type",
			msg:     newMsg(0x0100, 1, 0, 0, 0).raw(0x40, 1, 0).b,
			wantErr: dissect.ErrMalformed,
		},
		{
			name: "update without address records",
			msg:  newMsg(0x2800, 1, 0, 0, 0).question("zone.example", TypeSOA).b,
		},
		{
			name: "dynamic update registers a host",
			msg: newMsg(0x2800, 1, 1, 2, 0).question("hosp.example", TypeSOA).
				rr(12, TypeA, []byte{10, 9, 8, 7}). // prerequisite: ignored
				raw(4, 'r', 'a', 'd', '1', 0xc0, 12).u16(TypeA).u16(1).raw(0, 0, 4, 0xb0).u16(4).raw(10, 1, 2, 3).
				raw(4, 'o', 'l', 'd', '1', 0xc0, 12).u16(TypeA).u16(254).raw(0, 0, 0, 0).u16(0). // deletion
				b,
			want: [][]observe.Field{f("dns.update_zone", "hosp.example", "dns.update_name", "rad1.hosp.example", "dns.update_address", "10.1.2.3")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New()
			var c observe.Collector
			err := d.DissectUDP(testMeta(), tt.msg, &c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, fieldsOf(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			for _, o := range c.Obs {
				if o.Protocol != "dns" {
					t.Errorf("protocol %q", o.Protocol)
				}
			}
		})
	}
}

func TestAppendNameLimits(t *testing.T) {
	// A name of 130 one-byte labels exceeds 255 wire bytes.
	var b []byte
	for range 130 {
		b = append(b, 1, 'a')
	}
	b = append(b, 0)
	if _, err := AppendName(nil, b, 0); !errors.Is(err, dissect.ErrMalformed) {
		t.Errorf("long name: err = %v", err)
	}
	// Two pointers to each other.
	loop := []byte{0xc0, 2, 0xc0, 0}
	if _, err := AppendName(nil, loop, 0); !errors.Is(err, dissect.ErrMalformed) {
		t.Errorf("loop: err = %v", err)
	}
	if got, err := AppendName(nil, []byte{0}, 0); err != nil || len(got) != 0 {
		t.Errorf("root: %q %v", got, err)
	}
}

func TestLLMNR(t *testing.T) {
	d := NewLLMNR()
	if !d.MatchUDP(50000, 5355, make([]byte, 12)) || d.MatchUDP(50000, 53, make([]byte, 12)) {
		t.Fatal("llmnr port matching")
	}
	var c observe.Collector
	if err := d.DissectUDP(testMeta(), newMsg(0, 1, 0, 0, 0).question("WPAD", TypeA).b, &c); err != nil {
		t.Fatal(err)
	}
	want := [][]observe.Field{{{Key: "llmnr.query", Value: "WPAD"}, {Key: "llmnr.qtype", Value: "A"}}}
	if diff := cmp.Diff(want, fieldsOf(c.Obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := NewWithConfig(Config{}); err == nil {
		t.Error("empty config accepted")
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"dns_udp", "medical_dns"} {
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

// TestOracle compares with tshark's dns.qry.name (per question, as a
// multiset), dns.resp.name (every answer owner Ward reports must be among
// the response names) and dns.ptr.domain_name (every PTR answer).
func TestOracle(t *testing.T) {
	data := testutil.SharedData(t, "pcaps")
	files := dissecttest.Inventory(t, data, "dns")
	if len(files) == 0 {
		t.Fatal("no dns captures in INVENTORY.tsv")
	}
	type stat struct{ agree, total int }
	stats := map[string]*stat{"dns.query": {}, "dns.answer_name": {}, "dns.answer(PTR)": {}}
	var disagreements []string
	for _, rel := range files {
		rows := dissecttest.OracleRows(t, data, rel)
		got := map[int][]observe.Observation{}
		for _, f := range dissecttest.RunPcap(t, data+"/"+rel, New()) {
			got[f.Frame] = append(got[f.Frame], f.Obs)
		}
		for frame, row := range rows {
			if !slices.Contains(row["udp.srcport"], "53") && !slices.Contains(row["udp.dstport"], "53") {
				continue // DNS over TCP or another port: not this dissector's
			}
			if len(row["dns.qry.name"]) == 0 && len(got[frame]) == 0 {
				continue
			}
			var queries, ptrs []string
			for _, o := range got[frame] {
				if v, ok := o.Get("dns.query"); ok {
					queries = append(queries, v)
				}
				if n, ok := o.Get("dns.answer_name"); ok {
					s := stats["dns.answer_name"]
					s.total++
					if slices.Contains(row["dns.resp.name"], n) {
						s.agree++
					} else {
						disagreements = append(disagreements, fmt.Sprintf("%s #%d answer_name %q not in %q", rel, frame, n, row["dns.resp.name"]))
					}
				}
				if typ, _ := o.Get("dns.answer_type"); typ == "PTR" {
					v, _ := o.Get("dns.answer")
					ptrs = append(ptrs, v)
				}
			}
			want := slices.DeleteFunc(slices.Clone(row["dns.qry.name"]), func(s string) bool { return s == "<Root>" })
			s := stats["dns.query"]
			s.total++
			sort.Strings(queries)
			sort.Strings(want)
			if slices.Equal(queries, want) {
				s.agree++
			} else {
				disagreements = append(disagreements, fmt.Sprintf("%s #%d query %q, tshark %q", rel, frame, queries, want))
			}
			for _, p := range ptrs {
				s := stats["dns.answer(PTR)"]
				s.total++
				if slices.Contains(row["dns.ptr.domain_name"], p) {
					s.agree++
				} else {
					disagreements = append(disagreements, fmt.Sprintf("%s #%d PTR %q not in %q", rel, frame, p, row["dns.ptr.domain_name"]))
				}
			}
		}
	}
	for _, d := range disagreements {
		t.Log("disagreement:", d)
	}
	for _, k := range []string{"dns.query", "dns.answer_name", "dns.answer(PTR)"} {
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
	if stats["dns.query"].total == 0 {
		t.Error("oracle comparison compared nothing")
	}
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := testMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	// Messages that yield nothing: a response with no question and only an
	// NS record, and an UPDATE. (Error returns may allocate their error.)
	for _, msg := range [][]byte{
		newMsg(0x8180, 0, 1, 0, 0).name("x.example").u16(TypeNS).u16(1).raw(0, 0, 0, 1).u16(2).raw(0xc0, 12).b,
		newMsg(0x2800, 1, 0, 0, 0).question("zone.example", TypeSOA).b,
		// An answer whose owner name is a compression loop: the error is static.
		newMsg(0x8180, 0, 1, 0, 0).raw(0xc0, 12).u16(TypeA).u16(1).raw(0, 0, 0, 1).u16(4).raw(1, 2, 3, 4).b,
	} {
		_ = d.DissectUDP(m, msg, e) // grow buffers
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, msg, e) }); n != 0 {
			t.Errorf("%d allocs for a message yielding no observation", int(n))
		}
	}
	// Parsing alone never allocates once slices have grown.
	var msg Message
	resp := newMsg(0x8180, 1, 2, 0, 0).question("api.vendor.example", TypeA).
		rr(12, TypeCNAME, []byte{3, 'e', 'd', 'g', 0xc0, 16}).rr(12, TypeA, []byte{192, 0, 2, 7}).b
	_ = msg.Parse(resp)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		_ = msg.Parse(resp)
		buf, _ = AppendName(buf[:0], resp, msg.Records[0].Data)
	}); n != 0 {
		t.Errorf("%d allocs parsing a response", int(n))
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	query := newMsg(0x0100, 1, 0, 0, 0).question("time.philips.com", TypeA).b
	resp := newMsg(0x8180, 1, 2, 0, 0).question("api.vendor.example", TypeA).
		rr(12, TypeCNAME, []byte{3, 'e', 'd', 'g', 0xc0, 16}).rr(12, TypeA, []byte{192, 0, 2, 7}).b
	for _, bc := range []struct {
		name string
		msg  []byte
	}{{"query", query}, {"response", resp}} {
		b.Run(bc.name, func(b *testing.B) {
			d := New()
			m := testMeta()
			e := observe.EmitterFunc(func(*observe.Observation) {})
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.msg)))
			for b.Loop() {
				_ = d.DissectUDP(m, bc.msg, e)
			}
		})
	}
	b.Run("parse", func(b *testing.B) {
		var msg Message
		b.ReportAllocs()
		for b.Loop() {
			_ = msg.Parse(resp)
		}
	})
}
