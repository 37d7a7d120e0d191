package kev

import (
	"os"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

const cat = `{"title":"t","catalogVersion":"2026.08.07","dateReleased":"2026-08-07T16:45:47.0648Z","count":1,"vulnerabilities":[
{"cveID":"CVE-2017-0144","vendorProject":"Microsoft","product":"SMBv1","vulnerabilityName":"x","dateAdded":"2022-02-10","shortDescription":"d","requiredAction":"a","dueDate":"2022-08-10","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-20"]}]}`

func TestDecode(t *testing.T) {
	var got []vuln.KEVEntry
	c, err := Decode(strings.NewReader(cat), func(e vuln.KEVEntry) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if c.CatalogVersion != "2026.08.07" || len(got) != 1 || got[0].RansomwareCampaign != "Known" || got[0].DateAdded.Year() != 2022 {
		t.Errorf("catalog %+v entries %+v", c, got)
	}
	if _, err := Decode(strings.NewReader(strings.Replace(cat, `"count":1`, `"count":2`, 1)), func(vuln.KEVEntry) error { return nil }); err == nil || !strings.Contains(err.Error(), "count says 2") {
		t.Errorf("count mismatch: err = %v", err)
	}
}

func TestSharedCatalogs(t *testing.T) {
	for _, f := range []string{"known_exploited_vulnerabilities.json", "known_exploited_vulnerabilities.2025.08.25-cisagov-kev-data.json"} {
		fh, err := os.Open(testutil.SharedData(t, "feeds/kev/"+f))
		if err != nil {
			t.Fatal(err)
		}
		known := 0
		c, err := Decode(fh, func(e vuln.KEVEntry) error {
			if e.RansomwareCampaign == "Known" {
				known++
			}
			return nil
		})
		fh.Close()
		if err != nil || c.Count < 1000 || known == 0 {
			t.Errorf("%s: %+v known ransomware %d err %v", f, c, known, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(cat)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Decode(strings.NewReader(s), func(vuln.KEVEntry) error { return nil })
	})
}
