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
