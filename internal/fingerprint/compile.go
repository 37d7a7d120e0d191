package fingerprint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardiomt/ward/internal/canon"
)

// maxConds bounds the conditions of one rule so matching can keep its
// per-condition state in fixed arrays on the stack.
const maxConds = 8

type opKind uint8

const (
	opExact opKind = iota
	opPrefix
	opSuffix
	opContains
	opRegex
	opPresent
)

type cond struct {
	field         string
	op            opKind
	vals          []string // lower-cased unless caseSensitive
	re            *regexp.Regexp
	lits          []string // regex prefilter, see prefilter.go
	caseSensitive bool
	not           bool
	matchesAny    bool
}

type partKind uint8

const (
	partLit   partKind = iota
	partGroup          // capture group of cond
	partValue          // the anchor field's value
	partField          // another field of the observation
)

type part struct {
	kind  partKind
	lit   string
	cond  int
	group int
	field string
}

type claimTmpl struct {
	attr  Attribute
	conf  float64
	parts []part // empty when constant
	value string // constant value (already canonical)
	vmap  map[string]string
}

type rule struct {
	id       string
	file     string
	line     int
	protocol string
	note     string
	conds    []cond
	anchor   int   // index of the condition used to index the rule
	capConds []int // conditions whose submatches templates use
	claims   []claimTmpl
}

var knownAttrs = map[string]Attribute{
	string(Manufacturer): Manufacturer, string(Model): Model, string(Version): Version,
	string(Serial): Serial, string(DeviceType): DeviceType, string(OS): OS,
	string(Hostname): Hostname, string(Software): Software,
}

// anyProbes are values an over-broad regex matches all of; a rule whose
// only constraint is such a regex would claim something about every value.
var anyProbes = []string{"", "x", "0", "Zq-9.@/\u03a9"}

