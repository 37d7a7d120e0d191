// Package version compares the version strings medical-device vendors
// publish, which are rarely semver: "2.4A", "L.01.03", "R4.1L1",
// "CMS7.820.075.08/0.74(0.75)", dates like "8/30/2024", "12.x" wildcards.
// Comparison is tolerant (case, separators and a leading "v" are ignored)
// and every parsed value keeps its raw string.
package version

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Format selects a comparator, like grype's version formats.
type Format int

// Formats, detected from the text.
const (
	// Generic splits into numeric and alphabetic segments ("2.4A" = 2,4,a).
	Generic Format = iota
	// Date compares calendar dates ("8/30/2024", "july 1 2017", "2024-08-30").
	Date
)

func (f Format) String() string {
	if f == Date {
		return "date"
	}
	return "generic"
}

// ErrIncomparable is returned when two versions use different formats
// (a date against a dotted number): the caller cannot tell, and should say so.
var ErrIncomparable = errors.New("versions are not comparable")

// ErrEmpty is returned for an empty version.
var ErrEmpty = errors.New("empty version")

// Version is one parsed version. The zero value is invalid.
type Version struct {
	Raw    string
	Format Format
	segs   []seg
	date   time.Time
}

// seg is one segment: a number, an alphabetic run, or a wildcard ("x", "*").
type seg struct {
	num   uint64
	alpha string
	kind  segKind
}

type segKind uint8

const (
	segNum segKind = iota
	segAlpha
	segWild
)

// Parse reads a version in any supported format. It never fails on
// non-empty input that contains a letter or digit: unknown schemes become
// Generic segment lists.
func Parse(raw string) (Version, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Version{}, ErrEmpty
	}
	if t, ok := parseDate(s); ok {
		return Version{Raw: raw, Format: Date, date: t}, nil
	}
	segs := segments(loadRelease(s))
	if len(segs) == 0 {
		return Version{}, errors.New("version " + strconv.Quote(raw) + " has no letters or digits")
	}
	return Version{Raw: raw, Format: Generic, segs: segs}, nil
}

// loadRelease drops the family of a Cisco IP phone load name, which names
// the phone line before the release: "sip88xx.14-1-1MN-366" is release
// 14-1-1MN-366 (14.1(1)MN), "SCCP41.9-4-2SR3-1S" release 9.4(2)SR3. The
// phones report the whole load (CDP, LLDP-MED); advisories name releases.
func loadRelease(s string) string {
	l := strings.ToLower(s)
	var rest string
	switch {
	case strings.HasPrefix(l, "sip"):
		rest = l[3:]
	case strings.HasPrefix(l, "sccp"):
		rest = l[4:]
	case strings.HasPrefix(l, "cmterm-"):
		rest = l[7:]
	default:
		return s
	}
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 || dot+1 >= len(rest) || rest[dot+1] < '0' || rest[dot+1] > '9' {
		return s
	}
	for _, c := range rest[:dot] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-') {
			return s
		}
	}
	return s[len(s)-len(rest)+dot+1:]
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(raw string) Version {
	v, err := Parse(raw)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the raw text.
func (v Version) String() string { return v.Raw }

// HasWildcard reports whether v contains an "x" or "*" segment ("12.x").
func (v Version) HasWildcard() bool {
	for _, s := range v.segs {
		if s.kind == segWild {
			return true
		}
	}
	return false
}

func segments(s string) []seg {
	s = strings.ToLower(s)
	var out []seg
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n, err := strconv.ParseUint(strings.TrimLeft(s[i:j], "0")+"0", 10, 64)
			if err != nil {
				n = ^uint64(0) // absurdly long numbers saturate
			} else {
				n /= 10
			}
			out = append(out, seg{num: n, kind: segNum})
			i = j
		case c >= 'a' && c <= 'z':
			j := i
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
			w := s[i:j]
			if w == "x" {
				out = append(out, seg{kind: segWild})
			} else {
				out = append(out, seg{alpha: w, kind: segAlpha})
			}
			i = j
		case c == '*':
			out = append(out, seg{kind: segWild})
			i++
		default:
			i++
		}
	}
	// A lone leading "v" is a prefix, not part of the scheme ("V2017.02.3").
	if len(out) > 1 && out[0].kind == segAlpha && out[0].alpha == "v" && out[1].kind == segNum {
		out = out[1:]
	}
	return out
}

