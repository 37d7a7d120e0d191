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

func TestGreeting(t *testing.T) {
	for _, tc := range []struct {
		in, line string
		ok       bool
	}{
		{"220 mail.example.org ESMTP Postfix\r\n250 x", "220 mail.example.org ESMTP Postfix", true},
		{"220-ProFTPD\r\n", "220-ProFTPD", true},
		{"220 no line end yet", "220 no line end yet", true},
		{"2201 x", "", false},
		{"230 logged in\r\n", "", false},
		{"220", "", false},
	} {
		line, ok := Greeting([]byte(tc.in), "220", 16)
		want := tc.line
		if len(want) > 16 {
			want = want[:16] // only maxLine bytes are looked at
		}
		if ok != tc.ok || string(line) != want {
			t.Errorf("Greeting(%q) = %q, %v; want %q, %v", tc.in, line, ok, want, tc.ok)
		}
	}
}

func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		b, word string
		want    bool
	}{
		{"220 mail ESMTP ready", "SMTP", true},
		{"220 mail esmtp ready", "SMTP", true},
		{"220 (vsFTPd 3.0.3)", "FTP", true},
		{"text/xml; charset=utf-8", "xml", true},
		{"gzip, Chunked", "chunked", true},
		{"220 mail ready", "SMTP", false},
		{"SMT", "SMTP", false},
		{"", "x", false},
	} {
		if got := ContainsFold([]byte(tc.b), tc.word); got != tc.want {
			t.Errorf("ContainsFold(%q, %q) = %v", tc.b, tc.word, got)
		}
	}
	b := []byte("220 mail.example.org ESMTP Postfix")
	if n := testing.AllocsPerRun(100, func() { ContainsFold(b, "SMTP") }); n != 0 {
		t.Errorf("%.0f allocations", n)
	}
}
