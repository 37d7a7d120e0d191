package observe

// The old* functions below are the encoder as it was before the fast paths
// of json.go (commit 55d3a88), unchanged but for their names: the
// differential tests and the fuzz target after them hold the current one
// to it byte for byte.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func oldAppendJSON(o *Observation, b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = oldAppendTime(b, o.Time)
	b = append(b, `","src_mac":`...)
	b = oldAppendMAC(b, o.SrcMAC)
	b = append(b, `,"src_ip":`...)
	b = oldAppendAddr(b, o)
	b = append(b, `,"dst_mac":`...)
	b = oldAppendMAC(b, o.DstMAC)
	b = append(b, `,"dst_ip":`...)
	if o.DstIP.IsValid() {
		b = append(b, '"')
		b = o.DstIP.AppendTo(b)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	if o.Transport != "" {
		b = append(b, `,"src_port":`...)
		b = strconv.AppendUint(b, uint64(o.SrcPort), 10)
		b = append(b, `,"dst_port":`...)
		b = strconv.AppendUint(b, uint64(o.DstPort), 10)
		b = append(b, `,"transport":`...)
		b = oldAppendString(b, o.Transport)
	} else {
		b = append(b, `,"src_port":null,"dst_port":null,"transport":null`...)
	}
	b = append(b, `,"protocol":`...)
	b = oldAppendString(b, o.Protocol)
	b = append(b, `,"fields":{`...)
	// Keys sorted by an insertion sort of indexes on the stack: n is small,
	// and sort.Slice would allocate.
	var stack [48]uint16
	idx := stack[:]
	if len(o.Fields) > len(stack) {
		idx = make([]uint16, len(o.Fields))
	}
	n := len(o.Fields)
	for i := 0; i < n; i++ {
		j := i
		for ; j > 0 && o.Fields[idx[j-1]].Key > o.Fields[i].Key; j-- {
			idx[j] = idx[j-1]
		}
		idx[j] = uint16(i)
	}
	for i := 0; i < n; {
		f := &o.Fields[idx[i]]
		if i > 0 {
			b = append(b, ',')
		}
		b = oldAppendString(b, f.Key)
		b = append(b, ':', '"')
		b = oldAppendEscaped(b, f.Value)
		// A repeated key (it should not happen) joins its values, in order.
		for i++; i < n && o.Fields[idx[i]].Key == f.Key; i++ {
			b = append(b, ", "...)
			b = oldAppendEscaped(b, o.Fields[idx[i]].Value)
		}
		b = append(b, '"')
	}
	return append(b, '}', '}')
}

func oldAppendAddr(b []byte, o *Observation) []byte {
	if !o.SrcIP.IsValid() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = o.SrcIP.AppendTo(b)
	return append(b, '"')
}

const oldHexDigits = "0123456789abcdef"

func oldAppendMAC(b []byte, mac []byte) []byte {
	if len(mac) == 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = oldFormatMAC(b, mac)
	return append(b, '"')
}

func oldFormatMAC(b, mac []byte) []byte {
	for i, c := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, oldHexDigits[c>>4], oldHexDigits[c&0xf])
	}
	return b
}

func oldAppendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = oldAppendEscaped(b, s)
	return append(b, '"')
}

func oldAppendEscaped(b []byte, s string) []byte {
	// Fast path: most values need no escaping at all; copy the clean
	// prefix in one go and escape from the first byte that needs it.
	for i := 0; ; {
		j := i + oldCleanPrefix(s[i:])
		b = append(b, s[i:j]...)
		if i = j; i >= len(s) {
			return b
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', oldHexDigits[c>>4], oldHexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, "\uFFFD"...) // the replacement character itself, so re-encoding is stable
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, oldHexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
}

const (
	oldOnes  = 0x0101010101010101
	oldHighs = 0x8080808080808080
)

func oldCleanPrefix(s string) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if oldDirty(oldWord(s[i : i+8])) {
			return i + oldCleanTail(s[i:])
		}
	}
	// The last bytes as one oldWord overlapping the one before: keys and
	// values rarely end on a oldWord boundary.
	if i < len(s) && len(s) >= 8 && !oldDirty(oldWord(s[len(s)-8:])) {
		return len(s)
	}
	return i + oldCleanTail(s[i:])
}

