package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/cmms/reconcile"
)

// TestCmmsCommands runs the CMMS commands on the demo hospital: reconcile
// (saving links), deliver to file connectors and an unreachable webhook,
// list the dead letters, retry one, export.
func TestCmmsCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the demo capture")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "w.db")
	cfg := filepath.Join(dir, "ward.yaml")
	conf := `locations:
  - {subnet: 10.0.8.0/24, name: Radiology}
  - {subnet: 10.0.12.0/24, name: ICU-3}
  - {subnet: 10.0.16.0/24, name: ED}
  - {subnet: 10.0.20.0/24, name: Lab}
cmms:
  outbox: {max_attempts: 1}
  connectors:
    - {name: csv, type: csv, path: ` + filepath.Join(dir, "changes.csv") + `}
    - {name: ff, type: fhir-file, path: ` + filepath.Join(dir, "fhir") + `}
    - {name: hook, type: webhook, url: "http://127.0.0.1:1/", secret: x, events: [software_update]}
`
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	runWard(t, "ingest", "--db", dbPath, "--config", cfg, "../../testdata/demo/hospital-demo.pcap")

	var rep reconcile.Report
	out := runWard(t, "cmms", "reconcile", "--db", dbPath, "--json", "--link", "../../internal/cmms/reconcile/testdata/cmms-export.csv")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Summary.Matched < 10 || rep.Summary.Ghosts < 4 || rep.Summary.Unmanaged == 0 {
		t.Errorf("summary %+v", rep.Summary)
	}

	out = runWard(t, "cmms", "deliver", "--db", dbPath, "--config", cfg)
	if !strings.Contains(out, "dead letters 1") {
		t.Errorf("deliver: %s", out)
	}
	rows := readCSV(t, filepath.Join(dir, "changes.csv"))
	tagged := 0
	for _, r := range rows[1:] {
		if r[0] != "" {
			tagged++
		}
	}
	if len(rows) < 60 || tagged == 0 {
		t.Errorf("changes.csv: %d rows, %d with asset tags from the links", len(rows), tagged)
	}

	var dead []cmms.Delivery
	if err := json.Unmarshal([]byte(runWard(t, "cmms", "outbox", "--db", dbPath, "--status", "dead", "--json")), &dead); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Connector != "hook" || dead[0].EventType != "software_update" {
		t.Fatalf("dead letters %+v", dead)
	}
	if out := runWard(t, "cmms", "retry", "--db", dbPath, strconv.FormatInt(dead[0].ID, 10)); !strings.Contains(out, "queued for retry") {
		t.Errorf("retry: %s", out)
	}
	if out := runWard(t, "cmms", "outbox", "--db", dbPath, "--status", "pending"); !strings.Contains(out, "hook") {
		t.Errorf("outbox after retry: %s", out)
	}

	exp := filepath.Join(dir, "export.csv")
	runWard(t, "cmms", "export", "--db", dbPath, "--format", "csv", "-o", exp)
	if rows := readCSV(t, exp); rows[0][0] != "Asset Tag" || len(rows) < 60 {
		t.Errorf("export: %d rows, header %v", len(rows), rows[0])
	}
	out = runWard(t, "cmms", "export", "--db", dbPath, "--format", "fhir")
	if !strings.Contains(out, `"resourceType": "Bundle"`) || !strings.Contains(out, `"serialNumber"`) {
		t.Errorf("fhir export: %.300s", out)
	}
}

func readCSV(t *testing.T, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
