package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/demo"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/sensor"
)

// TestDemoStack serves the bundled demo capture with the bundled feed
// snapshot and the risk engine, as `ward demo` does.
func TestDemoStack(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the demo capture")
	}
	ctx := context.Background()
	d := dbtest.SQLite(t)
	st, err := NewStack(ctx, d, StackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Auth.EnsureOrg(ctx, "t", demo.Org, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Auth.CreateSite(ctx, "t", demo.Org, demo.Site, ""); err != nil {
		t.Fatal(err)
	}
	tok, _, err := st.Auth.CreateToken(ctx, "t", demo.Org, auth.Viewer, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pcap, err := demo.WriteCapture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var col observe.Collector
	if _, err := sensor.ReadFiles(ctx, []string{pcap}, decode.DefaultConfig(), &col, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(col.Obs); i += 5000 {
		if _, err := st.Inventory.Ingest(ctx, demo.Site, col.Obs[i:min(i+5000, len(col.Obs))]); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Handler(Config{API: st.API, DB: d})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string, v any) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if v != nil && resp.StatusCode == 200 {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		if resp.StatusCode != 200 {
			t.Logf("%s: %d %s", path, resp.StatusCode, b)
		}
		return resp.StatusCode
	}
	// Two earlier days of history, as a server running for a while keeps.
	rs, err := risk.OpenStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, v := range []float64{120, 90.5} {
		if err := rs.RecordRisk(ctx, now.AddDate(0, 0, i-2), map[string]risk.DayRisk{demo.Site: {OpenRisk: v, Items: 9}}); err != nil {
			t.Fatal(err)
		}
	}
	var dash struct {
		DevicesTotal  int            `json:"devices_total"`
		RiskTiers     map[string]int `json:"risk_tiers"`
		RiskAvailable bool           `json:"risk_available"`
		RiskTrend     []struct {
			Date     string  `json:"date"`
			OpenRisk float64 `json:"open_risk"`
		} `json:"risk_trend"`
	}
	if c := get("/api/v1/dashboard", &dash); c != 200 || dash.DevicesTotal < 50 || !dash.RiskAvailable {
		t.Fatalf("dashboard %d %+v", c, dash)
	}
	if tr := dash.RiskTrend; len(tr) != 3 || tr[0].OpenRisk != 120 || tr[1].OpenRisk != 90.5 || tr[2].Date != now.Format(time.DateOnly) || tr[2].OpenRisk <= 0 {
		t.Fatalf("risk trend %+v, want the two recorded days then today's open risk", tr)
	}
	if hist, err := rs.RiskHistory(ctx, []string{demo.Site}, now); err != nil || len(hist) != 1 || hist[0].OpenRisk != dash.RiskTrend[2].OpenRisk {
		t.Fatalf("today's assessment not recorded: %+v %v (trend says %v)", hist, err, dash.RiskTrend[2].OpenRisk)
	}
	tiered := 0
	for _, n := range dash.RiskTiers {
		tiered += n
	}
	var risks struct {
		Total int `json:"total"`
		Items []struct {
			DeviceID string `json:"device_id"`
			Decision struct {
				PriorityName string `json:"priority_name"`
			} `json:"decision"`
		} `json:"items"`
	}
	if c := get("/api/v1/risks", &risks); c != 200 || risks.Total == 0 || risks.Total != tiered {
		t.Fatalf("risks %d: %d items, dashboard tiers count %d", c, risks.Total, tiered)
	}
	tier := risks.Items[0].Decision.PriorityName
	var one struct{ Total int }
	if c := get("/api/v1/risks?tier="+strings.ToLower(tier), &one); c != 200 || one.Total == 0 || one.Total > risks.Total {
		t.Fatalf("risks?tier=%s: %d %+v", tier, c, one)
	}
	var page struct {
		Total, Limit, Offset int
		Items                []json.RawMessage
	}
	if c := get("/api/v1/risks?limit=1&offset=1", &page); c != 200 || page.Total != risks.Total || len(page.Items) != 1 || page.Offset != 1 {
		t.Fatalf("risks page: %d total %d items %d", c, page.Total, len(page.Items))
	}
	if c := get("/api/v1/risks?limit=0", nil); c != 400 {
		t.Fatalf("bad limit: %d", c)
	}
	var sites struct {
		Items []struct {
			ID      string `json:"id"`
			Devices int    `json:"devices"`
		}
	}
	if c := get("/api/v1/sites", &sites); c != 200 || len(sites.Items) != 1 || sites.Items[0].Devices != dash.DevicesTotal {
		t.Fatalf("sites: %d %+v", c, sites)
	}
	if c := get("/api/v1/risks?tier=urgent", nil); c != 400 {
		t.Fatalf("bad tier: %d", c)
	}
	if c := get("/api/v1/risks?device_id="+risks.Items[0].DeviceID, &one); c != 200 || one.Total == 0 {
		t.Fatalf("risks by device: %d %+v", c, one)
	}
	var plan struct {
		TotalRisk float64           `json:"total_risk"`
		Actions   []json.RawMessage `json:"actions"`
	}
	if c := get("/api/v1/plan", &plan); c != 200 || len(plan.Actions) == 0 || plan.TotalRisk <= 0 {
		t.Fatalf("plan %d %+v", c, plan)
	}
	var findings struct{ Total int }
	if c := get("/api/v1/findings?kev=true", &findings); c != 200 {
		t.Fatalf("findings %d", c)
	}
	var fs struct{ Origin struct{ Kind string } }
	if c := get("/api/v1/feeds/status", &fs); c != 200 || fs.Origin.Kind != "database" {
		t.Fatalf("feeds %d %+v", c, fs)
	}
}