func oldWord(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

func oldDirty(x uint64) bool {
	lt := (x - 0x20*oldOnes) &^ x
	q := x ^ ('"' * oldOnes)
	bs := x ^ ('\\' * oldOnes)
	// x+1 per byte carries into the high bit for 0x7f; bytes >= 0x80 have
	// it already (and a carry out of one of them changes nothing).
	return (lt|x|(x+oldOnes)|((q-oldOnes)&^q)|((bs-oldOnes)&^bs))&oldHighs != 0
}

func oldCleanTail(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return i
		}
	}
	return len(s)
}

func oldAppendTime(b []byte, t time.Time) []byte {
	secs := t.Unix()
	// 0000-01-01 .. 9999-12-31; other years take the general formatter.
	if secs < -62167219200 || secs >= 253402300800 {
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	days := secs / 86400
	sod := secs - days*86400
	if sod < 0 {
		days, sod = days-1, sod+86400
	}
	// Days since 0000-03-01, in eras of 400 years.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	hour, min, sec := sod/3600, sod/60%60, sod%60
	var buf [30]byte
	buf[0], buf[1], buf[2], buf[3] = byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10)
	buf[4], buf[5], buf[6] = '-', byte('0'+month/10), byte('0'+month%10)
	buf[7], buf[8], buf[9] = '-', byte('0'+day/10), byte('0'+day%10)
	buf[10], buf[11], buf[12] = 'T', byte('0'+hour/10), byte('0'+hour%10)
	buf[13], buf[14], buf[15] = ':', byte('0'+min/10), byte('0'+min%10)
	buf[16], buf[17], buf[18] = ':', byte('0'+sec/10), byte('0'+sec%10)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		buf[19] = '.'
		for i := 28; i >= 20; i-- {
			buf[i] = byte('0' + ns%10)
			ns /= 10
		}
		n = 29
		for buf[n-1] == '0' {
			n--
		}
	}
	buf[n] = 'Z'
	return append(b, buf[:n+1]...)
}

// obsGen builds an Observation from fuzz bytes (zeros once they run out),
// leaning to what the encoder's fast paths branch on: years far and near,
// fractions with and without trailing zeros, every address form, MACs of
// any length, strings of every length class with bytes that need escaping,
// keys sharing long prefixes, repeated keys and more fields than the stack
// holds.
type obsGen struct{ b []byte }

func (g *obsGen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *obsGen) uint64() uint64 {
	var w [8]byte
	for i := range w {
		w[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(w[:])
}

func (g *obsGen) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = g.byte()
	}
	return out
}

// pieces are the bytes and runes a string is made of, clean ones first.
var pieces = []string{
	"a", "Z", "0", ".", "_", " ", "~", "-", ":", "\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
	"\x80", "\xff", "\xc3", "\xe2\x80", "é", "\u2028", "\u2029", "\u2027", "\u202a", "\ufffd", "😀", "\xf0\x9f", "\xed\xa0\x80",
}

func (g *obsGen) string() string {
	var n int
	switch c := g.byte(); {
	case c < 200:
		n = int(c % 20)
	case c < 250:
		n = int(g.byte())
	default:
		n = int(g.byte())<<4 | int(c&15)
	}
	mode := g.byte()
	var sb []byte
	for range n {
		c := g.byte()
		switch mode % 4 {
		case 0: // clean, but for rare pieces
			if c < 250 {
				sb = append(sb, 'a'+c%26)
			} else {
				sb = append(sb, pieces[int(g.byte())%len(pieces)]...)
			}
		case 1: // any piece
			sb = append(sb, pieces[int(c)%len(pieces)]...)
		case 2: // raw bytes
			sb = append(sb, c)
		default: // printable ASCII, quote and backslash included
			sb = append(sb, 0x20+c%0x60)
		}
	}
	return string(sb)
}

func (g *obsGen) time() time.Time {
	var sec int64
	switch m := g.byte(); m % 8 {
	case 0, 1, 2: // around the bench mix
		sec = 1767225600 + int64(g.uint64()%(1<<20))
	case 3: // anywhere in years 0 to 9999 and a little beyond
		sec = -62167219200 - 1<<20 + int64(g.uint64()%(253402300800+62167219200+1<<21))
	case 4: // day boundaries and the ends of the fast range
		edges := []int64{0, -1, 86399, 86400, -86400, -62167219200, -62167219201, -62162035200, 253402300799, 253402300800, 951782400, 951868800, -2203891200}
		sec = edges[int(g.byte())%len(edges)] + int64(int8(g.byte()))
	case 5: // far years, both signs
		sec = int64(g.uint64() >> (g.byte() % 64))
		if m&8 != 0 {
			sec = -sec
		}
	default:
		sec = int64(g.uint64())
	}
	var ns int64
	switch m := g.byte(); m % 5 {
	case 0:
	case 1:
		ns = int64(g.uint64()%1_000_000) * 1000
	case 2:
		ns = int64(g.uint64()%1000) * 1_000_000
	case 3:
		ns = int64(g.uint64()%10) * int64(math.Pow10(int(g.byte()%9)))
	default:
		ns = int64(g.uint64() % 1_000_000_000)
	}
	t := time.Unix(sec, ns)
	switch g.byte() % 4 {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("z", int(int16(g.uint64()))*7))
	case 2:
		return time.Time{}
	}
	return t
}

