// Package cpe parses and formats CPE 2.3 formatted strings and matches
// well-formed names (WFN) the way NIST IR 7696 describes, restricted to
// what vulnerability matching needs: ANY, NA, literal values and the
// unquoted wildcards "*" and "?" inside a source value.
package cpe

import (
	"errors"
	"fmt"
	"strings"
)

// Special attribute values.
const (
	Any = "*" // ANY: matches every value
	NA  = "-" // NA: "not applicable", matches only NA or ANY
)

// Attribute indices in formatted-string order.
const (
	Part = iota
	Vendor
	Product
	Version
	Update
	Edition
	Language
	SWEdition
	TargetSW
	TargetHW
	Other
	nAttrs
)

// WFN is a well-formed name. Values are stored unescaped, except that an
// unquoted "*" or "?" inside a value (a wildcard) is kept as is and a
// literal one is kept escaped with a backslash.
type WFN [nAttrs]string

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid CPE 2.3 formatted string")

// Parse reads "cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other".
// Missing trailing attributes are ANY, as tools often shorten names.
func Parse(s string) (WFN, error) {
	var w WFN
	const prefix = "cpe:2.3:"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return w, fmt.Errorf("%w: %q does not start with %q", ErrSyntax, s, prefix)
	}
	fields, err := split(s[len(prefix):])
	if err != nil {
		return w, fmt.Errorf("%w: %q: %v", ErrSyntax, s, err)
	}
	if len(fields) > nAttrs {
		return w, fmt.Errorf("%w: %q has %d attributes, at most %d", ErrSyntax, s, len(fields), nAttrs)
	}
	for i := range w {
		w[i] = Any
		if i < len(fields) {
			if fields[i] == "" {
				return w, fmt.Errorf("%w: %q: attribute %d is empty", ErrSyntax, s, i+1)
			}
			w[i] = fields[i]
		}
	}
	switch w[Part] {
	case "a", "o", "h", Any:
	default:
		return w, fmt.Errorf("%w: %q: part %q is not a, o, h or *", ErrSyntax, s, w[Part])
	}
	return w, nil
}

// split cuts at unescaped colons and lowercases; escapes are kept only for
// characters that would otherwise be special ("*", "?", "\").
func split(s string) ([]string, error) {
	var (
		out []string
		b   strings.Builder
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			n := s[i]
			if n == '*' || n == '?' || n == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(lower(n))
		case ':':
			out = append(out, b.String())
			b.Reset()
		default:
			if c < 0x21 || c > 0x7e {
				return nil, fmt.Errorf("byte 0x%02x is not printable ASCII", c)
			}
			b.WriteByte(lower(c))
		}
	}
	return append(out, b.String()), nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// MustParse is Parse for tables; it panics on error.
func MustParse(s string) WFN {
	w, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return w
}

// String formats w as a CPE 2.3 formatted string, escaping punctuation.
func (w WFN) String() string {
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, v := range w {
		b.WriteByte(':')
		if v == Any || v == NA || v == "" {
			if v == "" {
				v = Any
			}
			b.WriteString(v)
			continue
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '\\' && i+1 < len(v):
				b.WriteByte('\\')
				b.WriteByte(v[i+1])
				i++
			case c == '*' || c == '?':
				b.WriteByte(c) // unquoted wildcard
			case isAlnum(c) || c == '_' || c == '.' || c == '-' && i > 0:
				b.WriteByte(c)
			default:
				b.WriteByte('\\')
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Unescaped returns attribute i without escapes, for display and lookup.
func (w WFN) Unescaped(i int) string {
	return strings.ReplaceAll(strings.ReplaceAll(w[i], `\\`, "\x00"), `\`, "")
}

// Match reports whether the source name (a pattern, e.g. an NVD match
// criterion) matches the target name (e.g. a device's CPE) on every
// attribute: the CPE name-matching "superset or equal" relation.
func Match(source, target WFN) bool {
	for i := range source {
		if !matchAttr(source[i], target[i]) {
			return false
		}
	}
	return true
}

func matchAttr(src, tgt string) bool {
	switch {
	case src == Any || src == "":
		return true
	case src == NA:
		return tgt == NA
	case tgt == Any || tgt == NA || tgt == "":
		// A specific source value does not cover an ANY or NA target.
		return false
	}
	return wildMatch(src, tgt)
}

// wildMatch matches src with unquoted "*" (any run) and "?" (one char).
func wildMatch(p, s string) bool {
	if !strings.ContainsAny(p, "*?") {
		return p == s
	}
	// Iterative glob with backtracking on the last "*".
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && si+1 < len(s) && s[si] == '\\' && s[si+1] == p[pi+1]:
			pi += 2
			si += 2
		case pi < len(p) && p[pi] == '?':
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] != '\\' && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
