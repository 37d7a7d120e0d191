package dns

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// TestNameText: names render as tshark 4.0.17 shows them in dns.qry.name
// (each expectation below was checked against tshark on a capture of the
// same labels joined by dots).
func TestNameText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"printer.example.com", "printer.example.com"},
		{"a\x01b.c.d.e\\f.sp ace", `a\001b.c.d.e\f.sp ace`},
		{"a\nb\tc\x7fd\x00e\x1bf\x07g\rh.com", `a\nb\tc\177d\000e\033f\ag\rh.com`},
		{"\x08\x0b\x0c\x1f.com", `\b\v\f\037.com`},
		{" lead.trail .com", " lead.trail .com"}, // nothing trimmed
		{"x\xff\xfey.com", "x\uFFFD\uFFFDy.com"}, // one per invalid byte
		{"\xe2\x82.com", "\uFFFD.com"},           // a cut sequence is one
		{"\xff\xc3\xa9.example", "\uFFFDé.example"},
		{"\xed\xa0\x80", "\uFFFD"}, // a surrogate
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xf4\x90\x80\x80", "\uFFFD"},     // past U+10FFFF
		{"\xf8\x88\x80\x80\x80", "\uFFFD"}, // a five-byte form, one character
		{"\xc0\xaf\xe0\x80\xaf", "//"},     // overlong forms decode
		{"\xc0\x80", `\u0000`},             // ... and are escaped when not printable
		{"\xc1\xbf", `\u007F`},
		{"\xe2\x41B", "\uFFFDAB"}, // the cutting byte is kept
		{"a\xc3", "a\uFFFD"},
		{"\x80x", "\uFFFDx"},
		{"\xc2\x85", `\u0085`},     // NEL, a C1 control
		{"\xc2\xa0z", "\u00a0z"},   // no-break space is printable
		{"\xef\xbf\xbe", `\uFFFE`}, // a noncharacter
		{`a"b.c\d`, `a"b.c\d`},
	} {
		if got := NameText([]byte(tt.in), MaxText); got != tt.want {
			t.Errorf("NameText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The cap never splits an escape's character or a UTF-8 sequence.
	if got := NameText([]byte("ab\x01"), 3); got != `ab\` && !utf8.ValidString(got) {
		t.Errorf("capped: %q", got)
	}
	if got := NameText([]byte(strings.Repeat("é", 200)), MaxText); len(got) > MaxText || !utf8.ValidString(got) {
		t.Errorf("capped at %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	var c TextCache
	for range 2 {
		if got := c.Name([]byte("a\x00b"), MaxText); got != `a\000b` {
			t.Errorf("cached Name = %q", got)
		}
		if got := c.Text([]byte("a\x00b"), MaxText); got != "a" {
			t.Errorf("cached Text of the same bytes = %q", got)
		}
	}
}

// FuzzNameText: valid UTF-8, no control character, within the cap.
func FuzzNameText(f *testing.F) {
	f.Add([]byte("a\x01b.c\xff\xe2\x82"), 20)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 || max > 1024 {
			return
		}
		got := NameText(b, max)
		if len(got) > max || !utf8.ValidString(got) {
			t.Fatalf("NameText(%q, %d) = %q: %d bytes, valid %v", b, max, got, len(got), utf8.ValidString(got))
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("NameText(%q) = %q holds control %U", b, got, r)
			}
		}
		if !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 || r >= 0x7f }) && len(b) <= max && got != string(b) {
			t.Fatalf("clean name changed: %q -> %q", b, got)
		}
	})
}

// TestNamesAgainstTshark reads a capture of names with binary, control,
// ill-formed and non-printable characters (testdata/escaped_names.labels)
// and compares every dns.query with tshark 4.0.17's dns.qry.name of the
// same packet, kept in testdata/escaped_names.tshark.txt.
func TestNamesAgainstTshark(t *testing.T) {
	want, err := os.ReadFile("testdata/escaped_names.tshark.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	var got []string
	for _, f := range dissecttest.RunPcap(t, "testdata/escaped_names.pcap", New()) {
		if q, ok := f.Obs.Get("dns.query"); ok {
			got = append(got, q)
		}
	}
	if len(got) != len(lines) {
		t.Fatalf("%d queries, tshark shows %d", len(got), len(lines))
	}
	for i := range lines {
		if got[i] != lines[i] {
			t.Errorf("packet %d: Ward %q, tshark %q", i+1, got[i], lines[i])
		}
	}
}

// TestLongBinaryNameWhole: a tunnel's name of 250 binary bytes renders to
// far more than 256 bytes (a U+FFFD is three); it is emitted whole.
func TestLongBinaryNameWhole(t *testing.T) {
	b := bytes.Repeat([]byte{0xff}, 250)
	got := NameText(b, MaxName)
	if want := strings.Repeat("\uFFFD", 250); got != want {
		t.Errorf("rendered %d bytes, want %d", len(got), len(want))
	}
	if got := NameText(bytes.Repeat([]byte{0x01}, 255), MaxName); len(got) != 4*255 {
		t.Errorf("255 control bytes rendered to %d bytes, want %d", len(got), 4*255)
	}
}
