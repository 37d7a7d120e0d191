package fingerprint

import (
	"regexp/syntax"
	"strings"
)

// Regex prefilter. Go's regexp has no literal fast path for
// case-insensitive patterns, and most rule regexes are case-insensitive and
// unanchored, so a long User-Agent would run every pattern's backtracker.
// requiredLiterals finds strings of which every match must contain at least
// one; a value containing none of them (case-folded) is rejected without
// running the regex.

// minLiteral is the shortest literal worth testing first: shorter ones
// occur almost everywhere.
const minLiteral = 3

func requiredLiterals(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := literals(re.Simplify())
	if !ok || len(lits) == 0 || len(lits) > 64 {
		return nil
	}
	for i, l := range lits {
		if len(l) < minLiteral {
			return nil
		}
		lits[i] = strings.ToLower(l)
	}
	return lits
}

// literals returns a set of strings one of which every match of re
// contains, and whether such a set was found.
func literals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return literals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Adjacent literals join; otherwise keep the element whose
		// shortest literal is longest.
		var best []string
		bestMin := 0
		consider := func(ls []string) {
			if m := shortest(ls); m > bestMin {
				best, bestMin = ls, m
			}
		}
		var run strings.Builder
		for _, s := range re.Sub {
			if s.Op == syntax.OpLiteral {
				run.WriteString(string(s.Rune))
				continue
			}
			if run.Len() > 0 {
				consider([]string{run.String()})
				run.Reset()
			}
			if ls, ok := literals(s); ok {
				consider(ls)
			}
		}
		if run.Len() > 0 {
			consider([]string{run.String()})
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			ls, ok := literals(s)
			if !ok {
				return nil, false
			}
			all = append(all, ls...)
		}
		return all, true
	}
	return nil, false
}

func shortest(ls []string) int {
	m := -1
	for _, l := range ls {
		if m < 0 || len(l) < m {
			m = len(l)
		}
	}
	return m
}

// mayMatch applies the prefilter.
func (c *cond) mayMatch(v string) bool {
	if c.lits == nil {
		return true
	}
	for _, l := range c.lits {
		if containsFold(v, l) {
			return true
		}
	}
	return false
}
