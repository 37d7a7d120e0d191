package export

import (
	"regexp"
	"testing"
)

// The patterns compile on first use, so a bad one no longer stops the
// package from initialising: compile each here.
func TestLazyRegexpsCompile(t *testing.T) {
	for name, re := range map[string]func() *regexp.Regexp{
		"unsafeID": unsafeID, "cvss2Vector": cvss2Vector, "cvss3Vector": cvss3Vector,
	} {
		if re() == nil || re() != re() {
			t.Errorf("%s: want one compiled pattern, built once", name)
		}
	}
}
