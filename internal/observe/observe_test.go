package observe

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func sample() Observation {
	return Observation{
		Time:      time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC),
		SrcMAC:    net.HardwareAddr{0, 9, 0xfb, 1, 2, 3},
		DstMAC:    net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		SrcIP:     netip.MustParseAddr("10.0.0.5"),
		DstIP:     netip.MustParseAddr("fe80::1"),
		SrcPort:   68,
		DstPort:   67,
		Transport: "udp",
		Protocol:  "dhcp",
		Fields: []Field{
			{"dhcp.vendor_class", "MSFT 5.0"},
			{"dhcp.hostname", "ct-\"scanner\"\\01\n\x01\xff\u2028é"},
			{"dhcp.param_request_list", "1,3,6"},
		},
	}
}

// TestAppendJSONMatchesEncodingJSON holds the hand-written encoder to what
// encoding/json would produce for the same layout.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	o := sample()
	got := o.AppendJSON(nil)
	fields := map[string]string{}
	for _, f := range o.Fields {
		fields[f.Key] = f.Value
	}
	ref := map[string]any{
		"time": "2026-03-04T05:06:07.891011121Z", "src_mac": "00:09:fb:01:02:03", "src_ip": "10.0.0.5",
		"dst_mac": "ff:ff:ff:ff:ff:ff", "dst_ip": "fe80::1", "src_port": 68, "dst_port": 67,
		"transport": "udp", "protocol": "dhcp", "fields": fields,
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	rb, _ := json.Marshal(ref)
	_ = json.Unmarshal(rb, &b)
	if diff := cmp.Diff(b, a); diff != "" {
		t.Fatalf("AppendJSON differs from encoding/json (-want +got):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []Observation{sample(), {Time: time.Unix(0, 0).UTC(), SrcMAC: net.HardwareAddr{1, 2, 3, 4, 5, 6}, Protocol: "arp", Fields: []Field{{"arp.sender_ip", "1.2.3.4"}}}}
	for _, o := range tests {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var back Observation
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("round trip changed:\n%s\n%s", b, b2)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for _, s := range []string{
		`{"time":"yesterday","protocol":"x","fields":{}}`,
		`{"time":"2026-01-01T00:00:00Z","fields":{}}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_mac":"zz","fields":{}}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_ip":"300.1.1.1","fields":{}}`,
		`[`,
	} {
		var o Observation
		if err := json.Unmarshal([]byte(s), &o); err == nil {
			t.Errorf("accepted %s", s)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	b, _ := json.Marshal(sample())
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Observation
		if json.Unmarshal(b, &o) == nil {
			out := o.AppendJSON(nil)
			if !json.Valid(out) {
				t.Fatalf("re-encoding gave invalid JSON: %s", out)
			}
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	o := sample()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = o.AppendJSON(buf[:0])
	}
}

func TestAppendJSONManyFields(t *testing.T) {
	o := Observation{Time: time.Unix(0, 0), Protocol: "x"}
	for i := 0; i < 60; i++ {
		o.Fields = append(o.Fields, Field{Key: fmt.Sprintf("x.k%02d", 59-i), Value: "v"})
	}
	o.Fields = append(o.Fields, Field{Key: "x.k00", Value: "w"}) // a repeated key joins in order
	var m struct{ Fields map[string]string }
	if err := json.Unmarshal(o.AppendJSON(nil), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Fields) != 60 || m.Fields["x.k00"] != "v, w" {
		t.Fatalf("fields %d, x.k00=%q", len(m.Fields), m.Fields["x.k00"])
	}
}

// TestAppendTimeMatchesFormat holds the hand-written timestamp to
// time.RFC3339Nano across fractions with and without trailing zeros, time
// zones and years the fast path does not take.
func TestAppendTimeMatchesFormat(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{
		time.Unix(0, 0), time.Unix(1, 1), time.Unix(1772426401, 5_000_000), time.Unix(1772426401, 123456789),
		time.Unix(1772426401, 100), time.Date(2026, 12, 31, 23, 59, 59, 999999999, east),
		time.Date(9999, 12, 31, 23, 59, 59, 10, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 2, 3, 4, 5, 6, 7, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 2, 29, 23, 59, 59, 1, time.UTC), time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(-1, 500_000_000), time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC), time.Date(1900, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1600, 2, 29, 1, 2, 3, 4, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, east),
	}
	// Every day of four centuries either side of 1970, at a varying time.
	for d := int64(-146097 * 4); d < 146097*4; d += 13 {
		times = append(times, time.Unix(d*86400+d%86400, d%1_000_000_000))
	}
	for i := 0; i < 2000; i++ {
		times = append(times, time.Unix(int64(i)*987654321%4102444800, int64(i)*7919*1000%1_000_000_000))
	}
	for _, tm := range times {
		want := tm.UTC().Format(time.RFC3339Nano)
		if got := string(appendTime(nil, tm)); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestCleanPrefix checks the eight-bytes-at-a-time scan against the
// byte-by-byte rule for every dirty byte at every position of a word.
func TestCleanPrefix(t *testing.T) {
	naive := func(s string) int {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
				return i
			}
		}
		return len(s)
	}
	base := "abcdefghijklmnopqrstuvwxyz0123456789 ~!#$%&'()*+,-./:;<=>?@[]^_`{|}"
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			b := []byte(base[:20])
			b[pos] = byte(c)
			if got, want := cleanPrefix(string(b)), naive(string(b)); got != want {
				t.Fatalf("cleanPrefix with %#x at %d = %d, want %d", c, pos, got, want)
			}
		}
	}
	if got := cleanPrefix(base); got != len(base) {
		t.Fatalf("clean string: %d of %d", got, len(base))
	}
}

func BenchmarkAppendEscapedClean(b *testing.B) {
	s := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513,29-23-24,0"
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEscaped(buf[:0], s)
	}
}

// BenchmarkAppendJSONTypical encodes the common shape: clean ASCII values.
func BenchmarkAppendJSONTypical(b *testing.B) {
	o := Observation{
		Time: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC), SrcMAC: net.HardwareAddr{0, 9, 0xfb, 1, 2, 3},
		DstMAC: net.HardwareAddr{0, 0x1b, 0x21, 4, 5, 6}, SrcIP: netip.MustParseAddr("10.20.30.40"), DstIP: netip.MustParseAddr("10.20.1.5"),
		SrcPort: 51514, DstPort: 443, Transport: "tcp", Protocol: "tls",
		Fields: []Field{
			{"tls.sni", "updates.vendor.example.com"}, {"tls.version", "1.2"},
			{"tls.ja3", "e7d705a3286e19ea42f587b344ee6865"}, {"tls.ja4", "t13d1516h2_8daaf6152771_02713d6af862"},
			{"tls.ja3_string", "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513,29-23-24,0"},
		},
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = o.AppendJSON(buf[:0])
	}
}

