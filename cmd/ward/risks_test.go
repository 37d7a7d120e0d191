package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestRisksPlanControlsDemo ingests the simulated hospital into a temporary
// database, ranks its risks against the bundled snapshot, plans, applies
// one proposed action and checks that exactly its findings got lower.
func TestRisksPlanControlsDemo(t *testing.T) {
	pcap := filepath.Join(testutil.RepoRoot(t), "testdata", "demo", "hospital-demo.pcap")
	dbPath := filepath.Join(t.TempDir(), "ward.db")
	runWard(t, "ingest", "--db", dbPath, pcap)
	// The demo covers two hours; count a service unseen for an hour as unused.
	obs := []string{"--db", dbPath, "--min-observation", "1h"}

	risks := func() RisksReport {
		t.Helper()
		var r RisksReport
		out := stdoutOf(t, append([]string{"risks", "--json"}, obs...)...)
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("risks --json: %v\n%s", err, out)
		}
		return r
	}
	r := risks()
	if r.Devices < 50 || len(r.Items) < 10 {
		t.Fatalf("%d items on %d devices; the demo hospital has dozens of vulnerable devices", len(r.Items), r.Devices)
	}
	for i, it := range r.Items {
		if !strings.HasPrefix(it.Decision.Vector, "SSVCv2/E:") || it.Decision.PriorityName == "" || len(it.Explanation) < 7 {
			t.Errorf("%s: decision %+v with %d explanations", it.ID, it.Decision, len(it.Explanation))
		}
		if i > 0 && risk.Less(&r.Items[i], &r.Items[i-1]) {
			t.Errorf("items out of order at %d: %s before %s", i, r.Items[i-1].ID, it.ID)
		}
	}

	var plan risk.Plan
	if err := json.Unmarshal([]byte(stdoutOf(t, append([]string{"plan", "--json"}, obs...)...)), &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) == 0 || plan.TotalRisk <= 0 || !strings.Contains(plan.Summary, "% of the current risk") {
		t.Fatalf("plan: %d steps, total %.1f, %q", len(plan.Steps), plan.TotalRisk, plan.Summary)
	}
	if last := plan.Steps[len(plan.Steps)-1]; last.CumulativePercent > 100 || last.CumulativeRemoved > plan.TotalRisk+0.05 {
		t.Errorf("plan removes %.1f of %.1f points (%.1f %%)", last.CumulativeRemoved, plan.TotalRisk, last.CumulativePercent)
	}
	var pick *risk.Action
	kinds := map[string]int{}
	for i := range plan.Actions {
		a := &plan.Actions[i]
		kinds[a.Kind]++
		if pick == nil && (a.Kind == risk.KindRestrict || a.Kind == risk.KindDisable) {
			pick = a
		}
	}
	if kinds[risk.KindDisable] == 0 || kinds[risk.KindRestrict] == 0 || kinds[risk.KindFix] == 0 {
		t.Errorf("action kinds %v: want service shutdowns, access lists and fixes", kinds)
	}
	if last := plan.Actions[len(plan.Steps)-1].Kind; last != risk.KindSegment && last != risk.KindReplace && kinds[risk.KindSegment]+kinds[risk.KindReplace] > 0 {
		t.Errorf("last-resort actions are not last: final step is %s", last)
	}
	md := runWard(t, append([]string{"plan", "--md"}, obs...)...)
	if !strings.Contains(md, "# Remediation plan") || !strings.Contains(md, "| 1 |") {
		t.Errorf("plan --md:\n%.500s", md)
	}

	before := map[string]float64{}
	for _, it := range r.Items {
		before[it.ID] = it.Residual.Score
	}
	out := runWard(t, "controls", "apply", "--db", dbPath, "--min-observation", "1h", "--note", "CHG-42", pick.ID)
	if !strings.Contains(out, "applied "+pick.ID) {
		t.Fatalf("controls apply: %s", out)
	}
	if ls := runWard(t, "controls", "--db", dbPath); !strings.Contains(ls, pick.ID) || !strings.Contains(ls, "CHG-42") {
		t.Errorf("controls list:\n%s", ls)
	}
	for _, it := range risks().Items {
		covered := slices.Contains(pick.Findings, it.ID)
		if covered && !(it.Residual.Score < before[it.ID]) || !covered && it.Residual.Score != before[it.ID] {
			t.Errorf("%s (covered=%v): residual %.1f, before %.1f", it.ID, covered, it.Residual.Score, before[it.ID])
		}
	}
	runWard(t, "controls", "remove", "--db", dbPath, pick.ID)
}

// stdoutOf runs ward and returns only its standard output (logs go to stderr).
func stdoutOf(t *testing.T, args ...string) string {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("ward %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}
