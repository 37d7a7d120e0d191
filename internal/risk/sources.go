package risk

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

// VulnDevices describes inventory devices the way the vulnerability matcher
// reads them. Devices without a manufacturer, model, OS or software are
// left out: nothing could match them.
func VulnDevices(devs []*inventory.Device) []vuln.Device {
	out := make([]vuln.Device, 0, len(devs))
	for _, d := range devs {
		v := vuln.Device{ID: d.ID, Manufacturer: d.Attr(fingerprint.Manufacturer), Model: d.Attr(fingerprint.Model),
			Version: d.Attr(fingerprint.Version), OS: d.Attr(fingerprint.OS), Type: d.Attr(fingerprint.DeviceType)}
		if sw := d.Attr(fingerprint.Software); sw != "" {
			name, ver := splitSoftware(sw)
			v.Components = append(v.Components, vuln.Component{Name: name, Version: ver})
		}
		if v.Manufacturer == "" && v.Model == "" && v.OS == "" && len(v.Components) == 0 {
			continue
		}
		out = append(out, v)
	}
	return out
}

// splitSoftware cuts "OFFIS DCMTK 3.6.7" into name and a trailing version.
func splitSoftware(s string) (string, string) {
	f := strings.Fields(s)
	if n := len(f); n > 1 && strings.IndexFunc(f[n-1], func(r rune) bool { return r >= '0' && r <= '9' }) == 0 {
		return strings.Join(f[:n-1], " "), strings.TrimPrefix(strings.TrimPrefix(f[n-1], "v"), "V")
	}
	return s, ""
}

// Texts reads the descriptions, CWEs and CPEs of the findings' advisories
// from p, for the service map.
func Texts(ctx context.Context, p vuln.Provider, fs []vuln.Finding) (map[string]FindingText, error) {
	want := map[string]bool{}
	for _, f := range fs {
		want[f.Advisory] = true
	}
	out := map[string]FindingText{}
	err := p.Advisories(ctx, func(a *vuln.Advisory) error {
		if !want[a.ID] {
			return nil
		}
		var b strings.Builder
		ft := out[a.ID]
		for _, v := range a.Vulns {
			b.WriteString(v.Title + "\n" + v.Description + "\n")
			for _, c := range v.CWE {
				if !slices.Contains(ft.CWE, c) {
					ft.CWE = append(ft.CWE, c)
				}
			}
		}
		for _, pr := range a.Products {
			if pr.CPE != "" && !slices.Contains(ft.CPEs, pr.CPE) {
				ft.CPEs = append(ft.CPEs, pr.CPE)
			}
		}
		ft.Text += b.String()
		out[a.ID] = ft
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advisory texts: %w", err)
	}
	return out, nil
}

// EPSS fetches EPSS scores with percentiles for the findings' CVEs.
func EPSS(ctx context.Context, p vuln.Provider, fs []vuln.Finding) (map[string]vuln.EPSSScore, error) {
	var cves []string
	seen := map[string]bool{}
	for _, f := range fs {
		for _, c := range f.CVEs {
			if !seen[c] {
				seen[c] = true
				cves = append(cves, c)
			}
		}
	}
	if len(cves) == 0 {
		return map[string]vuln.EPSSScore{}, nil
	}
	slices.Sort(cves)
	m, err := p.EPSS(ctx, cves)
	if err != nil {
		return nil, fmt.Errorf("EPSS: %w", err)
	}
	return m, nil
}