func TestInterner(t *testing.T) {
	in := Interner{Max: 2}
	a := in.String([]byte("4:64+0:0:1460"))
	b := in.String([]byte("4:64+0:0:1460"))
	if a != b || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("equal bytes gave distinct strings %q %q", a, b)
	}
	in.String([]byte("x"))
	in.String([]byte("y")) // past Max: the table starts over
	if len(in.m) > 2 {
		t.Fatalf("interner holds %d entries, bound 2", len(in.m))
	}
	if got := in.String([]byte("4:64+0:0:1460")); got != a {
		t.Fatalf("value changed after reset: %q", got)
	}
	if in.String(nil) != "" {
		t.Fatal("empty bytes should give the empty string")
	}
	calls := 0
	upper := func(b []byte) string { calls++; return strings.ToUpper(string(b)) }
	var tx Interner
	if tx.Text([]byte("mx450"), upper) != "MX450" || tx.Text([]byte("mx450"), upper) != "MX450" || calls != 1 {
		t.Fatalf("Text converted %d times, want once", calls)
	}
	long := Interner{MaxLen: 4}
	long.String([]byte("longer than four"))
	if len(long.m) != 0 {
		t.Fatal("a value past MaxLen was kept")
	}
	buf := []byte("4:64+0:0:1460")
	if n := testing.AllocsPerRun(100, func() { _ = in.String(buf) }); n != 0 {
		t.Errorf("a known value allocated %v times", n)
	}
}

func TestAppendMACMatchesString(t *testing.T) {
	for _, mac := range []net.HardwareAddr{{}, {0, 0x1d, 0x60, 0xb3, 0x0a, 0xdd}, {0xff, 0xfe, 0x10, 0x01, 0xab, 0xcd}, {0xff, 0xfe, 0x10, 0x01, 0xab, 0xcd, 0x01, 0x02}} {
		if got, want := string(AppendMAC(nil, mac)), mac.String(); got != want {
			t.Errorf("AppendMAC = %q, want %q", got, want)
		}
	}
}
