package export

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use rather than at package
// initialisation, which every ward command paid for even when it never
// matched against the pattern. The result is immutable and safe for
// concurrent use; a bad pattern still panics (on first use, which the
// package's tests exercise).
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
