package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAssessCLI runs `ward assess` on the bundled snapshot: a comparison as
// JSON, an HTML file, an SBOM, and the errors a user can make.
func TestAssessCLI(t *testing.T) {
	out := runWard(t, "assess", "--compare", "BD/Alaris PC 8015", "Baxter/Sigma Spectrum", "--format", "json")
	var rep struct {
		Assessments []struct {
			Canonical string `json:"canonical_manufacturer"`
			Record    struct {
				Advisories int `json:"advisories"`
			} `json:"record"`
		} `json:"assessments"`
		Comparison *struct {
			Rows []struct{ Measure string } `json:"rows"`
		} `json:"comparison"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%.400s", err, out)
	}
	if len(rep.Assessments) != 2 || rep.Comparison == nil || rep.Assessments[0].Canonical != "BD" || rep.Assessments[0].Record.Advisories == 0 {
		t.Errorf("comparison: %+v", rep)
	}

	html := filepath.Join(t.TempDir(), "a.html")
	runWard(t, "assess", "--manufacturer", "Philips", "--format", "html", "--out", html)
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), `<svg class="chart"`) {
		t.Errorf("HTML report %s: %v, %d bytes", html, err, len(b))
	}

	md := runWard(t, "assess", "--manufacturer", "BD", "--model", "Alaris PC 8015", "--sbom", filepath.Join("..", "..", "internal", "assess", "testdata", "device.cdx.json"))
	if !strings.Contains(md, "### SBOM (CycloneDX 1.5") || !strings.Contains(md, "CVE-2017-0144") {
		t.Errorf("markdown with SBOM:\n%.2000s", md)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"spdxVersion":"SPDX-2.3","packages":[`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"assess"}, "--manufacturer is required"},
		{[]string{"assess", "--compare", "BD/Alaris"}, "at least two"},
		{[]string{"assess", "--manufacturer", "BD", "--format", "pdf"}, "unknown report format"},
		{[]string{"assess", "--manufacturer", "BD", "--sbom", bad}, "malformed SBOM"},
		{[]string{"assess", "--compare", "BD/A", "Baxter/B", "--sbom", bad}, "cannot be used with --compare"},
	} {
		root := newRootCmd()
		var buf bytes.Buffer
		root.SetOut(&buf)
		root.SetErr(&buf)
		root.SetArgs(tc.args)
		err := root.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ward %s: err %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
