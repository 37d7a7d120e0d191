// Package cve5 reads CVE JSON 5.x records (cvelistV5, cisagov/vulnrichment)
// into vuln advisories: the CNA's affected[] ranges, metrics, CWEs,
// solutions, and CISA's ADP container (SSVC inputs and added CPEs).
package cve5

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/cpe"
	"github.com/wardiomt/ward/internal/vuln"
)

// Record is the subset of a CVE 5 record Ward reads.
type Record struct {
	DataType    string `json:"dataType"`
	DataVersion string `json:"dataVersion"`
	CVEMetadata struct {
		CVEID         string `json:"cveId"`
		State         string `json:"state"`
		DatePublished string `json:"datePublished"`
		DateUpdated   string `json:"dateUpdated"`
		AssignerShort string `json:"assignerShortName"`
	} `json:"cveMetadata"`
	Containers struct {
		CNA Container   `json:"cna"`
		ADP []Container `json:"adp"`
	} `json:"containers"`
}

// Container is a CNA or ADP container.
type Container struct {
	Title        string     `json:"title"`
	Affected     []Affected `json:"affected"`
	Descriptions []LangText `json:"descriptions"`
	Solutions    []LangText `json:"solutions"`
	Workarounds  []LangText `json:"workarounds"`
	ProblemTypes []struct {
		Descriptions []struct {
			CWEID       string `json:"cweId"`
			Description string `json:"description"`
		} `json:"descriptions"`
	} `json:"problemTypes"`
	Metrics          []Metric `json:"metrics"`
	ProviderMetadata struct {
		ShortName string `json:"shortName"`
	} `json:"providerMetadata"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
}

// LangText is a text with a language.
type LangText struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

// Affected is one affected[] entry; NVD API 2.0 embeds the same shape.
type Affected struct {
	Vendor        string    `json:"vendor"`
	Product       string    `json:"product"`
	CPEs          []string  `json:"cpes"`
	DefaultStatus string    `json:"defaultStatus"`
	Versions      []Version `json:"versions"`
}

// Version is one versions[] entry of an affected[] entry.
type Version struct {
	Version         string `json:"version"`
	Status          string `json:"status"`
	LessThan        string `json:"lessThan"`
	LessThanOrEqual string `json:"lessThanOrEqual"`
	VersionType     string `json:"versionType"`
}

// Metric is one metrics[] entry.
type Metric struct {
	Format string    `json:"format"`
	V31    *cvssData `json:"cvssV3_1"`
	V30    *cvssData `json:"cvssV3_0"`
	V40    *cvssData `json:"cvssV4_0"`
	V20    *cvssData `json:"cvssV2_0"`
	Other  *struct {
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
	} `json:"other"`
}

type cvssData struct {
	Version      string  `json:"version"`
	BaseScore    float64 `json:"baseScore"`
	VectorString string  `json:"vectorString"`
}

var (
	cveRe       = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	validStatus = map[string]bool{"affected": true, "unaffected": true, "unknown": true}
	ssvcValues  = map[string]map[string]bool{
		"exploitation":    {"none": true, "poc": true, "active": true, "public poc": true},
		"automatable":     {"yes": true, "no": true},
		"technicalimpact": {"partial": true, "total": true},
	}
)

// Decode reads one CVE 5 record strictly: unknown states, statuses, SSVC
// values or bad dates are errors.
func Decode(r io.Reader) (*vuln.Advisory, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("CVE 5 record: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("CVE 5 record: trailing data after the record")
	}
	return Convert(&rec)
}

// Convert checks a decoded record and turns it into an advisory.
func Convert(rec *Record) (*vuln.Advisory, error) {
	id := rec.CVEMetadata.CVEID
	if rec.DataType != "CVE_RECORD" {
		return nil, fmt.Errorf("dataType %q, want CVE_RECORD", rec.DataType)
	}
	if !strings.HasPrefix(rec.DataVersion, "5.") {
		return nil, fmt.Errorf("%s: dataVersion %q is not 5.x", id, rec.DataVersion)
	}
	if !cveRe.MatchString(id) {
		return nil, fmt.Errorf("cveMetadata.cveId %q is not a CVE id", id)
	}
	switch rec.CVEMetadata.State {
	case "PUBLISHED", "REJECTED":
	default:
		return nil, fmt.Errorf("%s: cveMetadata.state %q is not PUBLISHED or REJECTED", id, rec.CVEMetadata.State)
	}
	pub, err := ParseTime(rec.CVEMetadata.DatePublished)
	if err != nil {
		return nil, fmt.Errorf("%s: cveMetadata.datePublished: %w", id, err)
	}
	upd, err := ParseTime(rec.CVEMetadata.DateUpdated)
	if err != nil {
		return nil, fmt.Errorf("%s: cveMetadata.dateUpdated: %w", id, err)
	}
	a := &vuln.Advisory{ID: id, Source: vuln.SourceCVE5, Title: rec.Containers.CNA.Title,
		Publisher: rec.CVEMetadata.AssignerShort, Published: pub, Updated: upd, Status: rec.CVEMetadata.State,
		URL: "https://www.cve.org/CVERecord?id=" + id}
	v := vuln.Vuln{CVE: id, Title: rec.Containers.CNA.Title, Published: pub, Description: english(rec.Containers.CNA.Descriptions)}
	all := append([]Container{rec.Containers.CNA}, rec.Containers.ADP...)
	for ci, c := range all {
		src := c.ProviderMetadata.ShortName
		prods, err := AffectedProducts(c.Affected, fmt.Sprintf("%s/%d", src, ci))
		if err != nil {
			return nil, fmt.Errorf("%s: container %q: %w", id, src, err)
		}
		a.Products = append(a.Products, prods...)
		for _, pt := range c.ProblemTypes {
			for _, d := range pt.Descriptions {
				if d.CWEID != "" && !contains(v.CWE, d.CWEID) {
					v.CWE = append(v.CWE, d.CWEID)
				}
			}
		}
		for mi, m := range c.Metrics {
			for _, cd := range []*cvssData{m.V40, m.V31, m.V30, m.V20} {
				if cd == nil {
					continue
				}
				if cd.BaseScore < 0 || cd.BaseScore > 10 {
					return nil, fmt.Errorf("%s: container %q metric %d: baseScore %v out of 0..10", id, src, mi, cd.BaseScore)
				}
				v.Scores = append(v.Scores, vuln.Score{Source: src, Version: cd.Version, Score: cd.BaseScore, Vector: cd.VectorString})
			}
			if m.Other != nil && m.Other.Type == "ssvc" {
				s, err := ParseSSVC(m.Other.Content)
				if err != nil {
					return nil, fmt.Errorf("%s: container %q SSVC: %w", id, src, err)
				}
				v.SSVC = s
			}
		}
		for _, s := range c.Solutions {
			if s.Lang == "" || strings.HasPrefix(s.Lang, "en") {
				v.Remediations = append(v.Remediations, vuln.Remediation{Category: "vendor_fix", Text: strings.TrimSpace(s.Value)})
			}
		}
		for _, s := range c.Workarounds {
			if s.Lang == "" || strings.HasPrefix(s.Lang, "en") {
				v.Remediations = append(v.Remediations, vuln.Remediation{Category: "workaround", Text: strings.TrimSpace(s.Value)})
			}
		}
	}
	a.Vulns = []vuln.Vuln{v}
	return a, nil
}

// ParseSSVC reads Vulnrichment's SSVC content: options is a list of
// one-key objects ("Exploitation", "Automatable", "Technical Impact",
// in any capitalization as NVD re-publishes them).
func ParseSSVC(raw json.RawMessage) (*vuln.SSVC, error) {
	var c struct {
		Role    string              `json:"role"`
		Version string              `json:"version"`
		Options []map[string]string `json:"options"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	s := &vuln.SSVC{Role: c.Role, Version: c.Version}
	for _, o := range c.Options {
		for k, val := range o {
			key := strings.ToLower(strings.ReplaceAll(k, " ", ""))
			allowed, ok := ssvcValues[key]
			if !ok {
				return nil, fmt.Errorf("unknown SSVC decision point %q", k)
			}
			lv := strings.ToLower(val)
			if !allowed[lv] {
				return nil, fmt.Errorf("SSVC %s value %q is not one of the defined options", k, val)
			}
			switch key {
			case "exploitation":
				s.Exploitation = lv
			case "automatable":
				s.Automatable = lv
			default:
				s.TechnicalImpact = lv
			}
		}
	}
	return s, nil
}

