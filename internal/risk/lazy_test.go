package risk

import (
	"regexp"
	"testing"
)

// The patterns compile on first use, so a bad one no longer stops the
// package from initialising: compile each here.
func TestLazyRegexpsCompile(t *testing.T) {
	for name, re := range map[string]func() *regexp.Regexp{
		"bulletRe": bulletRe, "dashRe": dashRe, "sentenceRe": sentenceRe, "fixedRe": fixedRe,
		"fixKW": fixKW, "workKW": workKW, "contactKW": contactKW, "noFixKW": noFixKW,
		"generalKW": generalKW, "recommendRe": recommendRe, "urlRe": urlRe, "portRe": portRe, "numRe": numRe,
	} {
		if re() == nil || re() != re() {
			t.Errorf("%s: want one compiled pattern, built once", name)
		}
	}
}
