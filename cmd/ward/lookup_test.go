package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"

	"github.com/wardiomt/ward/internal/vuln"
)

func runWard(t *testing.T, args ...string) string {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("ward %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestLookupJSONContract runs `ward lookup --json` on the bundled snapshot
// (no database, no shared data) and checks the finding contract.
func TestLookupJSONContract(t *testing.T) {
	out := runWard(t, "lookup", "--manufacturer", "Becton, Dickinson and Company", "--model", "Alaris 8015 PC Unit", "--version", "9.19", "--json")
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	found := false
	for _, f := range fs {
		for _, k := range []string{"device_id", "status", "advisory", "cves", "product", "matched_range", "confidence", "reason", "cvss", "kev", "epss", "cwe", "remediations"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %v lacks %q", f["advisory"], k)
			}
		}
		if f["advisory"] == "ICSMA-20-317-01" && f["status"] == string(vuln.Affected) && f["confidence"] == string(vuln.Exact) {
			found = true
		}
	}
	if !found {
		t.Errorf("ICSMA-20-317-01 not reported as affected/exact:\n%s", out)
	}
}

func TestFeedsStatusAndDB(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "w.db")
	out := runWard(t, "feeds", "status", "--db", dbPath)
	if !strings.Contains(out, "bundled snapshot: 20") || !strings.Contains(out, "no feeds loaded") {
		t.Errorf("status on an empty DB:\n%s", out)
	}
	// A lookup with the empty DB imports the snapshot into it.
	runWard(t, "lookup", "--db", dbPath, "--manufacturer", "GE Healthcare", "--model", "CARESCAPE B450", "--version", "2.0")
	out = runWard(t, "feeds", "status", "--db", dbPath)
	if !strings.Contains(out, "was imported into this database") {
		t.Errorf("status after first use:\n%s", out)
	}
	out = runWard(t, "lookup", "--os", "Windows XP SP3", "--manufacturer", "Philips", "--model", "Brilliance 64")
	if !strings.Contains(out, "MS08-067") || !strings.Contains(out, "KEV") {
		t.Errorf("platform lookup:\n%s", out)
	}
}

// TestFeedsImportAdvisoryIndex: the ICS Advisory Project's table imports
// (format detected), re-imports without duplicates, and its rows count in
// a manufacturer's record next to the CSAF files.
func TestFeedsImportAdvisoryIndex(t *testing.T) {
	table := testutil.SharedData(t, "feeds/ics-advisory-project/CISA_ICS_ADV_Master.csv")
	dbPath := filepath.Join(t.TempDir(), "w.db")
	csafDir := testutil.SharedData(t, "feeds/csaf-icsma")
	for range 2 {
		out := runWard(t, "feeds", "import", "--db", dbPath, table, csafDir)
		if !regexp.MustCompile(`icsadv\s+1 files\s+39\d\d records`).MatchString(out) {
			t.Fatalf("import:\n%s", out)
		}
	}
	out := runWard(t, "feeds", "status", "--db", dbPath)
	m := regexp.MustCompile(`(\d+) advisory-index rows`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("status names no advisory-index rows:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 3900 || n > 4000 {
		t.Fatalf("status after importing twice:\n%s", out)
	}
	var rep struct {
		Assessments []struct {
			Record struct {
				Advisories int `json:"advisories"`
				Items      []struct {
					ID, Source, Remediation string
				} `json:"items"`
			} `json:"record"`
		} `json:"assessments"`
	}
	if err := json.Unmarshal([]byte(runWard(t, "assess", "--db", dbPath, "--manufacturer", "Medtronic", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	csaf, rows := 0, 0
	for _, it := range rep.Assessments[0].Record.Items {
		switch it.Source {
		case "csaf":
			csaf++
		case "icsadv":
			rows++
			if it.Remediation != "not_loaded" || !strings.HasPrefix(it.ID, "ICS") {
				t.Errorf("index row %+v", it)
			}
		}
	}
	// Medtronic's CSAF advisories stop at the mirror's date (2025-02); the
	// index adds the later ones, and none twice.
	if csaf < 10 || rows < 1 || rep.Assessments[0].Record.Advisories != csaf+rows {
		t.Errorf("Medtronic record: %d CSAF, %d index rows, %d advisories", csaf, rows, rep.Assessments[0].Record.Advisories)
	}
}