// Compare returns -1, 0 or +1. Generic versions compare segment by segment:
// numbers numerically, letters case-insensitively, a missing segment counts
// as 0 against a number and sorts before a letter ("2.4" < "2.4a", the
// revision-letter convention of device firmware). A wildcard matches
// anything. Versions of different formats return ErrIncomparable.
func Compare(a, b Version) (int, error) {
	if a.Format != b.Format {
		return 0, ErrIncomparable
	}
	if a.Format == Date {
		return a.date.Compare(b.date), nil
	}
	as, bs := a.segs, b.segs
	// Different named lines ("CMS7.820" against "smart3250") do not order;
	// single revision letters ("A.01" < "C.02") do.
	if la, lb := a.lead(), b.lead(); la != "" && lb != "" && la != lb && (len(la) > 1 || len(lb) > 1) {
		return 0, ErrIncomparable
	}
	// Tolerate a vendor prefix on one side only ("R9.85" against "9.80").
	if len(as) > 1 && len(bs) > 0 && as[0].kind == segAlpha && bs[0].kind == segNum && as[1].kind == segNum {
		as = as[1:]
	} else if len(bs) > 1 && len(as) > 0 && bs[0].kind == segAlpha && as[0].kind == segNum && bs[1].kind == segNum {
		bs = bs[1:]
	}
	n := max(len(as), len(bs))
	for i := range n {
		var x, y seg
		xOK, yOK := i < len(as), i < len(bs)
		if xOK {
			x = as[i]
		}
		if yOK {
			y = bs[i]
		}
		if (xOK && x.kind == segWild) || (yOK && y.kind == segWild) {
			return 0, nil
		}
		switch {
		case !xOK:
			if y.kind == segAlpha || y.num > 0 {
				return -1, nil
			}
			continue
		case !yOK:
			if x.kind == segAlpha || x.num > 0 {
				return 1, nil
			}
			continue
		}
		if c := cmpSeg(x, y); c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

func cmpSeg(x, y seg) int {
	switch {
	case x.kind == segNum && y.kind == segNum:
		switch {
		case x.num < y.num:
			return -1
		case x.num > y.num:
			return 1
		}
		return 0
	case x.kind == segAlpha && y.kind == segAlpha:
		return strings.Compare(x.alpha, y.alpha)
	case x.kind == segNum:
		return 1 // numbers sort after letters at the same position ("1.a" < "1.0")
	default:
		return -1
	}
}

var months = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// parseDate recognises m/d/yyyy, yyyy-mm-dd, "july 1 2017", "april 1, 2018",
// "may 2018" and "1 july 2017". A month name without a year is not a date
// we can compare, so it is left to the generic scheme.
func parseDate(s string) (time.Time, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, layout := range []string{"1/2/2006", "01/02/2006", "2006-01-02", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '-' || r == '/' })
	var (
		mon       time.Month
		day, year int
	)
	for _, w := range f {
		if m, ok := months[w]; ok && mon == 0 {
			mon = m
			continue
		}
		n, err := strconv.Atoi(w)
		if err != nil {
			return time.Time{}, false
		}
		switch {
		case n >= 1900 && n <= 2200 && year == 0:
			year = n
		case n >= 1 && n <= 31 && day == 0:
			day = n
		default:
			return time.Time{}, false
		}
	}
	if mon == 0 || year == 0 {
		return time.Time{}, false
	}
	if day == 0 {
		day = 1
	}
	return time.Date(year, mon, day, 0, 0, 0, 0, time.UTC), true
}

// lead is the letter prefix of a line-prefixed version ("L" of "L81",
// "B" of "B.06.18"), or "".
func (v Version) lead() string {
	if v.Format == Generic && len(v.segs) > 1 && v.segs[0].kind == segAlpha && v.segs[1].kind == segNum {
		return v.segs[0].alpha
	}
	return ""
}
