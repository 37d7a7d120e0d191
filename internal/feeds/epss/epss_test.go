package epss

import (
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

const doc = "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000\ncve,epss,percentile\nCVE-2017-0144,0.94358,0.99953\n"

func TestDecode(t *testing.T) {
	var got []vuln.EPSSScore
	m, err := Decode(strings.NewReader(doc), func(e vuln.EPSSScore) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if m.Model != "v2025.03.14" || m.ScoreDate.Day() != 16 || len(got) != 1 || got[0].EPSS != 0.94358 {
		t.Errorf("meta %+v rows %+v", m, got)
	}
}

func TestSharedFiles(t *testing.T) {
	f, err := os.Open(testutil.SharedData(t, "feeds/epss/epss_scores-2026-08-16.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	m, err := Decode(zr, func(vuln.EPSSScore) error { n++; return nil })
	if err != nil || n != 360142 || m.Model != "unknown" {
		t.Errorf("rows %d meta %+v err %v", n, m, err)
	}
	sub, err := os.Open(testutil.SharedData(t, "feeds/epss/epss_subset_ward_targets.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := Decode(sub, func(vuln.EPSSScore) error { return nil }); err != nil {
		t.Errorf("subset: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(doc)
	f.Add("cve,epss,percentile\nCVE-1999-0001,0.1,0.2\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Decode(strings.NewReader(s), func(vuln.EPSSScore) error { return nil })
	})
}
