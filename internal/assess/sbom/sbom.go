// Package sbom reads the component list of a software bill of materials:
// CycloneDX JSON (through github.com/CycloneDX/cyclonedx-go) and SPDX 2.3
// JSON (parsed here, strictly: unknown fields, missing required fields and
// trailing data are errors). It only lists components with their
// identifiers; matching against the feeds is the caller's business.
package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/wardiomt/ward/internal/cpe"
)

// Format names an SBOM format.
type Format string

// Formats.
const (
	CycloneDX Format = "cyclonedx"
	SPDX      Format = "spdx"
)

// ErrMalformed is wrapped by every error about the content of an SBOM.
var ErrMalformed = errors.New("malformed SBOM")

// MaxSize bounds what Parse reads: SBOMs of real devices are a few MB.
const MaxSize = 64 << 20

// Component is one software component with the identifiers matching uses.
type Component struct {
	Ref      string `json:"ref"`                // bom-ref or SPDXID
	Name     string `json:"name"`               // as published
	Version  string `json:"version,omitempty"`  // as published
	Supplier string `json:"supplier,omitempty"` // supplier, manufacturer or author organisation
	Type     string `json:"type,omitempty"`     // CycloneDX type or SPDX primaryPackagePurpose, lower case
	CPE      string `json:"cpe,omitempty"`      // first valid CPE 2.3 name
	PURL     string `json:"purl,omitempty"`
	// Problems lists identifiers that were present but unusable, so that
	// an unresolvable component says why.
	Problems []string `json:"problems,omitempty"`
}

// Document is a parsed SBOM.
type Document struct {
	Format     Format      `json:"format"`
	Spec       string      `json:"spec"` // "CycloneDX 1.6", "SPDX-2.3"
	Name       string      `json:"name,omitempty"`
	Components []Component `json:"components"`
}

// Parse detects the format and reads the components.
func Parse(r io.Reader) (*Document, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read SBOM: %w", err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxSize)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&head); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrMalformed)
	}
	switch {
	case head.BOMFormat == "CycloneDX":
		return parseCycloneDX(b)
	case head.SPDXVersion != "":
		return parseSPDX(b)
	}
	return nil, fmt.Errorf("%w: neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)", ErrMalformed)
}

func parseCycloneDX(b []byte) (*Document, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("%w: CycloneDX: %v", ErrMalformed, err)
	}
	if err := trailing(b); err != nil {
		return nil, fmt.Errorf("%w: CycloneDX: %v", ErrMalformed, err)
	}
	if bom.SpecVersion == 0 {
		return nil, fmt.Errorf("%w: CycloneDX: specVersion missing", ErrMalformed)
	}
	d := &Document{Format: CycloneDX, Spec: "CycloneDX " + bom.SpecVersion.String(), Components: []Component{}}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		d.Name = strings.TrimSpace(bom.Metadata.Component.Name)
	}
	var walk func(cs *[]cdx.Component, path string) error
	walk = func(cs *[]cdx.Component, path string) error {
		if cs == nil {
			return nil
		}
		for i, c := range *cs {
			p := fmt.Sprintf("%s[%d]", path, i)
			if strings.TrimSpace(c.Name) == "" {
				return fmt.Errorf("%w: CycloneDX: %s: component without a name", ErrMalformed, p)
			}
			comp := Component{Ref: c.BOMRef, Name: strings.TrimSpace(c.Name), Version: strings.TrimSpace(c.Version), Type: strings.ToLower(string(c.Type))}
			switch {
			case c.Supplier != nil && c.Supplier.Name != "":
				comp.Supplier = c.Supplier.Name
			case c.Manufacturer != nil && c.Manufacturer.Name != "":
				comp.Supplier = c.Manufacturer.Name
			case c.Publisher != "":
				comp.Supplier = c.Publisher
			case c.Author != "":
				comp.Supplier = c.Author
			}
			comp.Supplier = strings.TrimSpace(comp.Supplier)
			setCPE(&comp, c.CPE)
			setPURL(&comp, c.PackageURL)
			if comp.Ref == "" {
				comp.Ref = p
			}
			d.Components = append(d.Components, comp)
			if err := walk(c.Components, p+".components"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bom.Components, "components"); err != nil {
		return nil, err
	}
	return d, nil
}

// trailing rejects data after the first JSON value.
func trailing(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON document")
	}
	return nil
}

func setCPE(c *Component, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if _, err := cpe.Parse(s); err != nil {
		c.Problems = append(c.Problems, fmt.Sprintf("unusable CPE %q: %v", s, err))
		return
	}
	if c.CPE == "" {
		c.CPE = s
	}
}

func setPURL(c *Component, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if _, err := ParsePURL(s); err != nil {
		c.Problems = append(c.Problems, fmt.Sprintf("unusable PURL %q: %v", s, err))
		return
	}
	if c.PURL == "" {
		c.PURL = s
	}
}
