package dissect

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/observe"
)

// Text makes a header or banner value from the wire an observation value:
// spaces and NULs trimmed, control characters dropped, valid UTF-8, at most
// max bytes. It is remembered in in, because devices repeat theirs; v is
// not kept.
func Text(in *observe.Interner, v []byte, max int) string {
	v = bytes.Trim(v, "\x00 \t\r\n")
	if len(v) == 0 {
		return ""
	}
	if s, ok := in.Lookup(v); ok {
		return s
	}
	w := v
	if len(w) > max {
		w = w[:max]
	}
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, string(w))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// A bad byte became U+FFFD, 3 bytes: cut again, at a rune.
	s = Cap(s, max)
	in.Store(v, s)
	return s
}

// Cap cuts s to at most max bytes at a rune boundary.
func Cap(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// PrintableASCII reports whether b is non-empty and all printable US-ASCII
// (0x20–0x7E): what identification strings, file names and options hold.
func PrintableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return len(b) > 0
}

// Digits reports whether b is non-empty and all ASCII digits (a reply or
// status code).
func Digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
