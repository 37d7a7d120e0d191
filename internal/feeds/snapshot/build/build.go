// Package build produces the bundled feed snapshot from the shared feed
// folder. Output is deterministic for the same input, so a test can tell
// when the committed snapshot is stale.
package build

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/feeds/snapshot"
	"github.com/wardiomt/ward/internal/vuln"
)

type memSink struct {
	advs []vuln.Advisory
	kev  map[string]vuln.KEVEntry
	epss map[string]vuln.EPSSScore
}

func (m *memSink) Advisory(a *vuln.Advisory) error { m.advs = append(m.advs, *a); return nil }
func (m *memSink) KEV(e vuln.KEVEntry) error       { m.kev[e.CVE] = e; return nil }
func (m *memSink) EPSS(e vuln.EPSSScore) error     { m.epss[e.CVE] = e; return nil }

// Build reads the shared feeds under data and returns the compressed
// snapshot and a one-line summary.
func Build(data string) ([]byte, string, error) {
	sink := &memSink{kev: map[string]vuln.KEVEntry{}, epss: map[string]vuln.EPSSScore{}}
	norm := vuln.NewNormalizer(nil)
	// Older KEV first so the current catalog wins; EPSS full file last.
	dirs := []string{"csaf-icsma", "csaf-other", "nvd/nvd-json-2.0", "nvd/cve5-vulnrichment", "ics-advisory-project",
		"kev/known_exploited_vulnerabilities.2025.08.25-cisagov-kev-data.json", "kev/known_exploited_vulnerabilities.json",
		"epss/epss_scores-2026-08-16.csv.gz"}
	var sources []string
	for _, d := range dirs {
		files, err := feeds.Expand([]string{filepath.Join(data, d)})
		if err != nil {
			return nil, "", err
		}
		for _, f := range files {
			o, err := feeds.Open(f)
			if err != nil {
				return nil, "", err
			}
			if o.Format == feeds.FormatUnknown {
				o.Close()
				continue
			}
			_, err = feeds.Decode(o, norm, sink)
			o.Close()
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", f, err)
			}
		}
		sources = append(sources, d)
	}
	rules, err := vuln.DefaultPlatformRules()
	if err != nil {
		return nil, "", err
	}
	ruleCVEs := map[string]bool{}
	for _, r := range rules {
		for _, c := range r.CVEs {
			ruleCVEs[c] = true
		}
	}
	sink.advs = slices.DeleteFunc(sink.advs, func(a vuln.Advisory) bool { return !keepIndexRow(&a, norm, ruleCVEs) })
	// EPSS only for CVEs the snapshot talks about, plus platform rules.
	need := maps.Clone(ruleCVEs)
	for _, a := range sink.advs {
		for _, c := range a.CVEs() {
			need[c] = true
		}
	}
	f := snapshot.File{Sources: sources}
	var newest time.Time
	for _, a := range sink.advs {
		newest = maxTime(newest, a.Updated)
	}
	for _, k := range sink.kev {
		f.KEV = append(f.KEV, k)
		newest = maxTime(newest, k.DateAdded)
	}
	for c := range need {
		if e, ok := sink.epss[c]; ok {
			f.EPSS = append(f.EPSS, e)
			newest = maxTime(newest, e.Date)
		}
	}
	f.Date = newest.UTC().Format("2006-01-02")
	f.Advisories = sink.advs
	slices.SortFunc(f.Advisories, func(a, b vuln.Advisory) int { return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(f.KEV, func(a, b vuln.KEVEntry) int { return cmp.Compare(a.CVE, b.CVE) })
	slices.SortFunc(f.EPSS, func(a, b vuln.EPSSScore) int { return cmp.Compare(a.CVE, b.CVE) })
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), fmt.Sprintf("snapshot %s: %d advisories (%d advisory-index rows), %d KEV, %d EPSS, %d bytes compressed", f.Date, len(f.Advisories), rows(f.Advisories), len(f.KEV), len(f.EPSS), buf.Len()), nil
}

// keepIndexRow keeps, of the advisory index's rows (all CISA ICS
// advisories), the medical ones (ICSMA, or a vendor of the canon table)
// and those scoring a platform rule's CVE; other records pass.
func keepIndexRow(a *vuln.Advisory, norm *vuln.Normalizer, ruleCVEs map[string]bool) bool {
	if a.Source != vuln.SourceICSAdv || strings.HasPrefix(a.ID, "ICSMA-") {
		return true
	}
	for _, p := range a.Products {
		if norm.Known(p.Vendor) {
			return true
		}
	}
	return slices.ContainsFunc(a.CVEs(), func(c string) bool { return ruleCVEs[c] })
}

func rows(advs []vuln.Advisory) int {
	n := 0
	for _, a := range advs {
		if a.Source == vuln.SourceICSAdv {
			n++
		}
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
