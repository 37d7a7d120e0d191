package dissecttest

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
)

// walkCaptures calls fn for every capture file under pcaps, skipping the
// oracle dumps.
func walkCaptures(t *testing.T, pcaps string, fn func(path string)) {
	t.Helper()
	err := filepath.WalkDir(pcaps, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.Contains(p, "/oracle/") {
			return err
		}
		if ext := filepath.Ext(p); ext != ".pcap" && ext != ".pcapng" && ext != ".cap" {
			return nil
		}
		fn(p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// SharedCaptures runs a fresh dissector from newD over every capture under
// pcaps (the shared captures): none may panic. It logs how many
// observations they made.
func SharedCaptures(t *testing.T, pcaps string, newD func() dissect.Dissector) {
	t.Helper()
	n := 0
	walkCaptures(t, pcaps, func(p string) {
		n += len(RunChecked(t, p, newD()))
	})
	t.Logf("%d observations from the shared captures", n)
}

// ExpectFunc turns one oracle row into the values each of our keys must
// show in that frame.
type ExpectFunc func(oraclePath string, frame int, row map[string][]string) map[string][]string

// EqualFunc compares a tshark value with one of Ward's for key; nil means ==.
type EqualFunc func(key, want, got string) bool

type tally struct{ agree, total int }

// sentAt is one value we emitted: the frame and the value.
type sentAt struct {
	frame int
	value string
}

// dirKey names one direction of a TCP conversation by sender address and ports.
func dirKey(src string, sport, dport string) string { return src + "|" + sport + "|" + dport }

// CompareOracle runs a dissector from newD over every capture under pcaps
// whose oracle has values for it. tshark reports a PDU at its last segment
// while Ward emits when the fields are complete, and Ward reads only the
// first messages of a connection; so a tshark value agrees when Ward emitted
// the same value in the same direction of the same conversation at or
// before that frame. It requires >= 99% agreement per field, and that Ward
// reports the field in >= 99% of the conversation directions where tshark
// does.
func CompareOracle(t *testing.T, pcaps string, newD func() dissect.Dissector, expect ExpectFunc, equal EqualFunc) {
	t.Helper()
	if equal == nil {
		equal = func(_, a, b string) bool { return a == b }
	}
	stats := map[string]*tally{}
	cover := map[string]*tally{}
	var disagreements []string
	files := 0
	walkCaptures(t, pcaps, func(p string) {
		rel, _ := filepath.Rel(pcaps, p)
		orPath := filepath.Join(pcaps, "oracle", OracleName(filepath.ToSlash(rel))+".tsv")
		if _, err := os.Stat(orPath); err != nil {
			return
		}
		rows := ReadOracle(t, orPath)
		frames := make([]int, 0, len(rows))
		want := map[int]map[string][]string{}
		for f, r := range rows {
			if w := expect(orPath, f, r); len(w) > 0 {
				want[f] = w
				frames = append(frames, f)
			}
		}
		if len(want) == 0 {
			return
		}
		sort.Ints(frames)
		files++
		got := map[string]map[string][]sentAt{}
		for _, fo := range RunChecked(t, p, newD()) {
			k := dirKey(fo.Obs.SrcIP.String(), itoa(int(fo.Obs.SrcPort)), itoa(int(fo.Obs.DstPort)))
			if got[k] == nil {
				got[k] = map[string][]sentAt{}
			}
			for _, f := range fo.Obs.Fields {
				got[k][f.Key] = append(got[k][f.Key], sentAt{fo.Frame, f.Value})
			}
		}
		seenDir := map[string]bool{}
		for _, f := range frames {
			r := rows[f]
			// A tunnelled packet (6in4, 4in6) has both an IPv4 and an IPv6
			// source, and the fields cannot tell which is inside: Ward
			// reports the inner one, so the one it has values for is taken.
			sport, dport := First(r["tcp.srcport"]), First(r["tcp.dstport"])
			k := dirKey(First(r["ip.src"])+First(r["ipv6.src"]), sport, dport)
			if len(r["ip.src"]) > 0 && len(r["ipv6.src"]) > 0 {
				k = dirKey(Last(r["ipv6.src"]), sport, dport)
				if k4 := dirKey(Last(r["ip.src"]), sport, dport); got[k4] != nil {
					k = k4
				}
			}
			for key, vals := range want[f] {
				ours := got[k][key]
				if !seenDir[k+key] {
					seenDir[k+key] = true
					c := counter(cover, key)
					c.total++
					if len(ours) > 0 {
						c.agree++
					} else {
						disagreements = append(disagreements, filepath.Base(p)+" frame "+itoa(f)+" "+key+": tshark "+strings.Join(vals, " | ")+"; ward has nothing in this direction")
					}
				}
				if len(ours) == 0 {
					continue
				}
				a := counter(stats, key)
				for _, v := range vals {
					a.total++
					if slices.ContainsFunc(ours, func(s sentAt) bool { return s.frame <= f && equal(key, v, s.value) }) {
						a.agree++
						continue
					}
					var w []string
					for _, s := range ours {
						w = append(w, itoa(s.frame)+":"+s.value)
					}
					disagreements = append(disagreements, filepath.Base(p)+" frame "+itoa(f)+" "+key+": tshark "+v+"; ward "+strings.Join(w, " | "))
				}
			}
		}
	})
	if files == 0 {
		t.Fatal("no shared capture has oracle values for this dissector")
	}
	report(t, "agree", stats)
	report(t, "directions covered", cover)
	for _, d := range disagreements {
		t.Log("disagree:", d)
	}
}

func counter(m map[string]*tally, key string) *tally {
	a := m[key]
	if a == nil {
		a = &tally{}
		m[key] = a
	}
	return a
}

func report(t *testing.T, what string, m map[string]*tally) {
	t.Helper()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := m[k]
		t.Logf("%-36s %s %4d/%4d (%.1f%%)", k, what, a.agree, a.total, 100*float64(a.agree)/float64(a.total))
		if a.agree*100 < a.total*99 {
			t.Errorf("%s: %s %d of %d, need >= 99%%", k, what, a.agree, a.total)
		}
	}
}

// Last is the last of v, or "" when v is empty.
func Last(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// First is the first of v, or "" when v is empty.
func First(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