func compileRule(file string, rs *ruleSpec, vendors *canon.Table) (*rule, error) {
	fail := func(line int, format string, args ...any) error {
		if line == 0 {
			line = rs.Line
		}
		return &LoadError{File: file, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if rs.ID == "" {
		return nil, fail(0, "rule has no id")
	}
	r := &rule{id: rs.ID, file: file, line: rs.Line, protocol: rs.Protocol, note: rs.Note, anchor: -1}
	if len(rs.Match) == 0 {
		return nil, fail(0, "rule %s has no match conditions: it would match everything", rs.ID)
	}
	if len(rs.Match) > maxConds {
		return nil, fail(0, "rule %s has %d conditions, at most %d allowed", rs.ID, len(rs.Match), maxConds)
	}
	groupNames := map[string][2]int{} // name -> cond, group
	firstRegex := -1
	for i := range rs.Match {
		cs := &rs.Match[i]
		c, err := compileCond(cs)
		if err != nil {
			return nil, fail(cs.Line, "rule %s: %v", rs.ID, err)
		}
		if c.op == opRegex && !c.not {
			if firstRegex < 0 {
				firstRegex = i
			}
			for g, name := range c.re.SubexpNames() {
				if name != "" {
					groupNames[name] = [2]int{i, g}
				}
			}
		}
		r.conds = append(r.conds, c)
	}
	// The anchor is the first positive condition that constrains the value;
	// rules are indexed by its field.
	for i, c := range r.conds {
		if !c.not && !c.matchesAny {
			r.anchor = i
			break
		}
	}
	if r.anchor < 0 {
		return nil, fail(0, "rule %s would match everything: every condition is negated, 'present' or a regex matching any value", rs.ID)
	}
	if len(rs.Claims) == 0 {
		return nil, fail(0, "rule %s has no claims", rs.ID)
	}
	seen := map[Attribute]bool{}
	usesCond := map[int]bool{}
	for _, cs := range rs.Claims {
		attr, ok := knownAttrs[cs.Attr]
		if !ok {
			return nil, fail(cs.Line, "rule %s: unknown attribute %q", rs.ID, cs.Attr)
		}
		if seen[attr] {
			return nil, fail(cs.Line, "rule %s: attribute %s claimed twice", rs.ID, attr)
		}
		seen[attr] = true
		conf := cs.Confidence
		if conf == 0 {
			conf = rs.Confidence
		}
		if conf <= 0 || conf > 1 {
			return nil, fail(cs.Line, "rule %s: %s confidence %v must be in (0, 1] (set it on the claim or the rule)", rs.ID, attr, conf)
		}
		if strings.TrimSpace(cs.Value) == "" {
			return nil, fail(cs.Line, "rule %s: %s has an empty value", rs.ID, attr)
		}
		t := claimTmpl{attr: attr, conf: conf}
		parts, err := parseTemplate(cs.Value, r.anchor, firstRegex, groupNames, r.conds)
		if err != nil {
			return nil, fail(cs.Line, "rule %s: %s: %v", rs.ID, attr, err)
		}
		constant := len(parts) == 1 && parts[0].kind == partLit
		if constant {
			if cs.Map != nil {
				return nil, fail(cs.Line, "rule %s: %s: a map needs a template value ($1, ${value}...)", rs.ID, attr)
			}
			v, err := normalizeConst(attr, parts[0].lit, vendors)
			if err != nil {
				return nil, fail(cs.Line, "rule %s: %v", rs.ID, err)
			}
			t.value = v
		} else {
			t.parts = parts
			for _, p := range parts {
				if p.kind == partGroup {
					usesCond[p.cond] = true
				}
			}
		}
		if cs.Map != nil {
			t.vmap = make(map[string]string, len(cs.Map))
			for k, v := range cs.Map {
				nv, err := normalizeConst(attr, v, vendors)
				if err != nil {
					return nil, fail(cs.Line, "rule %s: map %q: %v", rs.ID, k, err)
				}
				t.vmap[k] = nv
			}
		}
		r.claims = append(r.claims, t)
	}
	for i := range r.conds {
		if usesCond[i] {
			r.capConds = append(r.capConds, i)
		}
	}
	return r, nil
}

func normalizeConst(attr Attribute, v string, vendors *canon.Table) (string, error) {
	v = strings.TrimSpace(v)
	switch attr {
	case Manufacturer:
		c, _ := vendors.Manufacturer(v)
		return c, nil
	case DeviceType:
		if !canon.ValidType(v) {
			return "", fmt.Errorf("type %q is not in the taxonomy (see internal/canon)", v)
		}
	}
	return v, nil
}

func compileCond(cs *condSpec) (cond, error) {
	c := cond{field: cs.Field, not: cs.Not, caseSensitive: cs.CaseSensitive}
	if cs.Field == "" || !strings.Contains(cs.Field, ".") {
		return c, fmt.Errorf("condition needs field: <protocol>.<name>, got %q", cs.Field)
	}
	n := 0
	set := func(op opKind, vals stringList) error {
		if vals == nil {
			return nil
		}
		n++
		c.op = op
		for _, v := range vals {
			if v == "" {
				return fmt.Errorf("empty string in %s would match any value", opName(op))
			}
			if !c.caseSensitive {
				v = strings.ToLower(v)
			}
			c.vals = append(c.vals, v)
		}
		if len(c.vals) == 0 {
			return fmt.Errorf("empty list in %s", opName(op))
		}
		return nil
	}
	for _, s := range []struct {
		op   opKind
		vals stringList
	}{{opExact, cs.Exact}, {opPrefix, cs.Prefix}, {opSuffix, cs.Suffix}, {opContains, cs.Contains}} {
		if err := set(s.op, s.vals); err != nil {
			return c, err
		}
	}
	if cs.Regex != "" {
		n++
		c.op = opRegex
		src := cs.Regex
		if !c.caseSensitive {
			src = "(?i)" + src
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return c, fmt.Errorf("regex: %w", err)
		}
		c.re = re
		c.lits = requiredLiterals(cs.Regex)
		c.matchesAny = true
		for _, p := range anyProbes {
			if !re.MatchString(p) {
				c.matchesAny = false
				break
			}
		}
	}
	if cs.Present {
		n++
		c.op = opPresent
		c.matchesAny = true
	}
	if n != 1 {
		return c, fmt.Errorf("condition on %s needs exactly one of exact, prefix, suffix, contains, regex, present (has %d)", cs.Field, n)
	}
	return c, nil
}

func opName(op opKind) string {
	return [...]string{"exact", "prefix", "suffix", "contains", "regex", "present"}[op]
}

// parseTemplate splits a claim value into literal text and references:
// $1 / ${1} (group of the rule's first regex), ${name} (named group of any
// regex), ${value} (the anchor field's value), ${proto.field} (another
// field), $$ (a dollar sign).
func parseTemplate(s string, anchor, firstRegex int, names map[string][2]int, conds []cond) ([]part, error) {
	var parts []part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{kind: partLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("dangling $ in %q", s)
		}
		var ref string
		switch {
		case s[i+1] == '$':
			lit.WriteByte('$')
			i++
			continue
		case s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ${ in %q", s)
			}
			ref = s[i+2 : i+end]
			i += end
		case s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			ref = s[i+1 : j]
			i = j - 1
		default:
			return nil, fmt.Errorf("bad reference after $ in %q (use $$ for a dollar)", s)
		}
		flush()
		p, err := resolveRef(ref, anchor, firstRegex, names, conds)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	flush()
	if len(parts) == 0 {
		parts = append(parts, part{kind: partLit})
	}
	return parts, nil
}

func resolveRef(ref string, anchor, firstRegex int, names map[string][2]int, conds []cond) (part, error) {
	if ref == "" {
		return part{}, fmt.Errorf("empty reference ${}")
	}
	if ref == "value" {
		return part{kind: partValue}, nil
	}
	if g, err := strconv.Atoi(ref); err == nil {
		if firstRegex < 0 {
			return part{}, fmt.Errorf("$%s refers to a capture but the rule has no regex", ref)
		}
		if g < 0 || g > conds[firstRegex].re.NumSubexp() {
			return part{}, fmt.Errorf("$%s: the regex has %d groups", ref, conds[firstRegex].re.NumSubexp())
		}
		return part{kind: partGroup, cond: firstRegex, group: g}, nil
	}
	if cg, ok := names[ref]; ok {
		return part{kind: partGroup, cond: cg[0], group: cg[1]}, nil
	}
	if strings.Contains(ref, ".") {
		for _, c := range conds {
			if c.field == ref && !c.not {
				return part{kind: partField, field: ref}, nil
			}
		}
		return part{}, fmt.Errorf("${%s}: the field must also appear in a (non-negated) condition", ref)
	}
	return part{}, fmt.Errorf("unknown reference ${%s}", ref)
}
