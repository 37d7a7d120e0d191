// Package kev reads CISA's Known Exploited Vulnerabilities catalog JSON.
package kev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// Catalog is the catalog header.
type Catalog struct {
	Title          string    `json:"title"`
	CatalogVersion string    `json:"catalogVersion"`
	DateReleased   time.Time `json:"dateReleased"`
	Count          int       `json:"count"`
}

type entry struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// Decode streams the catalog: header fields, then each entry to fn. The
// entry count must equal the header's count.
func Decode(r io.Reader, fn func(vuln.KEVEntry) error) (Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return c, fmt.Errorf("KEV catalog: not a JSON object (%v)", err)
	}
	n := 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return c, fmt.Errorf("KEV catalog: %w", err)
		}
		switch kt {
		case "title":
			err = dec.Decode(&c.Title)
		case "catalogVersion":
			err = dec.Decode(&c.CatalogVersion)
		case "dateReleased":
			err = dec.Decode(&c.DateReleased)
		case "count":
			err = dec.Decode(&c.Count)
		case "vulnerabilities":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return c, errors.New("KEV catalog: vulnerabilities is not an array")
			}
			for dec.More() {
				var e entry
				if err := dec.Decode(&e); err != nil {
					return c, fmt.Errorf("KEV vulnerabilities[%d]: %w", n, err)
				}
				ke, err := convert(e)
				if err != nil {
					return c, fmt.Errorf("KEV vulnerabilities[%d] (%s): %w", n, e.CVEID, err)
				}
				if err := fn(ke); err != nil {
					return c, err
				}
				n++
			}
			_, err = dec.Token()
		default:
			return c, fmt.Errorf("KEV catalog: unknown field %v", kt)
		}
		if err != nil {
			return c, fmt.Errorf("KEV catalog field %v: %w", kt, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return c, fmt.Errorf("KEV catalog: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return c, errors.New("KEV catalog: trailing data")
	}
	if c.CatalogVersion == "" || c.DateReleased.IsZero() {
		return c, errors.New("KEV catalog: catalogVersion or dateReleased missing")
	}
	if c.Count != n {
		return c, fmt.Errorf("KEV catalog: count says %d entries, file has %d (truncated?)", c.Count, n)
	}
	return c, nil
}

func convert(e entry) (vuln.KEVEntry, error) {
	k := vuln.KEVEntry{CVE: e.CVEID, VendorProject: e.VendorProject, Product: e.Product, Name: e.VulnerabilityName,
		RequiredAction: e.RequiredAction, CWEs: e.CWEs}
	if !cveRe.MatchString(e.CVEID) {
		return k, fmt.Errorf("cveID %q is not a CVE id", e.CVEID)
	}
	var err error
	if k.DateAdded, err = time.Parse("2006-01-02", e.DateAdded); err != nil {
		return k, fmt.Errorf("dateAdded %q: want YYYY-MM-DD", e.DateAdded)
	}
	if k.DueDate, err = time.Parse("2006-01-02", e.DueDate); err != nil {
		return k, fmt.Errorf("dueDate %q: want YYYY-MM-DD", e.DueDate)
	}
	switch strings.TrimSpace(e.KnownRansomwareCampaignUse) {
	case "Known", "Unknown":
		k.RansomwareCampaign = strings.TrimSpace(e.KnownRansomwareCampaignUse)
	default:
		return k, fmt.Errorf("knownRansomwareCampaignUse %q is not Known or Unknown", e.KnownRansomwareCampaignUse)
	}
	return k, nil
}
