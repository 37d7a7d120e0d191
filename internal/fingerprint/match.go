package fingerprint

import "strings"

// match reports whether v satisfies the condition's operator (ignoring
// negation, which the caller applies over all fields of the key).
func (c *cond) match(v string) bool {
	switch c.op {
	case opPresent:
		return true
	case opRegex:
		return c.mayMatch(v) && c.re.MatchString(v)
	}
	for _, p := range c.vals {
		if c.matchOne(v, p) {
			return true
		}
	}
	return false
}

func (c *cond) matchOne(v, p string) bool {
	if c.caseSensitive {
		switch c.op {
		case opExact:
			return v == p
		case opPrefix:
			return strings.HasPrefix(v, p)
		case opSuffix:
			return strings.HasSuffix(v, p)
		case opContains:
			return strings.Contains(v, p)
		}
		return false
	}
	// p is lower-cased at load; compare without allocating a lowered v.
	switch c.op {
	case opExact:
		return len(v) == len(p) && strings.EqualFold(v, p)
	case opPrefix:
		return len(v) >= len(p) && strings.EqualFold(v[:len(p)], p)
	case opSuffix:
		return len(v) >= len(p) && strings.EqualFold(v[len(v)-len(p):], p)
	case opContains:
		return containsFold(v, p)
	}
	return false
}

// containsFold is a case-insensitive strings.Contains for a lower-case needle.
func containsFold(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	first := sub[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c != first && c != upper && c < 0x80 {
			continue
		}
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
