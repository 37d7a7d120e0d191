package risk

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

// VulnDevices describes inventory devices the way the vulnerability matcher
// reads them (vuln.FromInventory, as the findings API and `ward vulns` do,
// so the risk view and the findings agree). Devices without a manufacturer,
// model, OS or software are left out: nothing could match them.
func VulnDevices(devs []*inventory.Device) []vuln.Device {
	out := make([]vuln.Device, 0, len(devs))
	for _, d := range devs {
		v := vuln.FromInventory(d)
		if v.Manufacturer == "" && v.Model == "" && v.OS == "" && len(v.Components) == 0 {
			continue
		}
		out = append(out, v)
	}
	return out
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
