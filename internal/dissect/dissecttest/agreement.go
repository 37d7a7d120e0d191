package dissecttest

import (
	"sort"
	"strconv"
	"testing"
)

// Agreement counts per-field matches between Ward and tshark.
type Agreement struct {
	match, total map[string]int
	why          []string
}

// NewAgreement returns an empty tally.
func NewAgreement() *Agreement {
	return &Agreement{match: map[string]int{}, total: map[string]int{}}
}

// Check counts one comparison of field in frame, noting it when ours and
// theirs differ.
func (a *Agreement) Check(field string, frame int, ours, theirs, note string) {
	a.total[field]++
	if ours == theirs {
		a.match[field]++
		return
	}
	a.why = append(a.why, "frame "+strconv.Itoa(frame)+" "+field+": ward "+strconv.Quote(ours)+" tshark "+strconv.Quote(theirs)+" "+note)
}

// Fields is how many distinct fields were checked.
func (a *Agreement) Fields() int { return len(a.total) }

// Report logs agreement and fails any field below 99%.
func (a *Agreement) Report(t *testing.T) {
	t.Helper()
	keys := make([]string, 0, len(a.total))
	for f := range a.total {
		keys = append(keys, f)
	}
	sort.Strings(keys)
	for _, f := range keys {
		n := a.total[f]
		pct := 100 * float64(a.match[f]) / float64(n)
		t.Logf("%-28s %4d/%4d agree (%.1f%%)", f, a.match[f], n, pct)
		if pct < 99 {
			t.Errorf("%s agreement %.1f%% < 99%%", f, pct)
		}
	}
	for _, w := range a.why {
		t.Log("disagreement: " + w)
	}
}
