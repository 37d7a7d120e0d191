package vuln_test

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/feeds/snapshot"
	"github.com/wardiomt/ward/internal/vuln"
)

type labeled struct {
	dev      vuln.Device
	expected []string
	note     string
}

func readLabeled(t *testing.T) []labeled {
	t.Helper()
	f, err := os.Open("testdata/labeled_icsma.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labeled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 5 {
			t.Fatalf("labeled_icsma.tsv:%d: %d columns, want 5", n, len(c))
		}
		l := labeled{dev: vuln.Device{ID: strings.Join(c[:3], "|"), Manufacturer: c[0], Model: c[1], Version: c[2]}, note: c[4]}
		if c[3] != "-" {
			l.expected = strings.Split(c[3], ",")
		}
		out = append(out, l)
	}
	return out
}

// TestLabeledPrecisionRecall measures advisory matches (status affected)
// against the hand-labeled ICSMA set, on the bundled snapshot.
func TestLabeledPrecisionRecall(t *testing.T) {
	cases := readLabeled(t)
	mfrs := map[string]bool{}
	norm := vuln.NewNormalizer(nil)
	for _, c := range cases {
		mfrs[norm.Manufacturer(c.dev.Manufacturer)] = true
	}
	if len(cases) < 60 || len(mfrs) < 15 {
		t.Fatalf("labeled set too small: %d cases, %d manufacturers", len(cases), len(mfrs))
	}
	snap, err := snapshot.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := vuln.NewMatcher(context.Background(), snap.Provider(), vuln.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn int
	for _, c := range cases {
		fs, err := m.Match(context.Background(), []vuln.Device{c.dev})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			if f.Status == vuln.Affected && f.Source == vuln.SourceCSAF && strings.HasPrefix(f.Advisory, "ICSMA-") {
				got = append(got, f.Advisory)
			}
		}
		for _, g := range got {
			if slices.Contains(c.expected, g) {
				tp++
			} else {
				fp++
				t.Logf("false positive: %s -> %s (%s)", c.dev.ID, g, c.note)
			}
		}
		for _, e := range c.expected {
			if !slices.Contains(got, e) {
				fn++
				t.Logf("false negative: %s misses %s (%s)", c.dev.ID, e, c.note)
			}
		}
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("labeled set: %d cases, %d manufacturers; TP %d FP %d FN %d; precision %.3f recall %.3f",
		len(cases), len(mfrs), tp, fp, fn, precision, recall)
	if precision < 0.97 || recall < 0.97 {
		t.Errorf("precision %.3f / recall %.3f below the 0.97 target", precision, recall)
	}
}
