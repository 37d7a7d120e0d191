package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestNoPHIOnDisk ingests the bundled demo capture, whose simulated DICOM
// and HL7 traffic carries canary patient names and IDs, and proves no canary
// reaches the database files, the observations or the logs (debug level).
// This test stays in the suite forever.
func TestNoPHIOnDisk(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	raw, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	canaries := [][]byte{[]byte("CANARY^"), []byte("CANARYID")}
	present := 0
	for _, c := range canaries {
		present += bytes.Count(raw, c)
	}
	if present == 0 {
		t.Fatal("the demo capture carries no canaries: the test would prove nothing")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ward.db")
	out, logs, err := runCLI(t, "--log-level", "debug", "ingest", "--db", dbPath, demo)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, logs)
	}
	obs, logs2, err := runCLI(t, "--log-level", "debug", "observe", demo)
	if err != nil {
		t.Fatal(err)
	}
	devs, _, err := runCLI(t, "devices", "--db", dbPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{"ingest output": []byte(out + logs), "observations": []byte(obs + logs2), "devices": []byte(devs)}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blobs[filepath.Base(f)] = b
	}
	for name, b := range blobs {
		for _, c := range canaries {
			if bytes.Contains(b, c) {
				t.Errorf("%s contains patient canary %q", name, c)
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("nothing was written to disk")
	}
}
