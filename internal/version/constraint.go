package version

import (
	"fmt"
	"slices"
	"strings"
)

// Op is a comparison operator of one bound.
type Op uint8

// Operators.
const (
	EQ Op = iota
	LT
	LE
	GT
	GE
)

func (o Op) String() string {
	return [...]string{"=", "<", "<=", ">", ">="}[o]
}

// Bound is one comparator such as "<= 9.33".
type Bound struct {
	Op      Op
	Version Version
}

// Interval is a set of versions: a single bound, or a lower and an upper
// bound together ("vers" semantics: ">= 1.0 | <= 1.3" is one interval).
type Interval struct {
	Lower, Upper *Bound
	Exact        *Bound
}

// Constraint is a union of intervals, or every version. Raw is kept as
// published, because vendor range strings carry meaning we do not model.
type Constraint struct {
	Raw       string
	All       bool
	Intervals []Interval
}

var (
	parenRe    = lazyRegexp(`\([^()]*\)`)
	priorRe    = lazyRegexp(`(?i)^(.*?)\s*(?:and|or|&)\s+(?:prior|earlier|below|older|lower|before)\b.*$`)
	laterRe    = lazyRegexp(`(?i)^(.*?)\s*(?:and|or|&)\s+(?:later|newer|above|higher|after)\b.*$`)
	priorToRe  = lazyRegexp(`(?i)^(?:all\s+)?(?:versions?\s+)?(?:prior\s+to|before|older\s+than|earlier\s+than|below)\s+(.+)$`)
	versWordRe = lazyRegexp(`(?i)^(?:versions?|vers\.?|v\.)\s+`)
	allRe      = lazyRegexp(`(?i)^(?:\*|all|all versions?|any|vers:[a-z0-9.+-]+/\*)$`)
	tailRe     = lazyRegexp(`(?i)\s+(?:on|with|integrated|running|shipped|distributed|excluding|for)\b.*$`)
)

// ParseConstraint reads a vendor version range: "<= 9.33", "<x", ">= 2.0",
// "5.0|5.1", ">= 1.0 | <= 1.3.1", "vers:all/*", "vers:generic/<2.0",
// "9.33 and prior", "prior to 2.1", "<8/30/2024", "12.x" or a plain version
// (an exact match). It fails only when no bound has a usable version.
func ParseConstraint(raw string) (Constraint, error) {
	c := Constraint{Raw: raw}
	s := strings.TrimSpace(raw)
	if s == "" {
		return c, fmt.Errorf("version range %q: %w", raw, ErrEmpty)
	}
	if allRe().MatchString(s) {
		c.All = true
		return c, nil
	}
	if i := strings.Index(s, "/"); strings.HasPrefix(strings.ToLower(s), "vers:") && i > 0 {
		s = s[i+1:]
		if s == "*" {
			c.All = true
			return c, nil
		}
	}
	var bounds []Bound
	for part := range strings.SplitSeq(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		b, ok := parseBound(part)
		if ok {
			bounds = append(bounds, b)
		}
	}
	if len(bounds) == 0 {
		return c, fmt.Errorf("version range %q: no comparable version in it", raw)
	}
	c.Intervals = group(bounds)
	return c, nil
}

// parseBound reads one comparator, defaulting to equality.
func parseBound(p string) (Bound, bool) {
	p = strings.TrimSpace(parenRe().ReplaceAllString(p, " "))
	op := EQ
	if m := priorRe().FindStringSubmatch(p); m != nil {
		op, p = LE, m[1]
	} else if m := laterRe().FindStringSubmatch(p); m != nil {
		op, p = GE, m[1]
	} else if m := priorToRe().FindStringSubmatch(p); m != nil {
		op, p = LT, m[1]
	}
	p = strings.TrimSpace(p)
	for _, pre := range []struct {
		s  string
		op Op
	}{{"<=", LE}, {">=", GE}, {"=<", LE}, {"=>", GE}, {"==", EQ}, {"<", LT}, {">", GT}, {"=", EQ}, {"≤", LE}, {"≥", GE}} {
		if strings.HasPrefix(p, pre.s) {
			op, p = pre.op, p[len(pre.s):]
			break
		}
	}
	p = versWordRe().ReplaceAllString(strings.TrimSpace(p), "")
	p = strings.TrimSpace(tailRe().ReplaceAllString(p, ""))
	v, err := Parse(p)
	if err != nil {
		return Bound{}, false
	}
	return Bound{Op: op, Version: v}, true
}

// group pairs a lower bound with the upper bound that follows it; every
// other comparator is its own interval.
func group(bs []Bound) []Interval {
	var out []Interval
	for i := 0; i < len(bs); i++ {
		b := bs[i]
		switch b.Op {
		case GT, GE:
			iv := Interval{Lower: &bs[i]}
			if i+1 < len(bs) && (bs[i+1].Op == LT || bs[i+1].Op == LE) {
				iv.Upper = &bs[i+1]
				i++
			}
			out = append(out, iv)
		case LT, LE:
			out = append(out, Interval{Upper: &bs[i]})
		default:
			out = append(out, Interval{Exact: &bs[i]})
		}
	}
	return out
}

// Check reports whether v lies in c. ErrIncomparable means no interval
// could be evaluated (a dated range against a numbered version).
func (c Constraint) Check(v Version) (bool, error) {
	if c.All {
		return true, nil
	}
	compared := false
	ivs := c.Intervals
	// Bounds on several vendor lines ("<= U61 | <= L81"): compare a version
	// only with the bounds of its own line when the range has one.
	if lead := v.lead(); lead != "" {
		var same []Interval
		for _, iv := range ivs {
			if iv.lead() == lead {
				same = append(same, iv)
			}
		}
		if len(same) > 0 {
			ivs = same
		}
	}
	for _, iv := range ivs {
		in, err := iv.check(v)
		if err != nil {
			continue
		}
		compared = true
		if in {
			return true, nil
		}
	}
	if !compared {
		return false, fmt.Errorf("%q against %q: %w", v.Raw, c.Raw, ErrIncomparable)
	}
	return false, nil
}

func (iv Interval) check(v Version) (bool, error) {
	if iv.Exact != nil {
		c, err := Compare(v, iv.Exact.Version)
		return c == 0, err
	}
	for _, b := range []*Bound{iv.Lower, iv.Upper} {
		if b == nil {
			continue
		}
		ok, err := b.holds(v)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (b *Bound) holds(v Version) (bool, error) {
	c, err := Compare(v, b.Version)
	if err != nil {
		return false, err
	}
	switch b.Op {
	case LT:
		return c < 0, nil
	case LE:
		return c <= 0, nil
	case GT:
		return c > 0, nil
	case GE:
		return c >= 0, nil
	}
	return c == 0, nil
}

// String renders the normalized constraint ("*", "<=9.33", ">=1.0,<=1.3 || =5.0").
func (c Constraint) String() string {
	if c.All {
		return "*"
	}
	parts := make([]string, 0, len(c.Intervals))
	for _, iv := range c.Intervals {
		var bs []string
		for _, b := range []*Bound{iv.Exact, iv.Lower, iv.Upper} {
			if b != nil {
				bs = append(bs, b.Op.String()+b.Version.Raw)
			}
		}
		parts = append(parts, strings.Join(bs, ","))
	}
	slices.Sort(parts)
	return strings.Join(parts, " || ")
}

func (iv Interval) lead() string {
	for _, b := range []*Bound{iv.Exact, iv.Lower, iv.Upper} {
		if b != nil {
			if l := b.Version.lead(); l != "" {
				return l
			}
		}
	}
	return ""
}
