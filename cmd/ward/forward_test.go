package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAlertsForwardSyslog: alerts raised by ingest reach a syslog receiver
// as RFC 5424 messages with a CEF body.
func TestAlertsForwardSyslog(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	dbPath := filepath.Join(t.TempDir(), "w.db")
	if _, _, err := runCLI(t, "ingest", "--db", dbPath, "--alert-window", "30m", demo); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan string, 1000)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	out, _, err := runCLI(t, "alerts", "forward", "--db", dbPath, "--syslog", "udp://"+pc.LocalAddr().String(),
		"--since", "2026-01-01T00:00:00Z", "--events")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "forwarded: ") {
		t.Fatalf("output %q", out)
	}
	var msgs []string
	deadline := time.After(3 * time.Second)
collect:
	for {
		select {
		case m := <-got:
			msgs = append(msgs, m)
		case <-deadline:
			break collect
		case <-time.After(300 * time.Millisecond):
			if len(msgs) > 0 {
				break collect
			}
		}
	}
	telnet := false
	for _, m := range msgs {
		if !strings.HasPrefix(m, "<") || !strings.Contains(m, "CEF:0|") {
			t.Fatalf("not an RFC 5424 message with a CEF body: %q", m)
		}
		if strings.Contains(m, "Telnet") {
			telnet = true
		}
	}
	if !telnet {
		t.Fatalf("the Telnet alert did not reach syslog (%d messages)", len(msgs))
	}
	if _, _, err := runCLI(t, "alerts", "forward", "--db", dbPath); err == nil {
		t.Fatal("forward with no destination accepted")
	}
}
