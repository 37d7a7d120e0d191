package assess

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wardiomt/ward/internal/assess/sbom"
	"github.com/wardiomt/ward/internal/cpe"
	"github.com/wardiomt/ward/internal/vuln"
)

// HighEPSS is the EPSS probability from which a component is called out.
const HighEPSS = 0.1

// SBOM component statuses.
const (
	CompVulnerable   = "vulnerable"
	CompNoKnown      = "no known vulnerability"
	CompUnresolvable = "unresolvable"
)

// SBOMResult is the SBOM's components matched against the feeds.
type SBOMResult struct {
	Format       sbom.Format     `json:"format"`
	Spec         string          `json:"spec"`
	Name         string          `json:"name,omitempty"`
	Components   []SBOMComponent `json:"components"`
	Vulnerable   int             `json:"vulnerable"`
	KEV          int             `json:"kev"`       // components with a KEV CVE
	HighEPSS     int             `json:"high_epss"` // components with a CVE of EPSS >= HighEPSS
	Unresolvable int             `json:"unresolvable"`
}

// SBOMComponent is one component with its findings.
type SBOMComponent struct {
	sbom.Component
	Status   string        `json:"status"`
	Reason   string        `json:"reason"`
	Findings []SBOMFinding `json:"findings"`
	KEV      []string      `json:"kev"`
	MaxEPSS  *float64      `json:"max_epss,omitempty"`
}

// SBOMFinding is one advisory that concerns a component.
type SBOMFinding struct {
	Advisory   string          `json:"advisory"`
	Title      string          `json:"title"`
	CVEs       []string        `json:"cves"`
	KEV        []string        `json:"kev"`
	Ransomware bool            `json:"ransomware"`
	EPSS       *float64        `json:"epss,omitempty"`
	MaxCVSS    float64         `json:"max_cvss"`
	Confidence vuln.Confidence `json:"confidence"`
	Reason     string          `json:"reason"`
}

// componentDevice describes a component the way the matcher reads devices:
// the vendor from the supplier, CPE vendor or PURL namespace; the product
// from the CPE product or the name; operating systems also as OS so that
// platform rules (Windows 7, VxWorks) apply.
func componentDevice(i int, c sbom.Component) vuln.Device {
	d := vuln.Device{ID: fmt.Sprintf("sbom-%d", i), Manufacturer: c.Supplier, Model: c.Name, Version: c.Version}
	isOS := c.Type == "operating-system"
	if c.CPE != "" {
		if w, err := cpe.Parse(c.CPE); err == nil {
			if d.Manufacturer == "" && w[cpe.Vendor] != cpe.Any {
				d.Manufacturer = w[cpe.Vendor]
			}
			if w[cpe.Product] != cpe.Any {
				d.Model = vuln.CPEProductName(w[cpe.Product])
			}
			if v := w[cpe.Version]; v != cpe.Any && v != cpe.NA && d.Version == "" {
				d.Version = v
			}
			isOS = isOS || w[cpe.Part] == "o"
		}
	}
	if c.PURL != "" && d.Manufacturer == "" {
		if p, err := sbom.ParsePURL(c.PURL); err == nil {
			d.Manufacturer = p.Namespace
			if d.Version == "" {
				d.Version = p.Version
			}
		}
	}
	name := strings.TrimSpace(c.Name + " " + c.Version)
	if isOS {
		d.OS = name
	}
	d.Components = []vuln.Component{{Name: c.Name, Version: c.Version, CPE: c.CPE}}
	if d.Model != c.Name {
		d.Components = append(d.Components, vuln.Component{Name: d.Model, Version: d.Version})
	}
	return d
}

func (a *Assessor) sbom(ctx context.Context, doc *sbom.Document) (*SBOMResult, error) {
	res := &SBOMResult{Format: doc.Format, Spec: doc.Spec, Name: doc.Name, Components: []SBOMComponent{}}
	devs := make([]vuln.Device, len(doc.Components))
	for i, c := range doc.Components {
		devs[i] = componentDevice(i, c)
	}
	fs, err := a.d.Matcher.Match(ctx, devs)
	if err != nil {
		return nil, fmt.Errorf("match SBOM: %w", err)
	}
	byDev := map[string][]vuln.Finding{}
	var cves []string
	for _, f := range fs {
		if f.Status == vuln.NotAffected {
			continue
		}
		byDev[f.DeviceID] = append(byDev[f.DeviceID], f)
		cves = append(cves, f.CVEs...)
	}
	kev, err := a.d.Provider.KEV(ctx, cves)
	if err != nil {
		return nil, fmt.Errorf("kev: %w", err)
	}
	for i, c := range doc.Components {
		sc := SBOMComponent{Component: c, Findings: []SBOMFinding{}, KEV: []string{}}
		for _, f := range byDev[devs[i].ID] {
			sf := SBOMFinding{Advisory: f.Advisory, Title: f.Title, CVEs: nonNil(f.CVEs), KEV: nonNil(f.KEVCVEs), EPSS: f.EPSS,
				MaxCVSS: f.MaxCVSS(), Confidence: f.Confidence, Reason: f.Reason}
			for _, k := range f.KEVCVEs {
				if strings.EqualFold(kev[k].RansomwareCampaign, "Known") {
					sf.Ransomware = true
				}
			}
			sc.KEV = append(sc.KEV, f.KEVCVEs...)
			if f.EPSS != nil && (sc.MaxEPSS == nil || *f.EPSS > *sc.MaxEPSS) {
				e := *f.EPSS
				sc.MaxEPSS = &e
			}
			sc.Findings = append(sc.Findings, sf)
		}
		slices.Sort(sc.KEV)
		sc.KEV = slices.Compact(sc.KEV)
		_, knownSupplier := a.d.Canon.Manufacturer(c.Supplier)
		switch {
		case len(sc.Findings) > 0:
			sc.Status = CompVulnerable
			sc.Reason = fmt.Sprintf("%d advisories match", len(sc.Findings))
			res.Vulnerable++
			if len(sc.KEV) > 0 {
				res.KEV++
			}
			if sc.MaxEPSS != nil && *sc.MaxEPSS >= HighEPSS {
				res.HighEPSS++
			}
		case c.CPE != "" || c.PURL != "" || (c.Supplier != "" && knownSupplier):
			sc.Status = CompNoKnown
			sc.Reason = "identified (" + identifiers(c, knownSupplier) + "); no advisory in the loaded feeds matches it"
		default:
			sc.Status = CompUnresolvable
			why := []string{"no CPE or PURL"}
			if c.Supplier == "" {
				why = append(why, "no supplier")
			} else {
				why = append(why, "supplier "+c.Supplier+" unknown to Ward")
			}
			if c.Version == "" {
				why = append(why, "no version")
			}
			why = append(why, c.Problems...)
			sc.Reason = "cannot be identified: " + strings.Join(why, "; ") + "; its name matches no advisory or platform rule"
			res.Unresolvable++
		}
		res.Components = append(res.Components, sc)
	}
	return res, nil
}

func identifiers(c sbom.Component, knownSupplier bool) string {
	var s []string
	if c.CPE != "" {
		s = append(s, "CPE")
	}
	if c.PURL != "" {
		s = append(s, "PURL")
	}
	if knownSupplier {
		s = append(s, "supplier")
	}
	return strings.Join(s, ", ")
}
