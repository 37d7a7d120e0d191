package csaf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
)

func TestSharedAdvisories(t *testing.T) {
	var files []string
	for _, d := range []string{"feeds/csaf-icsma", "feeds/csaf-other"} {
		fs, _ := filepath.Glob(filepath.Join(testutil.SharedData(t, d), "*.json"))
		files = append(files, fs...)
	}
	cats := map[string]int{}
	revisions, products := 0, 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Decode(fh, nil)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		revisions += len(a.Revisions)
		products += len(a.Products)
		for _, p := range a.Products {
			if p.Manufacturer == "" || p.Range == "" {
				t.Errorf("%s: product %+v lacks manufacturer or range", a.ID, p)
			}
		}
		for _, v := range a.Vulns {
			for _, r := range v.Remediations {
				cats[r.Category]++
			}
		}
	}
	if len(files) != 183 || revisions < 183 || products < 600 {
		t.Errorf("%d files, %d revisions, %d products", len(files), revisions, products)
	}
	for _, c := range []string{"vendor_fix", "mitigation", "workaround", "no_fix_planned", "none_available"} {
		if cats[c] == 0 {
			t.Errorf("remediation category %s never seen: %v", c, cats)
		}
	}
}

func TestDecodeExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.SharedData(t, "feeds/csaf-icsma"), "icsma-24-249-01.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Decode(strings.NewReader(string(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "ICSMA-24-249-01" || a.Products[0].Name != "Connex Health Portal" || a.Products[0].Manufacturer != "Baxter" || a.Products[0].Range != "<8/30/2024" {
		t.Errorf("advisory = %+v", a.Products)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"document":{"category":"csaf_security_advisory","csaf_version":"2.0","publisher":{"category":"coordinator","name":"CISA","namespace":"https://www.cisa.gov/"},"title":"t","tracking":{"id":"X","initial_release_date":"2020-01-01T00:00:00Z","current_release_date":"2020-01-01T00:00:00Z","revision_history":[{"date":"2020-01-01T00:00:00Z","number":"1","summary":"s"}],"status":"final","version":"1"}},"product_tree":{"branches":[{"category":"vendor","name":"BD","branches":[{"category":"product_name","name":"Alaris","branches":[{"category":"product_version_range","name":"<= 9.33","product":{"name":"Alaris","product_id":"P1"}}]}]}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Decode(strings.NewReader(s), nil)
	})
}
