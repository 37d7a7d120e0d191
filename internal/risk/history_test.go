package risk

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

func TestSiteRisk(t *testing.T) {
	items := []Item{
		{DeviceID: "a", Residual: Residual{Score: 10.04}},
		{DeviceID: "a", Residual: Residual{Score: 5}},
		{DeviceID: "b", Residual: Residual{Score: 2.5}},
		{DeviceID: "gone", Residual: Residual{Score: 99}}, // device of no requested site
	}
	got := SiteRisk(items, map[string]string{"a": "north", "b": "south"}, []string{"north", "south", "east"})
	want := map[string]DayRisk{"north": {OpenRisk: 15, Items: 2}, "south": {OpenRisk: 2.5, Items: 1}, "east": {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("site risk (-want +got):\n%s", diff)
	}
}

// TestRiskHistory: a day keeps its latest figure; several sites sum per
// day, a site not assessed on a day counts with its latest earlier figure;
// days before since are left out; both databases agree.
func TestRiskHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := OpenStore(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		day := func(n int, h int) time.Time { return time.Date(2026, 11, n, h, 0, 0, 0, time.UTC) }
		rec := func(at time.Time, m map[string]DayRisk) {
			t.Helper()
			if err := s.RecordRisk(ctx, at, m); err != nil {
				t.Fatal(err)
			}
		}
		rec(day(20, 9), map[string]DayRisk{"north": {OpenRisk: 40, Items: 4}, "south": {OpenRisk: 10, Items: 1}})
		rec(day(21, 9), map[string]DayRisk{"north": {OpenRisk: 35, Items: 4}})
		rec(day(21, 17), map[string]DayRisk{"north": {OpenRisk: 30.5, Items: 3}}) // the day's latest wins
		rec(day(22, 9), map[string]DayRisk{"south": {OpenRisk: 0, Items: 0}})
		rec(day(22, 9), map[string]DayRisk{"elsewhere": {OpenRisk: 1000, Items: 9}}) // another tenant's site
		got, err := s.RiskHistory(ctx, []string{"north", "south"}, day(19, 0))
		if err != nil {
			t.Fatal(err)
		}
		want := []DayRisk{
			{Day: "2026-11-20", OpenRisk: 50, Items: 5},
			{Day: "2026-11-21", OpenRisk: 40.5, Items: 4},
			{Day: "2026-11-22", OpenRisk: 30.5, Items: 3},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		got, err = s.RiskHistory(ctx, []string{"north", "south"}, day(21, 0))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[1:], got); diff != "" {
			t.Errorf("history since the 21st (-want +got):\n%s", diff)
		}
		if got, err := s.RiskHistory(ctx, nil, day(1, 0)); err != nil || len(got) != 0 {
			t.Errorf("no sites: %v %v", got, err)
		}
	})
}
