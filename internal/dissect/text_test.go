package dissect

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

func TestText(t *testing.T) {
	var in observe.Interner
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"  (vsFTPd 3.0.3)\r\n", 64, "(vsFTPd 3.0.3)"},
		{"\x00\x00Asterisk PBX 18\x00", 64, "Asterisk PBX 18"},
		{"a\x1b[31mb", 64, "a[31mb"},
		{"abcdef", 3, "abc"},
		{"caf\xe9", 64, "caf\uFFFD"},
		{"abc\xff\xff", 5, "abc"}, // replacements would pass the bound: cut at a rune
		{"ab\u00e9cd", 3, "ab"},   // a 2-byte rune is not split
		{" \t", 64, ""},
	} {
		if got := Text(&in, []byte(tc.in), tc.max); got != tc.want {
			t.Errorf("Text(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
	// Remembered: the second call returns the first's string.
	a, b := Text(&in, []byte("Server/1"), 64), Text(&in, []byte("Server/1"), 64)
	if a != b || testing.AllocsPerRun(100, func() { Text(&in, []byte("Server/1"), 64) }) != 0 {
		t.Error("a repeated value allocates")
	}
}

func TestPrintableASCIIAndDigits(t *testing.T) {
	for in, want := range map[string]bool{"SSH-2.0-x y": true, "": false, "a\x1b": false, "caf\xc3\xa9": false} {
		if PrintableASCII([]byte(in)) != want {
			t.Errorf("PrintableASCII(%q) != %v", in, want)
		}
	}
	for in, want := range map[string]bool{"220": true, "": false, "2a0": false} {
		if Digits([]byte(in)) != want {
			t.Errorf("Digits(%q) != %v", in, want)
		}
	}
}
