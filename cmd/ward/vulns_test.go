package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

// TestVulnsDistroBackport ingests a real capture of Debian 12's OpenSSH
// (server and client banners "OpenSSH_9.2p1 Debian-2+deb12u10"): 9.2p1 is
// in regreSSHion's upstream range, but Debian fixed it in 2+deb12u3, so the
// server is not affected, and says why.
func TestVulnsDistroBackport(t *testing.T) {
	pcap := filepath.Join(testutil.RepoRoot(t), "internal", "dissect", "ssh", "testdata", "openssh_to_openssh.pcap")
	db := filepath.Join(t.TempDir(), "ward.db")
	runWard(t, "ingest", "--db", db, pcap)

	findings := func(args ...string) []vuln.Finding {
		t.Helper()
		var fs []vuln.Finding
		out := stdoutOf(t, append([]string{"vulns", "--db", db, "--json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &fs); err != nil {
			t.Fatalf("vulns --json: %v\n%s", err, out)
		}
		return fs
	}
	for _, f := range findings() {
		if f.Advisory == "regreSSHion" {
			t.Errorf("patched Debian OpenSSH reported: %+v", f)
		}
	}
	var got *vuln.Finding
	for _, f := range findings("--all") {
		if f.Advisory == "regreSSHion" {
			got = &f
		}
	}
	if got == nil {
		t.Fatal("vulns --all: no regreSSHion verdict for the Debian OpenSSH server")
	}
	if got.Status != vuln.NotAffected || got.Confidence != vuln.Exact ||
		got.Product != "OpenSSH 9.2p1 Debian-2+deb12u10" ||
		!strings.Contains(got.Reason, "Debian package 9.2p1-2+deb12u10, at or after 9.2p1-2+deb12u3") {
		t.Errorf("regreSSHion verdict = %s/%s on %q: %s", got.Status, got.Confidence, got.Product, got.Reason)
	}
}

// TestVulnsDICOMToolkit ingests a real capture of DCMTK's storescu
// (OFFIS_DCMTK_367) and checks the toolkit's advisories reach the device
// by the version heard: CISA's index row "DCMTK <=3.7.0" affects it, the
// 2022 advisory (before 3.6.7) does not, and CVE-2022-2121's record no
// longer claims every version.
func TestVulnsDICOMToolkit(t *testing.T) {
	pcap := testutil.SharedData(t, "pcaps/dcmtk/dcmtk_store_ge_ct.pcap")
	db := filepath.Join(t.TempDir(), "ward.db")
	runWard(t, "ingest", "--db", db, pcap)
	var fs []vuln.Finding
	out := stdoutOf(t, "vulns", "--db", db, "--json", "--all")
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("vulns --json: %v\n%s", err, out)
	}
	got := map[string]vuln.Finding{}
	for _, f := range fs {
		if strings.HasPrefix(f.Reason, `component "dcmtk 3.6.7"`) {
			got[f.Advisory] = f
		}
	}
	if f, ok := got["ICSMA-26-181-01"]; !ok || f.Status != vuln.Affected || f.Confidence != vuln.Exact || f.Source != vuln.SourceICSAdv {
		t.Errorf("ICSMA-26-181-01 (DCMTK <=3.7.0) = %+v", f)
	}
	if f, ok := got["ICSMA-22-174-01"]; !ok || f.Status != vuln.NotAffected {
		t.Errorf("ICSMA-22-174-01 (DCMTK before 3.6.7) = %+v", f)
	}
	if f, ok := got["CVE-2022-2121"]; ok && f.Status != vuln.NotAffected {
		t.Errorf("CVE-2022-2121 = %s: its record's CPE entry is < 3.6.7 too", f.Status)
	}
}

// TestVulnsTableIndexRows: on the demo hospital, a device an index row
// names shows "(versions not loaded)" in the table's range column.
func TestVulnsTableIndexRows(t *testing.T) {
	pcap := filepath.Join(testutil.RepoRoot(t), "testdata", "demo", "hospital-demo.pcap")
	db := filepath.Join(t.TempDir(), "ward.db")
	runWard(t, "ingest", "--db", db, pcap)
	out := stdoutOf(t, "vulns", "--db", db)
	rows := 0
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "(versions not loaded)") {
			rows++
			if !strings.Contains(line, "under_investigation") {
				t.Errorf("index row not under investigation: %s", line)
			}
		}
	}
	if rows == 0 {
		t.Errorf("no index-row finding in the demo's table:\n%s", out)
	}
}