func (g *obsGen) addr() netip.Addr {
	switch m := g.byte(); m % 8 {
	case 0:
		return netip.Addr{}
	case 1, 2, 3:
		var a [4]byte
		for i := range a {
			switch c := g.byte(); c % 4 {
			case 0:
				a[i] = c >> 6 * 5 // 0, 5, 10, 15: around the length steps
			case 1:
				a[i] = 95 + c%10
			default:
				a[i] = g.byte()
			}
		}
		return netip.AddrFrom4(a)
	case 4: // IPv4-mapped IPv6, sometimes with a zone
		a := netip.AddrFrom16(netip.AddrFrom4([4]byte(g.bytes(4))).As16())
		if m&8 != 0 {
			a = a.WithZone("eth0")
		}
		return a
	default: // IPv6, zero runs likely
		var a [16]byte
		for i := range a {
			if c := g.byte(); c&1 != 0 {
				a[i] = c
			}
		}
		ip := netip.AddrFrom16(a)
		if m&8 != 0 {
			ip = ip.WithZone(g.string())
		}
		return ip
	}
}

func (g *obsGen) mac() net.HardwareAddr {
	switch m := g.byte(); m % 4 {
	case 0:
		return nil
	case 1:
		return net.HardwareAddr{}
	case 2:
		return net.HardwareAddr(g.bytes(6))
	default:
		return net.HardwareAddr(g.bytes(int(m>>2) % 24))
	}
}

// genKeys share prefixes of every length around eight bytes.
var genKeys = []string{"", "a", "dhcp", "dhcp.", "dhcp.cl", "dhcp.cli", "dhcp.clie", "dhcp.client_id", "dhcp.client_mac",
	"dhcp.hostname", "tls.sni", "tls.sni\x00", "tls.sni0", "tls.ja3", "tls.ja3_string", "k\"ey", "\xffkey", "é.key"}

func (g *obsGen) observation() Observation {
	o := Observation{Time: g.time(), SrcMAC: g.mac(), DstMAC: g.mac(), SrcIP: g.addr(), DstIP: g.addr()}
	if g.byte()%4 != 0 {
		o.SrcPort = uint16(g.uint64() >> (g.byte() % 16))
		o.DstPort = uint16(g.uint64() >> (g.byte() % 16))
		o.Transport = g.string()
	}
	o.Protocol = g.string()
	var n int
	switch c := g.byte(); {
	case c < 240:
		n = int(c % 10)
	default:
		n = 40 + int(g.byte()%20)
	}
	for range n {
		var f Field
		if c := g.byte(); c < 192 {
			f.Key = genKeys[int(c)%len(genKeys)]
		} else {
			f.Key = g.string()
		}
		f.Value = g.string()
		o.Fields = append(o.Fields, f)
	}
	return o
}

// checkAgainstOld appends o after a prefix into buffers of several
// capacities, so that both the in-place writes and the growing paths run.
// (The output is not always valid JSON: netip writes an IPv6 zone as it
// is, and so did the old encoder.)
func checkAgainstOld(t *testing.T, o *Observation, room byte) {
	t.Helper()
	pre := []byte("prefix")
	for _, c := range []int{len(pre), len(pre) + int(room), len(pre) + 1024} {
		b := append(make([]byte, 0, c), pre...)
		got := o.AppendJSON(b)
		want := oldAppendJSON(o, append([]byte(nil), pre...))
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON differs from the old encoder for %#v\n got %q\nwant %q", *o, got, want)
		}
	}
}

// TestAppendJSONMatchesOld holds the encoder to the old one on random
// observations.
func TestAppendJSONMatchesOld(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seed := make([]byte, 4096)
	for range 20000 {
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		g := obsGen{seed}
		o := g.observation()
		checkAgainstOld(t, &o, g.byte())
	}
	o := sample()
	checkAgainstOld(t, &o, 0)
}