// AffectedProducts turns affected[] entries into products; prefix keeps
// product IDs unique across containers.
func AffectedProducts(aff []Affected, prefix string) ([]vuln.Product, error) {
	var out []vuln.Product
	for ai, af := range aff {
		if af.DefaultStatus != "" && !validStatus[af.DefaultStatus] {
			return nil, fmt.Errorf("affected[%d]: defaultStatus %q is not affected, unaffected or unknown", ai, af.DefaultStatus)
		}
		for vi, ver := range af.Versions {
			if !validStatus[ver.Status] {
				return nil, fmt.Errorf("affected[%d].versions[%d]: status %q is not affected, unaffected or unknown", ai, vi, ver.Status)
			}
		}
		for _, c := range af.CPEs {
			w, err := cpe.Parse(c)
			if err != nil {
				return nil, fmt.Errorf("affected[%d]: %w", ai, err)
			}
			p := vuln.Product{ID: fmt.Sprintf("%s/%d/cpe", prefix, ai) + c, Vendor: w.Unescaped(cpe.Vendor),
				Name: vuln.CPEProductName(w.Unescaped(cpe.Product)), CPE: c, Range: versionOfCPE(w), RangeKind: "range", Status: "affected"}
			if p.Range != "vers:all/*" || len(af.Versions) == 0 {
				out = append(out, p)
				continue
			}
			// A CPE with any version names the product; the entry's
			// versions say which of its versions are affected.
			for vi, ver := range af.Versions {
				q := p
				q.ID = fmt.Sprintf("%s/%d/%d/cpe", prefix, ai, vi) + c
				q.Range, q.RangeKind = versionRange(ver)
				q.Status = ver.Status
				out = append(out, q)
			}
		}
		if af.Product == "" || strings.EqualFold(af.Product, "n/a") {
			continue
		}
		for vi, ver := range af.Versions {
			p := vuln.Product{ID: fmt.Sprintf("%s/%d/%d", prefix, ai, vi), Vendor: strings.TrimSpace(af.Vendor),
				Name: strings.TrimSpace(af.Product), Status: ver.Status}
			p.Range, p.RangeKind = versionRange(ver)
			out = append(out, p)
		}
		if len(af.Versions) == 0 && af.DefaultStatus == "affected" {
			out = append(out, vuln.Product{ID: fmt.Sprintf("%s/%d", prefix, ai), Vendor: af.Vendor, Name: af.Product,
				Range: "vers:all/*", RangeKind: "range", Status: "affected"})
		}
	}
	return out, nil
}

