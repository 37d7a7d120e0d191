package tls

import (
	gotls "crypto/tls"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/observe"
)

// TestStreamReuse: a finished stream is reused by the next NewStream and
// reads the next connection exactly as a fresh one; called again after it
// finished, it stays done and is not handed out twice.
func TestStreamReuse(t *testing.T) {
	chunks := handshake(t, gotls.VersionTLS12)
	want, done := replay(chunks, 1<<20)
	if !done {
		t.Fatal("setup: handshake did not finish the stream")
	}
	d := New()
	run := func() (*stream, []observe.Observation) {
		s := d.NewStream().(*stream)
		var c observe.Collector
		for _, ch := range chunks {
			if s.Data(meta(ch.c2s), ch.c2s, ch.data, &c) {
				break
			}
		}
		return s, c.Obs
	}
	first, got := run()
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Fatalf("first stream (-fresh +got):\n%s", diff)
	}
	var c observe.Collector
	if !first.Data(meta(true), true, chunks[0].data, &c) || len(c.Obs) != 0 {
		t.Errorf("finished stream: not done, or emitted %d observations", len(c.Obs))
	}
	if n := d.sc.free.Len(); n != 1 {
		t.Errorf("free list holds %d streams, want 1", n)
	}
	second, got := run()
	if second != first {
		t.Error("finished stream not reused")
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("reused stream (-fresh +got):\n%s", diff)
	}
}

// TestHelloCacheSeparatesInputs: hellos whose JA3 strings are equal but
// whose other JA4 inputs (signature algorithms, ALPN, supported versions)
// differ must not share a cached fingerprint.
func TestHelloCacheSeparatesInputs(t *testing.T) {
	ciphers := []uint16{0x1301, 0xc02b}
	sig := func(v ...uint16) ext { return ext{0x000d, vec16(u16(v...))} }
	alpn := func(p string) ext { return ext{0x0010, vec16(vec8([]byte(p)))} }
	vers := func(v ...uint16) ext { return ext{0x002b, vec8(u16(v...))} }
	hellos := [][]ext{
		{sig(0x0403), alpn("h2"), vers(0x0304)},
		{sig(0x0804), alpn("h2"), vers(0x0304)},
		{sig(0x0403), alpn("h3"), vers(0x0304)},
		{sig(0x0403), alpn("h2"), vers(0x0303)},
		{sig(0x0403, 0x0804), alpn("h2"), vers(0x0304)},
	}
	shared := New()
	for round := 0; round < 2; round++ {
		for i, exts := range hellos {
			msg := clientHello(0x0303, ciphers, exts)
			var want, got observe.Collector
			New().NewStream().Data(meta(true), true, msg, &want)
			shared.NewStream().Data(meta(true), true, msg, &got)
			if len(want.Obs) != 1 || len(got.Obs) != 1 {
				t.Fatalf("hello %d: %d and %d observations", i, len(want.Obs), len(got.Obs))
			}
			w, _ := want.Obs[0].Get("tls.ja4")
			g, _ := got.Obs[0].Get("tls.ja4")
			if w != g {
				t.Errorf("round %d hello %d: ja4 %q, fresh %q", round, i, g, w)
			}
		}
	}
}
