package dissect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLines(t *testing.T) {
	l := Lines{Max: 16}
	var got []string
	fn := func(line []byte) bool { got = append(got, string(line)); return true }
	for _, seg := range []string{"220 a", "bc\r\n", "331 x\n\r\n250", " ok\r\n"} {
		if !l.Feed([]byte(seg), fn) {
			t.Fatalf("feeding %q failed", seg)
		}
	}
	if diff := cmp.Diff([]string{"220 abc", "331 x", "", "250 ok"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if l.Feed([]byte("0123456789abcdefg"), fn) {
		t.Error("a line past Max was accepted")
	}
	stop := Lines{Max: 16}
	n := 0
	stop.Feed([]byte("a\nb\nc\n"), func([]byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("fn ran %d times after asking to stop at 2", n)
	}
}

func TestCutLine(t *testing.T) {
	for _, tc := range []struct {
		in, line, rest string
		ended          bool
	}{
		{"220 ok\r\nnext", "220 ok", "next", true},
		{"a\n", "a", "", true},
		{"partial\r", "partial", "", false},
		{"", "", "", false},
	} {
		line, rest, ended := CutLine([]byte(tc.in))
		if string(line) != tc.line || string(rest) != tc.rest || ended != tc.ended {
			t.Errorf("CutLine(%q) = %q, %q, %v", tc.in, line, rest, ended)
		}
	}
}
