package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
)

// TestIngestDevicesContract ingests a real DICOM capture plus a JSONL
// observation file twice and checks the `ward devices --json` contract,
// idempotence, events and the per-device view.
func TestIngestDevicesContract(t *testing.T) {
	pcap := filepath.Join(testutil.SharedData(t, "pcaps/dcmtk"), "dcmtk_store_ge_ct.pcap")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ward.db")
	jsonl := filepath.Join(dir, "obs.jsonl")
	lines := `{"time":"2026-03-02T08:00:00Z","src_mac":"00:50:56:aa:bb:cc","src_ip":"10.1.2.1","dst_mac":"00:09:fb:12:34:56","dst_ip":"10.1.2.50","src_port":67,"dst_port":68,"transport":"udp","protocol":"dhcp","fields":{"dhcp.message_type":"ack","dhcp.client_mac":"00:09:fb:12:34:56","dhcp.your_ip":"10.1.2.50","dhcp.relay_circuit_id":"Gi1/0/17"}}
{"time":"2026-03-02T08:00:05Z","src_mac":"00:09:fb:12:34:56","src_ip":"10.1.2.50","dst_mac":null,"dst_ip":"10.1.9.10","src_port":23,"dst_port":40000,"transport":"tcp","protocol":"service","fields":{"service.port":"23"}}
`
	if err := os.WriteFile(jsonl, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "ward.yaml")
	if err := os.WriteFile(cfg, []byte("locations:\n  - subnet: 10.1.2.0/24\n    name: ICU-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	first := runWard(t, "ingest", "--db", dbPath, "--config", cfg, pcap, jsonl)
	if !strings.Contains(first, "observations: ") || !strings.Contains(first, "devices: 3 new") {
		t.Errorf("summary:\n%s", first)
	}
	again := runWard(t, "ingest", "--db", dbPath, "--config", cfg, pcap, jsonl)
	if !strings.Contains(again, "files: 2 already ingested") || !strings.Contains(again, "devices: 0 new, 0 updated") || !strings.Contains(again, "events: 0") {
		t.Errorf("re-ingest was not idempotent:\n%s", again)
	}

	var devs []map[string]any
	out := runWard(t, "devices", "--db", dbPath, "--json")
	if err := json.Unmarshal([]byte(out), &devs); err != nil {
		t.Fatalf("devices --json is not JSON: %v\n%s", err, out)
	}
	if len(devs) != 3 {
		t.Fatalf("%d devices, want 3 (CT at 127.0.0.1, monitor, DHCP server)", len(devs))
	}
	keys := []string{"id", "mac", "ips", "manufacturer", "model", "version", "serial", "type", "criticality", "os",
		"hostname", "location", "services", "confidence", "evidence", "first_seen", "last_seen"}
	var ct, mon map[string]any
	for _, d := range devs {
		for _, k := range keys {
			if _, ok := d[k]; !ok {
				t.Errorf("device %v lacks %q", d["id"], k)
			}
		}
		if ips, _ := d["ips"].([]any); len(ips) > 0 && ips[0] == "127.0.0.1" {
			ct = d
		}
		if d["mac"] == "00:09:fb:12:34:56" {
			mon = d
		}
	}
	if ct == nil || mon == nil {
		t.Fatalf("CT or monitor missing:\n%s", out)
	}
	if ct["serial"] != "SYN-CT-000123" || ct["type"] != "ct" || ct["criticality"] != "diagnostic" || ct["mac"] != nil {
		t.Errorf("CT device: %v", ct)
	}
	if ev, _ := ct["evidence"].(map[string]any)["serial"].([]any); len(ev) == 0 || ev[0].(map[string]any)["field"] != "dicom.serial" {
		t.Errorf("serial evidence: %v", ct["evidence"])
	}
	// Nothing identifies the monitor's product here: unknown is null, never a guess.
	for _, k := range []string{"model", "version", "serial", "hostname"} {
		if mon[k] != nil {
			t.Errorf("monitor %s = %v, want null", k, mon[k])
		}
	}
	if mon["location"] != "ICU-3" {
		t.Errorf("monitor location %v", mon["location"])
	}
	if svcs, _ := mon["services"].([]any); len(svcs) != 1 || svcs[0].(map[string]any)["port"] != float64(23) {
		t.Errorf("monitor services %v", mon["services"])
	}

	csv := runWard(t, "devices", "--db", dbPath, "--csv")
	if n := strings.Count(csv, "\n"); n != 4 || !strings.HasPrefix(csv, "id,site,mac,ips,") {
		t.Errorf("csv (%d lines):\n%s", n, csv)
	}
	view := runWard(t, "device", "--db", dbPath, ct["id"].(string))
	for _, want := range []string{"serial       \"SYN-CT-000123\"", "evidence dicom dicom.serial=", "AE titles: "} {
		if !strings.Contains(view, want) {
			t.Errorf("device view lacks %q:\n%s", want, view)
		}
	}
	events := runWard(t, "events", "--db", dbPath, "--check-silent", "--now", "2026-12-31T00:00:00Z", "--json")
	var evs []map[string]any
	if err := json.Unmarshal([]byte(events), &evs); err != nil {
		t.Fatalf("events --json: %v\n%s", err, events)
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e["type"].(string)]++
	}
	if kinds["new"] != 3 || kinds["silent"] != 3 {
		t.Errorf("events by type %v", kinds)
	}
}

// TestIngestRaisesAlerts: ingest runs the threat engine after each batch,
// so the simulated pump that opens Telnet is alerted on without a second pass.
func TestIngestRaisesAlerts(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	dbPath := filepath.Join(t.TempDir(), "w.db")
	out, _, err := runCLI(t, "ingest", "--db", dbPath, "--alert-window", "30m", demo)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "alerts: ") {
		t.Fatalf("no alert summary in %q", out)
	}
	list, _, err := runCLI(t, "alerts", "--db", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "Telnet (tcp/23)") {
		t.Fatalf("the pump opening Telnet raised no alert:\n%s", list)
	}
	// --alerts=false skips the engine.
	out, _, err = runCLI(t, "ingest", "--db", filepath.Join(t.TempDir(), "x.db"), "--alerts=false", demo)
	if err != nil || strings.Contains(out, "alerts: ") {
		t.Fatalf("--alerts=false still ran the engine: %q, %v", out, err)
	}
}