// versionRange renders one versions[] entry as a range (or a version).
func versionRange(ver Version) (string, string) {
	switch {
	case ver.LessThan != "" && ver.LessThan != "*":
		return lowerBound(ver.Version) + "<" + ver.LessThan, "range"
	case ver.LessThanOrEqual != "" && ver.LessThanOrEqual != "*":
		return lowerBound(ver.Version) + "<=" + ver.LessThanOrEqual, "range"
	case ver.LessThan == "*" || ver.LessThanOrEqual == "*":
		if lowerBound(ver.Version) == "" {
			return "vers:all/*", "range"
		}
		return ">=" + ver.Version, "range"
	case isAll(ver.Version):
		return "vers:all/*", "range"
	}
	return ver.Version, "version"
}

func isAll(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	return l == "*" || l == "all" || l == "all versions" || l == "n/a" || l == ""
}

// lowerBound renders "version" as a lower bound, omitting the "0" and "*"
// placeholders CNAs use for "from the beginning".
func lowerBound(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" || v == "*" || isAll(v) || strings.EqualFold(v, "unspecified") || strings.EqualFold(v, "unknown") || v == "-" {
		return ""
	}
	return ">=" + v + "|"
}

func versionOfCPE(w cpe.WFN) string {
	v := w.Unescaped(cpe.Version)
	if v == cpe.Any || v == cpe.NA || v == "" {
		return "vers:all/*"
	}
	return v
}

func english(ts []LangText) string {
	for _, t := range ts {
		if t.Lang == "" || strings.HasPrefix(t.Lang, "en") {
			return strings.TrimSpace(t.Value)
		}
	}
	return ""
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// ParseTime accepts the timestamp shapes of CVE 5 and NVD (with or without
// zone and fraction).
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", s)
}
