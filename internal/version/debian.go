package version

import (
	"fmt"
	"strconv"
	"strings"
)

// CompareDebian orders two Debian package versions ([epoch:]upstream[-revision])
// as dpkg does (Debian Policy 5.6.12): epochs numerically, then the upstream
// part, then the revision, each by alternating runs of non-digits (letters
// before other characters, "~" before everything, even the end) and digits
// (numerically). Distribution security updates keep the upstream version and
// raise the revision ("9.2p1-2+deb12u3", "8.9p1-3ubuntu0.10"), so only this
// order tells a backported fix from the release it fixes.
func CompareDebian(a, b string) (int, error) {
	x, err := parseDebian(a)
	if err != nil {
		return 0, err
	}
	y, err := parseDebian(b)
	if err != nil {
		return 0, err
	}
	if x.epoch != y.epoch {
		if x.epoch < y.epoch {
			return -1, nil
		}
		return 1, nil
	}
	if c := debianPart(x.upstream, y.upstream); c != 0 {
		return c, nil
	}
	return debianPart(x.revision, y.revision), nil
}

type debianVersion struct {
	epoch              uint64
	upstream, revision string
}

func parseDebian(s string) (debianVersion, error) {
	var v debianVersion
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		e, err := strconv.ParseUint(rest[:i], 10, 32)
		if err != nil {
			return v, fmt.Errorf("debian version %q: epoch %q is not a number", s, rest[:i])
		}
		v.epoch, rest = e, rest[i+1:]
	}
	v.upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
		if v.revision == "" {
			return v, fmt.Errorf("debian version %q: empty revision after '-'", s)
		}
	}
	if v.upstream == "" || v.upstream[0] < '0' || v.upstream[0] > '9' {
		return v, fmt.Errorf("debian version %q: the upstream version must start with a digit", s)
	}
	for _, part := range []string{v.upstream, v.revision} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; !isAlnum(c) && !strings.ContainsRune(".+~-:", rune(c)) {
				return v, fmt.Errorf("debian version %q: character %q is not allowed", s, c)
			}
		}
	}
	return v, nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// debianPart compares one part (upstream or revision) the dpkg way.
func debianPart(a, b string) int {
	for a != "" || b != "" {
		// The non-digit run, character by character.
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ca, cb := debianOrder(a), debianOrder(b)
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[1:], b[1:]
		}
		// The digit run, numerically: leading zeros skipped, then the
		// longer run is larger, then the first differing digit decides.
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		na, nb := digits(a), digits(b)
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a[:na], b[:nb]); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return 0
}

// debianOrder weighs the next character of a non-digit run: the end of the
// run (or of the string) is 0, "~" sorts before it, letters after it, and
// every other character after the letters. The caller only asks while one
// side still has a non-digit, so an empty side consumes nothing.
func debianOrder(s string) int {
	if s == "" || isDigit(s[0]) {
		return 0
	}
	switch c := s[0]; {
	case c == '~':
		return -1
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	default:
		return int(c) + 256
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}
