package risk

import (
	"testing"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

// TestPlanGolden pins the JSON contract of items and plans (docs/risk.md).
func TestPlanGolden(t *testing.T) {
	e := mustEngine(t)
	in := imagingSite()
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "imaging_site", struct {
		Items []Item `json:"items"`
		Plan  *Plan  `json:"plan"`
	}{items, plan})
}

func TestSiteOverrideSoleMR(t *testing.T) {
	mr := func(id string) *inventory.Device {
		return mkDev(devSpec{id: id, mfr: "Siemens Healthineers", model: "MAGNETOM Vida", typ: "mr", ip: "10.0.8.60", subnet: "10.0.8.0/24",
			services: map[string][]string{"tcp/104": {"10.0.4.11"}}})
	}
	in := Input{Devices: []*inventory.Device{mr("MR-1")}, Findings: []vuln.Finding{rdpFinding("MR-1")}, At: at}
	base, err := mustEngine(t).Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	yes := true
	cfg.Overrides = []Override{{Model: "magnetom vida", Sole: &yes, Note: "the only MR in the hospital"}}
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	over, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	b, o := base[0], over[0]
	if !o.Impact.SinglePoint || o.Impact.Overrides[0] != "the only MR in the hospital" {
		t.Errorf("override not applied: %+v", o.Impact)
	}
	if !(o.Score > b.Score) || priorityRank[o.Decision.HumanImpact] < priorityRank[b.Decision.HumanImpact] {
		t.Errorf("sole MR: score %.1f (HI %s) vs %.1f (HI %s); want higher", o.Score, o.Decision.HumanImpact, b.Score, b.Decision.HumanImpact)
	}
}

func BenchmarkAssessAndPlan(b *testing.B) {
	e := mustEngine(b)
	in := imagingSite()
	for i := range 200 {
		d := *in.Devices[i%2]
		d.ID = d.ID + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		in.Devices = append(in.Devices, &d)
		in.Findings = append(in.Findings, eternalBlue(d.ID), rdpFinding(d.ID))
	}
	b.ReportAllocs()
	for b.Loop() {
		items, err := e.Assess(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Plan(in, items); err != nil {
			b.Fatal(err)
		}
	}
}