func FuzzAppendJSONMatchesOld(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{1, 7, 200, 3, 255, 9, 77, 250}, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		g := obsGen{b}
		o := g.observation()
		checkAgainstOld(t, &o, g.byte())
	})
}

// TestAppendEscapedMatchesOld tries every length up to 40 with each piece
// at each position, with no room to spare, with just the room the fast
// path needs, and with plenty.
func TestAppendEscapedMatchesOld(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for _, p := range pieces {
			for pos := 0; pos <= n; pos++ {
				s := strings.Repeat("x", pos) + p + strings.Repeat("y", n-pos)
				for _, room := range []int{0, len(s) + 3, len(s) + 5, 1024} {
					b := append(make([]byte, 0, 3+room), "pre"...)
					if got, want := appendEscaped(b, s), oldAppendEscaped([]byte("pre"), s); !bytes.Equal(got, want) {
						t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want)
					}
					b = append(make([]byte, 0, 3+room), "pre"...)
					if got, want := appendString(b, s), oldAppendString([]byte("pre"), s); !bytes.Equal(got, want) {
						t.Fatalf("appendString(%q) = %q, want %q", s, got, want)
					}
				}
			}
		}
	}
}

// TestAppendJSONFieldShapes runs the fields' word-at-a-time copy through
// every length class of key and value, clean and with a byte to escape
// at each position.
func TestAppendJSONFieldShapes(t *testing.T) {
	o := Observation{Time: time.Unix(1767225600, 123000), Protocol: "p"}
	for n := 0; n <= 40; n++ {
		for _, p := range []string{"", "\"", "\\", "\x1f", "\x7f", "\x80", "é", "\u2028"} {
			for pos := 0; pos <= n; pos++ {
				s := strings.Repeat("k", pos) + p + strings.Repeat("v", n-pos)
				o.Fields = []Field{{"x.b" + s, "2"}, {s, s}, {"x.a", s}, {s + "x", "1"}}
				checkAgainstOld(t, &o, byte(n))
			}
		}
	}
}

// TestAppendJSONManyFieldsMatchesOld covers the field counts around the
// sort's stack and its index widths, keys sharing long prefixes, and
// repeated keys among them.
func TestAppendJSONManyFieldsMatchesOld(t *testing.T) {
	for _, n := range []int{47, 48, 49, 255, 256, 257, 300} {
		o := Observation{Time: time.Unix(1767225600, 0), Protocol: "x"}
		for i := range n {
			o.Fields = append(o.Fields, Field{Key: fmt.Sprintf("x.k%03d", i*7919%n), Value: strconv.Itoa(i)})
		}
		checkAgainstOld(t, &o, 0)
		o.Fields = append(o.Fields, Field{Key: "x.k000", Value: "again"}, Field{Key: "x.k0", Value: "short"}, Field{Key: "x.k000", Value: "thrice"})
		checkAgainstOld(t, &o, 0)
	}
}

func TestAppendPortAndIPv4(t *testing.T) {
	for v := 0; v <= math.MaxUint16; v++ {
		if got, want := string(appendPort([]byte("p"), uint16(v))), "p"+strconv.Itoa(v); got != want {
			t.Fatalf("appendPort(%d) = %q", v, got)
		}
	}
	for i := 0; i < 1<<16; i++ {
		a := netip.AddrFrom4([4]byte{byte(i), byte(i >> 8), byte(i*7 + 3), byte(i >> 3)})
		if got, want := string(appendAddr(make([]byte, 1, 3), a)), "\x00\""+a.String()+"\""; got != want {
			t.Fatalf("appendAddr(%v) = %q, want %q", a, got, want)
		}
	}
}

func TestAppendMACMatchesOld(t *testing.T) {
	for n := 0; n < 40; n++ {
		mac := make([]byte, n)
		for i := range mac {
			mac[i] = byte(i*37 + n)
		}
		if got, want := AppendMAC([]byte("m"), mac), oldFormatMAC([]byte("m"), mac); !bytes.Equal(got, want) {
			t.Fatalf("AppendMAC(% x) = %q, want %q", mac, got, want)
		}
		if got, want := appendMAC(nil, mac), oldAppendMAC(nil, mac); !bytes.Equal(got, want) {
			t.Fatalf("appendMAC(% x) = %q, want %q", mac, got, want)
		}
	}
}

func TestAllocs(t *testing.T) {
	o := sample()
	o.SrcIP = netip.MustParseAddr("10.1.2.3")
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = o.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("AppendJSON allocated %v times", n)
	}
}
