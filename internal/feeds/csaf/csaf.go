// Package csaf reads CSAF 2.0 advisories (CISA ICSMA/ICSA and vendor
// documents) with github.com/gocsaf/csaf/v3: strict JSON (unknown fields
// and trailing data rejected), the library's Validate, then a flattening of
// the product tree into vuln products that keeps every raw string.
package csaf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"

	"github.com/wardiomt/ward/internal/feeds/cve5"
	"github.com/wardiomt/ward/internal/vuln"
)

// Decode reads and converts one CSAF document.
func Decode(r io.Reader, norm *vuln.Normalizer) (*vuln.Advisory, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	b, err = fixAcknowledgments(b)
	if err != nil {
		return nil, fmt.Errorf("CSAF JSON: %w", err)
	}
	var adv gocsaf.Advisory
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&adv); err != nil {
		return nil, fmt.Errorf("CSAF JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("CSAF JSON: trailing data after the document")
	}
	if err := adv.Validate(); err != nil {
		return nil, fmt.Errorf("CSAF document invalid: %w", err)
	}
	return Convert(&adv, norm)
}

// fixAcknowledgments renames CSAF 2.0's "acknowledgments" (the schema's
// spelling) to "acknowledgements", the JSON tag gocsaf v3.6 uses, so that
// strict decoding can still reject every other unknown field.
func fixAcknowledgments(b []byte) ([]byte, error) {
	if !bytes.Contains(b, []byte(`"acknowledgments"`)) {
		return b, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	rename := func(m map[string]json.RawMessage) {
		if v, ok := m["acknowledgments"]; ok {
			m["acknowledgements"] = v
			delete(m, "acknowledgments")
		}
	}
	if raw, ok := doc["document"]; ok {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("document: %w", err)
		}
		rename(d)
		doc["document"], _ = json.Marshal(d)
	}
	if raw, ok := doc["vulnerabilities"]; ok {
		var vs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, fmt.Errorf("vulnerabilities: %w", err)
		}
		for _, v := range vs {
			rename(v)
		}
		doc["vulnerabilities"], _ = json.Marshal(vs)
	}
	return json.Marshal(doc)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// Convert maps a validated CSAF advisory onto the vuln model.
