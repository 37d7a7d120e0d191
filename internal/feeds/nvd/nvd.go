// Package nvd reads NVD CVE API 2.0 JSON: single `cve` records (as the
// fkie-cad mirror stores them), API responses and the yearly/modified bulk
// files (`{"vulnerabilities":[{"cve":{...}}]}`), streaming record by record.
package nvd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/wardiomt/ward/internal/cpe"
	"github.com/wardiomt/ward/internal/feeds/cve5"
	"github.com/wardiomt/ward/internal/vuln"
)

// CVE is the `cve` object of the API 2.0.
type CVE struct {
	ID               string          `json:"id"`
	SourceIdentifier string          `json:"sourceIdentifier"`
	Published        string          `json:"published"`
	LastModified     string          `json:"lastModified"`
	VulnStatus       string          `json:"vulnStatus"`
	CVETags          []any           `json:"cveTags"`
	Descriptions     []cve5.LangText `json:"descriptions"`
	Metrics          Metrics         `json:"metrics"`
	Weaknesses       []struct {
		Source      string          `json:"source"`
		Type        string          `json:"type"`
		Description []cve5.LangText `json:"description"`
	} `json:"weaknesses"`
	Configurations []Config `json:"configurations"`
	Affected       []struct {
		Source       string          `json:"source"`
		AffectedData []cve5.Affected `json:"affectedData"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	CISAExploitAdd string `json:"cisaExploitAdd"`
}

// Metrics holds every CVSS version NVD publishes, plus CISA's SSVC.
type Metrics struct {
	V40  []metric `json:"cvssMetricV40"`
	V31  []metric `json:"cvssMetricV31"`
	V30  []metric `json:"cvssMetricV30"`
	V2   []metric `json:"cvssMetricV2"`
	SSVC []struct {
		Source   string          `json:"source"`
		SSVCData json.RawMessage `json:"ssvcData"`
	} `json:"ssvcV203"`
}

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string   `json:"version"`
		VectorString string   `json:"vectorString"`
		BaseScore    *float64 `json:"baseScore"`
	} `json:"cvssData"`
}

// Config is one configuration: nodes combined by Operator.
type Config struct {
	Operator string `json:"operator"`
	Negate   bool   `json:"negate"`
	Nodes    []struct {
		Operator string  `json:"operator"`
		Negate   bool    `json:"negate"`
		CPEMatch []Match `json:"cpeMatch"`
	} `json:"nodes"`
}

// Match is one cpeMatch criterion with its version bounds.
type Match struct {
	Vulnerable            bool   `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	MatchCriteriaID       string `json:"matchCriteriaId"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

var (
	cveRe    = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	statuses = map[string]bool{"Received": true, "Awaiting Analysis": true, "Undergoing Analysis": true,
		"Analyzed": true, "Modified": true, "Deferred": true, "Rejected": true, "Published": true}
	metricTypes = map[string]bool{"Primary": true, "Secondary": true}
)

// ErrFormat marks input that is not NVD API 2.0 JSON.
var ErrFormat = errors.New("not NVD CVE API 2.0 JSON")

// Decode streams every record of r to fn: a single `cve` object, a
// `{"cve":{...}}` wrapper, or a response/bulk file with `vulnerabilities`.
// The first bad record stops decoding with its index and id.
func Decode(r io.Reader, fn func(*vuln.Advisory) error) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	} else if t != json.Delim('{') {
		return fmt.Errorf("%w: top level is %v, not an object", ErrFormat, t)
	}
	single := map[string]json.RawMessage{}
	n := 0
	sawList := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read key: %w", err)
		}
		key, _ := kt.(string)
		switch key {
		case "vulnerabilities":
			sawList = true
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("vulnerabilities: not an array (%v %v)", t, err)
			}
			for dec.More() {
				var item struct {
					CVE *CVE `json:"cve"`
				}
				if err := dec.Decode(&item); err != nil {
					return fmt.Errorf("vulnerabilities[%d]: %w", n, err)
				}
				if item.CVE == nil {
					return fmt.Errorf("vulnerabilities[%d]: no cve object", n)
				}
				if err := emit(item.CVE, n, fn); err != nil {
					return err
				}
				n++
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("vulnerabilities: %w", err)
			}
		case "cve":
			var c CVE
			if err := dec.Decode(&c); err != nil {
				return fmt.Errorf("cve: %w", err)
			}
			if err := emit(&c, n, fn); err != nil {
				return err
			}
			n++
		case "resultsPerPage", "startIndex", "totalResults", "format", "version", "timestamp":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			single[key] = raw
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			single[key] = raw
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("end of object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	if _, ok := single["id"]; ok && !sawList {
		b, _ := json.Marshal(single)
		var c CVE
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("cve record: %w", err)
		}
		return emit(&c, 0, fn)
	}
	if n == 0 && !sawList {
		return fmt.Errorf("%w: no id, cve or vulnerabilities key", ErrFormat)
	}
	return nil
}

func emit(c *CVE, n int, fn func(*vuln.Advisory) error) error {
	a, err := Convert(c)
	if err != nil {
		return fmt.Errorf("record %d (%s): %w", n, c.ID, err)
	}
	return fn(a)
}

// Convert validates one record and maps it to an advisory whose products
// are the vulnerable CPE criteria (with NVD's version bounds) and the
// CNA-provided affected data NVD now republishes.
func Convert(c *CVE) (*vuln.Advisory, error) {
	if !cveRe.MatchString(c.ID) {
		return nil, fmt.Errorf("id %q is not a CVE id", c.ID)
	}
	if !statuses[c.VulnStatus] {
		return nil, fmt.Errorf("vulnStatus %q is not a known NVD status", c.VulnStatus)
	}
	pub, err := cve5.ParseTime(c.Published)
	if err != nil || pub.IsZero() {
		return nil, fmt.Errorf("published: bad date %q", c.Published)
	}
	mod, err := cve5.ParseTime(c.LastModified)
	if err != nil {
		return nil, fmt.Errorf("lastModified: %w", err)
	}
	a := &vuln.Advisory{ID: c.ID, Source: vuln.SourceNVD, Publisher: c.SourceIdentifier, Published: pub, Updated: mod,
		Status: c.VulnStatus, URL: "https://nvd.nist.gov/vuln/detail/" + c.ID}
	v := vuln.Vuln{CVE: c.ID, Published: pub}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			v.Description = d.Value
			break
		}
	}
	for name, ms := range map[string][]metric{"cvssMetricV40": c.Metrics.V40, "cvssMetricV31": c.Metrics.V31, "cvssMetricV30": c.Metrics.V30, "cvssMetricV2": c.Metrics.V2} {
		for i, m := range ms {
			if !metricTypes[m.Type] {
				return nil, fmt.Errorf("metrics.%s[%d].type %q is not Primary or Secondary", name, i, m.Type)
			}
			if m.CVSSData.BaseScore == nil || *m.CVSSData.BaseScore < 0 || *m.CVSSData.BaseScore > 10 {
				return nil, fmt.Errorf("metrics.%s[%d].cvssData.baseScore missing or out of 0..10", name, i)
			}
			if m.CVSSData.VectorString == "" {
				return nil, fmt.Errorf("metrics.%s[%d].cvssData.vectorString is empty", name, i)
			}
			v.Scores = append(v.Scores, vuln.Score{Source: m.Source, Version: m.CVSSData.Version, Score: *m.CVSSData.BaseScore, Vector: m.CVSSData.VectorString})
		}
	}
	sortScores(v.Scores)
	for i, s := range c.Metrics.SSVC {
		ss, err := cve5.ParseSSVC(s.SSVCData)
		if err != nil {
			return nil, fmt.Errorf("metrics.ssvcV203[%d]: %w", i, err)
		}
		v.SSVC = ss
	}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") && !contains(v.CWE, d.Value) {
				v.CWE = append(v.CWE, d.Value)
			}
		}
	}
	for ci, cfg := range c.Configurations {
		for ni, node := range cfg.Nodes {
			if node.Negate {
				continue // "not running on": nothing to match positively
			}
			for mi, m := range node.CPEMatch {
				w, err := cpe.Parse(m.Criteria)
				if err != nil {
					return nil, fmt.Errorf("configurations[%d].nodes[%d].cpeMatch[%d]: %w", ci, ni, mi, err)
				}
				if !m.Vulnerable {
					continue
				}
				a.Products = append(a.Products, vuln.Product{
					ID: m.Criteria + "#" + m.MatchCriteriaID, Vendor: w.Unescaped(cpe.Vendor),
					Name: vuln.CPEProductName(w.Unescaped(cpe.Product)), CPE: m.Criteria,
					Range: rangeOf(m, w), RangeKind: "range", Status: "known_affected",
				})
			}
		}
	}
	for i, af := range c.Affected {
		ps, err := cve5.AffectedProducts(af.AffectedData, fmt.Sprintf("affected/%d", i))
		if err != nil {
			return nil, fmt.Errorf("affected[%d]: %w", i, err)
		}
		a.Products = append(a.Products, ps...)
	}
	a.Vulns = []vuln.Vuln{v}
	return a, nil
}

// rangeOf renders NVD bounds as a vers-like range, or the CPE's version.
func rangeOf(m Match, w cpe.WFN) string {
	var parts []string
	if m.VersionStartIncluding != "" {
		parts = append(parts, ">="+m.VersionStartIncluding)
	}
	if m.VersionStartExcluding != "" {
		parts = append(parts, ">"+m.VersionStartExcluding)
	}
	if m.VersionEndIncluding != "" {
		parts = append(parts, "<="+m.VersionEndIncluding)
	}
	if m.VersionEndExcluding != "" {
		parts = append(parts, "<"+m.VersionEndExcluding)
	}
	if len(parts) > 0 {
		return strings.Join(parts, "|")
	}
	v := w.Unescaped(cpe.Version)
	if v == cpe.Any || v == cpe.NA {
		return "vers:all/*"
	}
	if u := w.Unescaped(cpe.Update); u != cpe.Any && u != cpe.NA {
		return v + " " + u
	}
	return v
}

func sortScores(s []vuln.Score) {
	// Map iteration order is random; keep a stable order for golden files.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func less(a, b vuln.Score) bool {
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	return a.Source < b.Source
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
