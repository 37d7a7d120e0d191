package assess_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

// memSink collects decoded feed records into a MemProvider.
type memSink struct{ p *vuln.MemProvider }

func (s memSink) Advisory(a *vuln.Advisory) error { s.p.Items = append(s.p.Items, *a); return nil }
func (s memSink) KEV(k vuln.KEVEntry) error       { s.p.KEVs[k.CVE] = k; return nil }
func (s memSink) EPSS(e vuln.EPSSScore) error     { s.p.EPSSs[e.CVE] = e; return nil }

var (
	feedOnce sync.Once
	feedProv *vuln.MemProvider
	feedM    *vuln.Matcher
	feedErr  error
)

// sharedFeeds decodes the real feeds of ../shared/data/feeds with Ward's
// own decoders (CSAF ICSMA and ICSA, KEV, NVD, CVE 5, EPSS subset).
func sharedFeeds(t *testing.T) (*vuln.MemProvider, *vuln.Matcher) {
	t.Helper()
	root := testutil.SharedData(t, "feeds")
	feedOnce.Do(func() {
		p := &vuln.MemProvider{KEVs: map[string]vuln.KEVEntry{}, EPSSs: map[string]vuln.EPSSScore{}}
		norm := vuln.NewNormalizer(nil)
		var paths []string
		for _, g := range []string{"csaf-icsma/*.json", "csaf-other/*.json", "nvd/nvd-json-2.0/*.json", "nvd/cve5-vulnrichment/*.json"} {
			m, _ := filepath.Glob(filepath.Join(root, g))
			paths = append(paths, m...)
		}
		paths = append(paths, filepath.Join(root, "kev/known_exploited_vulnerabilities.json"), filepath.Join(root, "epss/epss_subset_ward_targets.csv"))
		for _, path := range paths {
			o, err := feeds.Open(path)
			if err != nil {
				feedErr = err
				return
			}
			_, err = feeds.Decode(o, norm, memSink{p})
			o.Close()
			if err != nil {
				feedErr = err
				return
			}
		}
		feedProv = p
		feedM, feedErr = vuln.NewMatcher(context.Background(), p, vuln.Options{Normalizer: norm})
	})
	if feedErr != nil {
		t.Fatal(feedErr)
	}
	return feedProv, feedM
}

// fixedNow is the assessment date of every test.
var fixedNow = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func newAssessor(t *testing.T, inv inventory.Reader, withRisk bool) *assess.Assessor {
	t.Helper()
	p, m := sharedFeeds(t)
	d := assess.Deps{History: m, Matcher: m, Provider: p, Inventory: inv, Feeds: "shared test feeds", Now: func() time.Time { return fixedNow }}
	if withRisk {
		eng, err := risk.New(risk.DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Risk = eng
	}
	a, err := assess.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// csafDoc is what the tests read from CSAF files themselves, independent
// of Ward's decoder.
type csafDoc struct {
	ID      string
	Year    int
	Vendors []string
	CVEs    []string
}

func readCSAF(t *testing.T) []csafDoc {
	t.Helper()
	root := testutil.SharedData(t, "feeds")
	var files []string
	for _, g := range []string{"csaf-icsma/*.json", "csaf-other/*.json"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		files = append(files, m...)
	}
	type branch struct {
		Category string   `json:"category"`
		Name     string   `json:"name"`
		Branches []branch `json:"branches"`
	}
	var out []csafDoc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Document struct {
				Tracking struct {
					ID                 string `json:"id"`
					InitialReleaseDate string `json:"initial_release_date"`
				} `json:"tracking"`
			} `json:"document"`
			ProductTree struct {
				Branches []branch `json:"branches"`
			} `json:"product_tree"`
			Vulnerabilities []struct {
				CVE string `json:"cve"`
			} `json:"vulnerabilities"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ts, err := time.Parse(time.RFC3339, d.Document.Tracking.InitialReleaseDate)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		doc := csafDoc{ID: d.Document.Tracking.ID, Year: ts.Year()}
		var walk func([]branch)
		walk = func(bs []branch) {
			for _, x := range bs {
				if x.Category == "vendor" {
					doc.Vendors = append(doc.Vendors, x.Name)
				}
				walk(x.Branches)
			}
		}
		walk(d.ProductTree.Branches)
		for _, v := range d.Vulnerabilities {
			if v.CVE != "" {
				doc.CVEs = append(doc.CVEs, v.CVE)
			}
		}
		out = append(out, doc)
	}
	return out
}

// namesManufacturer: does one of the vendor strings name canonical? Vendor
// strings list several companies ("Hillrom and ELI, Baxter"); each part is
// looked up in the canonical table.
func namesManufacturer(tab *canon.Table, vendors []string, canonical string) bool {
	for _, v := range vendors {
		parts := []string{v}
		for _, sep := range []string{",", " and ", "&"} {
			var next []string
			for _, p := range parts {
				next = append(next, strings.Split(p, sep)...)
			}
			parts = next
		}
		parts = append(parts, v)
		for _, p := range parts {
			if c, _ := tab.Manufacturer(strings.TrimSpace(p)); strings.EqualFold(c, canonical) {
				return true
			}
		}
	}
	return false
}

type kevFile struct {
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

func readKEV(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.SharedData(t, "feeds"), "kev/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	var k kevFile
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, v := range k.Vulnerabilities {
		out[v.CVEID] = v.KnownRansomwareCampaignUse == "Known"
	}
	return out
}

// ingestDemo decodes testdata/demo/hospital-demo.pcap into a fresh SQLite
// inventory, the way `ward ingest` does.
func ingestDemo(t *testing.T) inventory.Reader {
	t.Helper()
	ctx := context.Background()
	pcap := filepath.Join(testutil.RepoRoot(t), "testdata", "demo", "hospital-demo.pcap")
	if _, err := os.Stat(pcap); err != nil {
		t.Skipf("demo capture missing: %v", err)
	}
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	st, err := sqlstore.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := fingerprint.New(fingerprint.Options{}) // p0f database when installed, as `ward ingest`
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(st, eng, inventory.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	if _, err := sensor.ReadFiles(ctx, []string{pcap}, decode.DefaultConfig(), c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, inventory.DefaultSite, c.obs); err != nil {
		t.Fatal(err)
	}
	return st
}

type collector struct{ obs []observe.Observation }

func (c *collector) Emit(o *observe.Observation) { c.obs = append(c.obs, o.Clone()) }