func Convert(adv *gocsaf.Advisory, norm *vuln.Normalizer) (*vuln.Advisory, error) {
	if norm == nil {
		norm = vuln.NewNormalizer(nil)
	}
	d := adv.Document
	t := d.Tracking
	a := &vuln.Advisory{ID: strings.ToUpper(str((*string)(t.ID))), Source: vuln.SourceCSAF, Title: str(d.Title)}
	if d.Publisher != nil {
		a.Publisher = str(d.Publisher.Name)
	}
	var err error
	if a.Published, err = cve5.ParseTime(str(t.InitialReleaseDate)); err != nil {
		return nil, fmt.Errorf("%s: document.tracking.initial_release_date: %w", a.ID, err)
	}
	if a.Updated, err = cve5.ParseTime(str(t.CurrentReleaseDate)); err != nil {
		return nil, fmt.Errorf("%s: document.tracking.current_release_date: %w", a.ID, err)
	}
	if t.Status != nil {
		a.Status = string(*t.Status)
	}
	for _, ref := range d.References {
		if ref != nil && ref.ReferenceCategory != nil && *ref.ReferenceCategory == string(gocsaf.CSAFReferenceCategorySelf) && a.URL == "" {
			a.URL = str(ref.URL)
		}
	}
	for i, rv := range t.RevisionHistory {
		date, err := cve5.ParseTime(str(rv.Date))
		if err != nil {
			return nil, fmt.Errorf("%s: revision_history[%d].date: %w", a.ID, i, err)
		}
		a.Revisions = append(a.Revisions, vuln.Revision{Date: date, Number: str((*string)(rv.Number)), Summary: str(rv.Summary)})
	}
	if adv.ProductTree != nil {
		walk(adv.ProductTree.Branches, "", "", "", func(p vuln.Product) {
			p.Manufacturer = norm.Manufacturer(p.Vendor)
			p.Name = norm.CleanProductName(p.Vendor, p.Name)
			p.Family = strings.Join(vuln.ModelTokens(p.Name, nil), " ")
			a.Products = append(a.Products, p)
		})
		if adv.ProductTree.FullProductNames != nil {
			for _, fp := range *adv.ProductTree.FullProductNames {
				if fp == nil || fp.ProductID == nil {
					continue
				}
				p := vuln.Product{ID: string(*fp.ProductID), Name: str(fp.Name), Range: "vers:all/*", RangeKind: "range"}
				if fp.ProductIdentificationHelper != nil && fp.ProductIdentificationHelper.CPE != nil {
					p.CPE = string(*fp.ProductIdentificationHelper.CPE)
				}
				a.Products = append(a.Products, p)
			}
		}
	}
	status := map[string]string{}
	for vi, v := range adv.Vulnerabilities {
		if v == nil {
			continue
		}
		x := vuln.Vuln{Title: str(v.Title)}
		if v.CVE != nil {
			x.CVE = string(*v.CVE)
		}
		if v.CWE != nil && v.CWE.ID != nil {
			x.CWE = []string{string(*v.CWE.ID)}
		}
		if v.ReleaseDate != nil {
			if x.Published, err = cve5.ParseTime(*v.ReleaseDate); err != nil {
				return nil, fmt.Errorf("%s: vulnerabilities[%d].release_date: %w", a.ID, vi, err)
			}
		}
		for _, n := range v.Notes {
			if n != nil && n.NoteCategory != nil && (*n.NoteCategory == gocsaf.CSAFNoteCategorySummary || *n.NoteCategory == gocsaf.CSAFNoteCategoryDescription) {
				x.Description = str(n.Text)
				break
			}
		}
		if ps := v.ProductStatus; ps != nil {
			for name, list := range map[string]*gocsaf.Products{"known_affected": ps.KnownAffected, "first_affected": ps.FirstAffected,
				"last_affected": ps.LastAffected, "under_investigation": ps.UnderInvestigation, "fixed": ps.Fixed,
				"first_fixed": ps.FirstFixed, "known_not_affected": ps.KnownNotAffected} {
				if list == nil {
					continue
				}
				for _, id := range *list {
					if id == nil {
						continue
					}
					if strings.HasSuffix(name, "affected") && name != "known_not_affected" {
						x.ProductIDs = append(x.ProductIDs, string(*id))
					}
					if status[string(*id)] == "" || strings.HasSuffix(name, "affected") {
						status[string(*id)] = name
					}
				}
			}
		}
		for _, s := range v.Scores {
			if s == nil || s.CVSS3 == nil {
				continue
			}
			sc := vuln.Score{Source: a.Publisher, Vector: str((*string)(s.CVSS3.VectorString))}
			if s.CVSS3.Version != nil {
				sc.Version = string(*s.CVSS3.Version)
			}
			if s.CVSS3.BaseScore != nil {
				sc.Score = *s.CVSS3.BaseScore
			}
			if sc.Source == "" {
				sc.Source = "csaf"
			}
			x.Scores = append(x.Scores, sc)
		}
		for _, r := range v.Remediations {
			if r == nil {
				continue
			}
			rem := vuln.Remediation{Text: str(r.Details), URL: str(r.URL)}
			if r.Category != nil {
				rem.Category = string(*r.Category)
			}
			if r.ProductIds != nil {
				for _, id := range *r.ProductIds {
					if id != nil {
						rem.ProductIDs = append(rem.ProductIDs, string(*id))
					}
				}
			}
			x.Remediations = append(x.Remediations, rem)
		}
		a.Vulns = append(a.Vulns, x)
	}
	for i := range a.Products {
		a.Products[i].Status = status[a.Products[i].ID]
	}
	return a, nil
}

// walk flattens vendor -> product_name -> product_version[_range] branches.
// Sibling branches of one product name become sibling products with the
// same Name, which the matcher groups.
func walk(bs gocsaf.Branches, vendor, name, family string, fn func(vuln.Product)) {
	for _, b := range bs {
		if b == nil || b.Category == nil {
			continue
		}
		v, n := vendor, name
		bn := str(b.Name)
		var rangeKind string
		switch *b.Category {
		case gocsaf.CSAFBranchCategoryVendor:
			v = bn
		case gocsaf.CSAFBranchCategoryProductName, gocsaf.CSAFBranchCategoryProductFamily:
			if n != "" {
				n += " " + bn
			} else {
				n = bn
			}
		case gocsaf.CSAFBranchCategoryProductVersion:
			rangeKind = "version"
		case gocsaf.CSAFBranchCategoryProductVersionRange:
			rangeKind = "range"
		}
		if b.Product != nil && b.Product.ProductID != nil {
			p := vuln.Product{ID: string(*b.Product.ProductID), Vendor: v, Name: n, RangeKind: rangeKind}
			if rangeKind != "" {
				p.Range = bn
			} else {
				p.Range, p.RangeKind = "vers:all/*", "range"
			}
			if p.Name == "" {
				p.Name = str(b.Product.Name)
			}
			if h := b.Product.ProductIdentificationHelper; h != nil && h.CPE != nil {
				p.CPE = string(*h.CPE)
			}
			fn(p)
		}
		walk(b.Branches, v, n, family, fn)
	}
}
