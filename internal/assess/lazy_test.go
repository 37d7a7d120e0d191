package assess

import (
	"regexp"
	"testing"
)

// The patterns compile on first use, so a bad one no longer stops the
// package from initialising: compile each here.
func TestLazyRegexpsCompile(t *testing.T) {
	res := map[string]func() *regexp.Regexp{
		"noFixRe": noFixRe, "fixTextRe": fixTextRe, "fixWordsRe": fixWordsRe,
		"fixRevRe": fixRevRe, "addRe": addRe, "cveRe": cveRe,
	}
	for _, e := range eol {
		res["eol "+e.name] = e.re
	}
	for name, re := range res {
		if re() == nil || re() != re() {
			t.Errorf("%s: want one compiled pattern, built once", name)
		}
	}
}
