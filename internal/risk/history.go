package risk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// DayRisk is one day of a site's (or several sites') open risk: the sum of
// the residual scores of its findings, as the plan counts it, when it was
// last assessed that day.
type DayRisk struct {
	Day      string  `json:"date"` // YYYY-MM-DD, UTC
	OpenRisk float64 `json:"open_risk"`
	Items    int     `json:"items"`
}

// SiteRisk splits assessed items by the site of their device and sums
// their residual scores; sites with devices but no findings count as 0.
func SiteRisk(items []Item, siteOf map[string]string, sites []string) map[string]DayRisk {
	out := make(map[string]DayRisk, len(sites))
	for _, s := range sites {
		out[s] = DayRisk{}
	}
	for _, it := range items {
		s, ok := siteOf[it.DeviceID]
		if !ok {
			continue
		}
		r := out[s]
		r.OpenRisk += it.Residual.Score
		r.Items++
		out[s] = r
	}
	for s, r := range out {
		r.OpenRisk = round1(r.OpenRisk)
		out[s] = r
	}
	return out
}

// RecordRisk stores each site's open risk for the day of at, replacing an
// earlier figure of the same day: the day keeps its latest assessment.
func (s *Store) RecordRisk(ctx context.Context, at time.Time, bySite map[string]DayRisk) error {
	if len(bySite) == 0 {
		return nil
	}
	day := at.UTC().Format(time.DateOnly)
	sites := make([]string, 0, len(bySite))
	for site := range bySite {
		sites = append(sites, site)
	}
	slices.Sort(sites) // one lock order for concurrent writers
	var sb strings.Builder
	sb.WriteString(`INSERT INTO risk_history(site, day, open_risk, items) VALUES `)
	args := make([]any, 0, 4*len(sites))
	for i, site := range sites {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?)")
		r := bySite[site]
		args = append(args, site, day, r.OpenRisk, r.Items)
	}
	sb.WriteString(` ON CONFLICT (site, day) DO UPDATE SET open_risk = excluded.open_risk, items = excluded.items`)
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(sb.String()), args...); err != nil {
		return fmt.Errorf("record risk history: %w", err)
	}
	return nil
}

// RiskHistory returns the open risk of sites summed per day, oldest first,
// for the days on or after since. A day on which some of the sites were
// not assessed carries their latest earlier figure forward, so a trend
// over several sites does not dip because one dashboard showed only one.
func (s *Store) RiskHistory(ctx context.Context, sites []string, since time.Time) ([]DayRisk, error) {
	if len(sites) == 0 {
		return []DayRisk{}, nil
	}
	q := `SELECT site, day, open_risk, items FROM risk_history WHERE site IN (?` + strings.Repeat(", ?", len(sites)-1) + `) ORDER BY day, site`
	args := make([]any, len(sites))
	for i, site := range sites {
		args[i] = site
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("risk history: %w", err)
	}
	defer rows.Close()
	from := since.UTC().Format(time.DateOnly)
	latest := map[string]DayRisk{} // per site, the last figure seen so far
	out := []DayRisk{}
	flush := func(day string) {
		if day == "" || day < from {
			return
		}
		sum := DayRisk{Day: day}
		for _, r := range latest {
			sum.OpenRisk += r.OpenRisk
			sum.Items += r.Items
		}
		sum.OpenRisk = math.Round(sum.OpenRisk*10) / 10
		out = append(out, sum)
	}
	day := ""
	for rows.Next() {
		var site, d string
		var r DayRisk
		if err := rows.Scan(&site, &d, &r.OpenRisk, &r.Items); err != nil {
			return nil, fmt.Errorf("risk history: %w", err)
		}
		if d != day {
			flush(day)
			day = d
		}
		latest[site] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("risk history: %w", err)
	}
	flush(day)
	return out, nil
}
