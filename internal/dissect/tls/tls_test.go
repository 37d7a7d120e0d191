package tls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var _ dissect.TCPDissector = (*Dissector)(nil)

var fixedTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func meta(c2s bool) *dissect.Meta {
	m := &dissect.Meta{
		Time:  time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		SrcIP: netip.MustParseAddr("10.0.0.2"), DstIP: netip.MustParseAddr("10.0.0.1"),
		SrcPort: 40000, DstPort: 443, Transport: "tcp",
	}
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}

// ext is one extension for a test ClientHello.
type ext struct {
	typ  uint16
	data []byte
}

func u16(v ...uint16) []byte {
	b := make([]byte, 0, 2*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	return b
}

func vec16(b []byte) []byte { return append(u16(uint16(len(b))), b...) }
func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

// record wraps a handshake message of type typ in one TLS record.
func record(typ byte, body []byte) []byte {
	msg := append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{recHandshake, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func clientHello(version uint16, ciphers []uint16, exts []ext) []byte {
	b := u16(version)
	b = append(b, make([]byte, 32)...)
	b = append(b, 0)
	b = append(b, vec16(u16(ciphers...))...)
	b = append(b, 1, 0)
	var e []byte
	for _, x := range exts {
		e = append(e, u16(x.typ)...)
		e = append(e, vec16(x.data)...)
	}
	b = append(b, vec16(e)...)
	return record(hsClientHello, b)
}

// TestJA4Vector checks JA4 against FoxIO's published example
// t13d1516h2_8daaf6152771_e5627efa2ab1, with GREASE values sprinkled in
// and ciphers and extensions out of order.
func TestJA4Vector(t *testing.T) {
	ciphers := []uint16{0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	sni := vec16(append([]byte{0}, vec16([]byte("example.com"))...))
	alpn := vec16(append(vec8([]byte("h2")), vec8([]byte("http/1.1"))...))
	sig := vec16(u16(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601))
	exts := []ext{
		{0x1a1a, nil}, {0x0000, sni}, {0x0017, nil}, {0xff01, []byte{0}}, {0x000a, vec16(u16(0x2a2a, 29, 23, 24))},
		{0x000b, vec8([]byte{0})}, {0x0023, nil}, {0x0010, alpn}, {0x0005, []byte{1, 0, 0, 0, 0}},
		{0x000d, sig}, {0x0012, nil}, {0x0033, vec16(nil)}, {0x002d, vec8([]byte{1})},
		{0x002b, vec8(u16(0x3a3a, 0x0304, 0x0303))}, {0x001b, vec8(u16(2))}, {0x4469, nil}, {0x0015, make([]byte, 4)},
	}
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(true), true, clientHello(0x0303, ciphers, exts), &c)
	if len(c.Obs) != 1 {
		t.Fatalf("want 1 observation, got %d", len(c.Obs))
	}
	o := c.Obs[0]
	want := map[string]string{
		"tls.ja4":                "t13d1516h2_8daaf6152771_e5627efa2ab1",
		"tls.sni":                "example.com",
		"tls.alpn":               "h2,http/1.1",
		"tls.version":            "1.3",
		"tls.cipher_suite_count": "15",
		"tls.ja3_string":         "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0",
	}
	for k, v := range want {
		if got, _ := o.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestJA4Parts(t *testing.T) {
	tests := []struct {
		name string
		alpn []byte
		sni  bool
		ver  uint16
		want string // the first, readable part
	}{
		{"no alpn no sni tls1.2", nil, false, 0x0303, "t12i010100"},
		{"non-alphanumeric alpn prints hex", vec16(vec8([]byte{0xab, '.', 0x01})), true, 0x0301, "t10d0102a1"},
		{"single-char alpn", vec16(vec8([]byte("h"))), true, 0x0302, "t11d0102hh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var exts []ext
			if tt.sni {
				exts = append(exts, ext{0, vec16(append([]byte{0}, vec16([]byte("a"))...))})
			}
			if tt.alpn != nil {
				exts = append(exts, ext{16, tt.alpn})
			} else {
				exts = append(exts, ext{23, nil})
			}
			s := New().NewStream()
			var c observe.Collector
			s.Data(meta(true), true, clientHello(tt.ver, []uint16{0x002f}, exts), &c)
			got, _ := c.Obs[0].Get("tls.ja4")
			if len(got) < 10 || got[:10] != tt.want {
				t.Errorf("ja4 = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

// chunk is one write on the wire: direction and bytes.
type chunk struct {
	c2s  bool
	data []byte
}

// recorder captures both directions of a real crypto/tls handshake.
type recorder struct {
	mu     sync.Mutex
	chunks []chunk
}

type recConn struct {
	net.Conn
	r   *recorder
	c2s bool
}

func (c recConn) Write(p []byte) (int, error) {
	c.r.mu.Lock()
	c.r.chunks = append(c.r.chunks, chunk{c.c2s, append([]byte(nil), p...)})
	c.r.mu.Unlock()
	return c.Conn.Write(p)
}

func selfSignedCert(t testing.TB, cn, org string, dns []string, notAfter time.Time) gotls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234abcd),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     notAfter,
		DNSNames:     dns,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return gotls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// handshake runs a real TLS handshake over a pipe and returns the bytes
// each side wrote, in order.
func handshake(t testing.TB, maxVersion uint16) []chunk {
	t.Helper()
	srvCert := selfSignedCert(t, "gateway.example", "Ward Test", []string{"gateway.example", "gw"}, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	cliCert := selfSignedCert(t, "pump-01", "Baxter", nil, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	// Loopback TCP rather than net.Pipe: its buffering lets both sides write
	// at once (TLS 1.3 session tickets) without deadlock.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	cli := gotls.Client(recConn{a, r, true}, &gotls.Config{
		ServerName: "gateway.example", InsecureSkipVerify: true, MaxVersion: maxVersion,
		NextProtos: []string{"h2", "http/1.1"}, Certificates: []gotls.Certificate{cliCert},
	})
	srv := gotls.Server(recConn{b, r, false}, &gotls.Config{
		Certificates: []gotls.Certificate{srvCert}, ClientAuth: gotls.RequireAnyClientCert,
		MaxVersion: maxVersion, NextProtos: []string{"h2"},
	})
	errc := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			_, err = io.Copy(io.Discard, srv)
		}
		errc <- err
	}()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	<-errc
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chunks
}

// replay feeds chunks to a fresh stream, split into pieces of at most
// step bytes, and returns the observations and the done flag.
func replay(chunks []chunk, step int) ([]observe.Observation, bool) {
	s := New().NewStream()
	var c observe.Collector
	for _, ch := range chunks {
		for p := ch.data; len(p) > 0; {
			n := min(step, len(p))
			if s.Data(meta(ch.c2s), ch.c2s, p[:n], &c) {
				return c.Obs, true
			}
			p = p[n:]
		}
	}
	return c.Obs, false
}

func fieldsOf(obs []observe.Observation, keys ...string) []map[string]string {
	var out []map[string]string
	for _, o := range obs {
		m := map[string]string{}
		for _, k := range keys {
			if v, ok := o.Get(k); ok {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

func TestMutualTLS12(t *testing.T) {
	chunks := handshake(t, gotls.VersionTLS12)
	keys := []string{"tls.handshake", "tls.sni", "tls.alpn", "tls.version", "tls.cert_role", "tls.cert_index",
		"tls.cert_subject", "tls.cert_issuer", "tls.cert_serial", "tls.cert_self_signed", "tls.cert_expired",
		"tls.cert_san", "tls.cert_not_after", "tls.cert_public_key"}
	want := []map[string]string{
		{"tls.handshake": "client_hello", "tls.sni": "gateway.example", "tls.alpn": "h2,http/1.1", "tls.version": "1.2"},
		{"tls.handshake": "server_hello", "tls.version": "1.2", "tls.alpn": "h2"},
		{"tls.cert_role": "server", "tls.cert_index": "0", "tls.cert_subject": "CN=gateway.example,O=Ward Test",
			"tls.cert_issuer": "CN=gateway.example,O=Ward Test", "tls.cert_serial": "1234abcd", "tls.cert_self_signed": "true",
			"tls.cert_expired": "false", "tls.cert_san": "gateway.example,gw", "tls.cert_not_after": "2030-01-01T00:00:00Z",
			"tls.cert_public_key": "ecdsa-P-256"},
		{"tls.cert_role": "client", "tls.cert_index": "0", "tls.cert_subject": "CN=pump-01,O=Baxter",
			"tls.cert_issuer": "CN=pump-01,O=Baxter", "tls.cert_serial": "1234abcd", "tls.cert_self_signed": "true",
			"tls.cert_expired": "true", "tls.cert_not_after": "2025-01-01T00:00:00Z", "tls.cert_public_key": "ecdsa-P-256"},
	}
	for _, step := range []int{1 << 20, 1, 7, 100} {
		obs, done := replay(chunks, step)
		if diff := cmp.Diff(want, fieldsOf(obs, keys...)); diff != "" {
			t.Errorf("step %d: observations (-want +got):\n%s", step, diff)
		}
		if !done {
			t.Errorf("step %d: stream not done after both sides switched to encryption", step)
		}
	}
}

// TestRecordFragmentation re-cuts the handshake into tiny records, so each
// message spans several records.
func TestRecordFragmentation(t *testing.T) {
	chunks := handshake(t, gotls.VersionTLS12)
	var recut []chunk
	for _, ch := range chunks {
		p := ch.data
		var out []byte
		for len(p) >= 5 {
			n := int(binary.BigEndian.Uint16(p[3:5]))
			if 5+n > len(p) {
				break
			}
			body := p[5 : 5+n]
			if p[0] != recHandshake {
				out = append(out, p[:5+n]...)
			} else {
				for len(body) > 0 {
					k := min(len(body), 13)
					out = append(out, recHandshake, 3, 3, 0, byte(k))
					out = append(out, body[:k]...)
					body = body[k:]
				}
			}
			p = p[5+n:]
		}
		recut = append(recut, chunk{ch.c2s, out})
	}
	want, _ := replay(chunks, 1<<20)
	got, done := replay(recut, 1<<20)
	keys := []string{"tls.handshake", "tls.ja3", "tls.ja4", "tls.ja3s", "tls.cert_subject", "tls.cert_role"}
	if diff := cmp.Diff(fieldsOf(want, keys...), fieldsOf(got, keys...)); diff != "" {
		t.Errorf("fragmented records changed the result (-want +got):\n%s", diff)
	}
	if !done || len(got) != 4 {
		t.Errorf("done=%v with %d observations", done, len(got))
	}
}

func TestTLS13StopsAfterServerHello(t *testing.T) {
	chunks := handshake(t, gotls.VersionTLS13)
	obs, done := replay(chunks, 1<<20)
	got := fieldsOf(obs, "tls.handshake", "tls.version", "tls.cipher")
	want := []map[string]string{
		{"tls.handshake": "client_hello", "tls.version": "1.3"},
		{"tls.handshake": "server_hello", "tls.version": "1.3", "tls.cipher": got[len(got)-1]["tls.cipher"]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !done {
		t.Error("not done after a TLS 1.3 ServerHello")
	}
}

func TestSSLv2HelloIgnored(t *testing.T) {
	s := New().NewStream()
	var c observe.Collector
	v2 := []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10}
	s.Data(meta(true), true, v2, &c)
	if len(c.Obs) != 0 {
		t.Fatalf("SSLv2 hello produced %v", c.Obs)
	}
	if New().MatchTCP(40000, 443, true, v2) {
		t.Error("SSLv2 hello matched")
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	tests := []struct {
		p    []byte
		want bool
	}{
		{[]byte{0x16, 3, 1, 0, 100, 1}, true},
		{[]byte{0x16, 3, 3, 0, 100, 2}, true},
		{[]byte{0x16, 3, 3, 0, 100, 11}, false},
		{[]byte{0x17, 3, 3, 0, 100, 1}, false},
		{[]byte{0x16, 3, 9, 0, 100, 1}, false},
		{[]byte{0x16, 3, 1}, false},
		{[]byte("GET / HTTP/1.1"), false},
	}
	for _, tt := range tests {
		if got := d.MatchTCP(1, 2, true, tt.p); got != tt.want {
			t.Errorf("MatchTCP(% x) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"openssl-tls1_2.pcap", "tls13.pcap", "selfsigned.pcap"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, fo := range dissecttest.RunChecked(t, filepath.Join("testdata", name), New()) {
				obs = append(obs, fo.Obs)
			}
			if len(obs) == 0 {
				t.Fatal("no observations")
			}
			testutil.Golden(t, "TestGolden_"+name, obs)
		})
	}
}

// appDataStream is a stream whose client side switched to encryption
// while the server side still reads records.
func appDataStream(t testing.TB) (*stream, []byte, []byte) {
	chunks := handshake(t, gotls.VersionTLS12)
	s := New().NewStream().(*stream)
	var c observe.Collector
	s.Data(meta(true), true, chunks[0].data, &c) // ClientHello
	s.Data(meta(true), true, []byte{recCCS, 3, 3, 0, 1, 1}, &c)
	if len(c.Obs) != 1 || !s.dir[0].done {
		t.Fatalf("setup: %d observations, client done %v", len(c.Obs), s.dir[0].done)
	}
	appData := make([]byte, 1400)
	appData[0], appData[1], appData[2] = recAppData, 3, 3
	alert := []byte{recAlert, 3, 3, 0, 2, 1, 0}
	return s, appData, alert
}

func TestNothingToReadAllocatesNothing(t *testing.T) {
	s, appData, alert := appDataStream(t)
	e := observe.EmitterFunc(func(*observe.Observation) { t.Fatal("unexpected observation") })
	m := meta(true)
	if n := testing.AllocsPerRun(1000, func() { s.Data(m, true, appData, e) }); n != 0 {
		t.Errorf("application data allocates %v times per call", n)
	}
	ms := meta(false)
	if n := testing.AllocsPerRun(1000, func() { s.Data(ms, false, alert, e) }); n != 0 {
		t.Errorf("alert records allocate %v times per call", n)
	}
}

func BenchmarkAppData(b *testing.B) {
	s, appData, _ := appDataStream(b)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	m := meta(true)
	b.ReportAllocs()
	b.SetBytes(int64(len(appData)))
	for b.Loop() {
		s.Data(m, true, appData, e)
	}
}

func BenchmarkClientHello(b *testing.B) {
	chunks := handshake(b, gotls.VersionTLS13)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	m := meta(true)
	b.ReportAllocs()
	for b.Loop() {
		s := New().NewStream()
		s.Data(m, true, chunks[0].data, e)
	}
}

// TestCutClientHello: a ClientHello a hole cut (a capture's short snap
// length) still gives its server name when the server_name extension came
// whole before the cut, marked tls.truncated and with no fingerprint; one
// cut inside that extension gives nothing.
func TestCutClientHello(t *testing.T) {
	sni := func(name string) []byte {
		return vec16(append([]byte{0}, vec16([]byte(name))...))
	}
	hello := clientHello(0x0303, []uint16{0x1301, 0x1302, 0xc02b, 0xc02f},
		[]ext{{0, sni("pump-gw.hospital.example")}, {10, vec16(u16(29, 23))}, {16, vec16(vec8([]byte("h2")))}})
	sniEnd := bytes.Index(hello, []byte("pump-gw.hospital.example")) + len("pump-gw.hospital.example")
	for _, tt := range []struct {
		name  string
		cut   int
		atEnd bool
		want  string
	}{
		{"after the name, next data", sniEnd + 3, false, "pump-gw.hospital.example"},
		{"after the name, end", sniEnd, true, "pump-gw.hospital.example"},
		{"inside the name", sniEnd - 4, true, ""},
		{"inside the ciphers", 50, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := New().NewStream()
			var c observe.Collector
			st.Data(meta(true), true, hello[:tt.cut], &c)
			st.Gap(true)
			if tt.atEnd {
				st.(dissect.Ender).End(meta(true), &c)
			} else {
				st.Data(meta(false), false, record(hsServerHello, append(u16(0x0303), make([]byte, 36)...)), &c)
			}
			got := ""
			for _, o := range c.Obs {
				if v, ok := o.Get("tls.sni"); ok {
					got = v
					if tr, _ := o.Get("tls.truncated"); tr != "1" || o.SrcPort != meta(true).SrcPort {
						t.Errorf("observation %+v", o)
					}
					if _, ok := o.Get("tls.ja3"); ok {
						t.Error("a fingerprint from a cut hello")
					}
				}
			}
			if got != tt.want {
				t.Errorf("sni %q, want %q", got, tt.want)
			}
		})
	}
}
