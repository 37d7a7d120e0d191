package siem

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/threat"
)

func sampleAlert() threat.Alert {
	t := time.Date(2026, 3, 2, 10, 43, 39, 0, time.UTC)
	return threat.Alert{ID: "a1", Site: "default", DeviceID: "d42", DeviceType: "patient_monitor", Kind: threat.KindNewExternal, Severity: threat.SeverityCritical,
		Title: "connects to public address 203.0.113.77:8443 | never seen", First: t, Last: t, Count: 1,
		Broke:    threat.Broken{DeviceID: "d42", Baseline: "public_ips", Value: "203.0.113.77"},
		Evidence: []threat.Evidence{{Time: t, Protocol: "flow", Src: "10.0.12.14", Dst: "203.0.113.77", SrcPort: 50123, DstPort: 8443, Transport: "tcp"}}}
}

// parseCEF splits a CEF record into its 7 header fields and extensions.
func parseCEF(t *testing.T, s string) ([]string, map[string]string) {
	t.Helper()
	i := strings.Index(s, "CEF:")
	if i < 0 {
		t.Fatalf("no CEF in %q", s)
	}
	s = s[i+4:]
	var hdr []string
	var cur strings.Builder
	j := 0
	for ; j < len(s) && len(hdr) < 7; j++ {
		switch {
		case s[j] == '\\' && j+1 < len(s):
			j++
			cur.WriteByte(s[j])
		case s[j] == '|':
			hdr = append(hdr, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[j])
		}
	}
	ext := map[string]string{}
	rest := s[j:]
	// keys are words followed by '=' not escaped; values run to the next " key=".
	var key string
	cur.Reset()
	for k := 0; k < len(rest); k++ {
		c := rest[k]
		if c == '\\' && k+1 < len(rest) {
			k++
			switch rest[k] {
			case 'n':
				cur.WriteByte('\n')
			case 'r':
				cur.WriteByte('\r')
			default:
				cur.WriteByte(rest[k])
			}
			continue
		}
		if c == '=' {
			// the last word of cur is the new key
			v := cur.String()
			sp := strings.LastIndexByte(v, ' ')
			if key != "" {
				ext[key] = v[:max(sp, 0)]
			}
			key = v[sp+1:]
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if key != "" {
		ext[key] = strings.TrimRight(cur.String(), "\n")
	}
	return hdr, ext
}

func TestCEF(t *testing.T) {
	hdr, ext := parseCEF(t, CEF(FromAlert(sampleAlert()), "0.1"))
	want := []string{"0", "Ward", "Ward", "0.1", "alert:new_external_destination", "connects to public address 203.0.113.77:8443 | never seen", "10"}
	if diff := cmp.Diff(want, hdr); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	for k, v := range map[string]string{"src": "10.0.12.14", "dst": "203.0.113.77", "dpt": "8443", "deviceExternalId": "d42", "cat": "alert", "cs1": "default"} {
		if ext[k] != v {
			t.Errorf("extension %s = %q, want %q (all: %v)", k, ext[k], v, ext)
		}
	}
	if !strings.Contains(ext["msg"], "baseline=public_ips") {
		t.Errorf("msg = %q", ext["msg"])
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRsyslog sends CEF over UDP and JSON over TCP to a real rsyslogd and
// checks what it parsed out of the RFC 5424 messages.
func TestRsyslog(t *testing.T) {
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("rsyslogd not installed (apt-get install -y rsyslog)")
		}
		t.Skip("rsyslogd not installed")
	}
	dir := t.TempDir()
	udp, tcp := freePort(t), freePort(t)
	out := filepath.Join(dir, "out.log")
	conf := `global(workDirectory="` + dir + `")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="` + strconv.Itoa(udp) + `")
input(type="imtcp" address="127.0.0.1" port="` + strconv.Itoa(tcp) + `")
template(name="fields" type="string" string="%protocol-version%|%hostname%|%app-name%|%msgid%|%syslogfacility%|%syslogseverity%|%structured-data%|%msg%\n")
*.* action(type="omfile" file="` + out + `" template="fields")
`
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait for the TCP input to listen.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tcp))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := context.Background()
	cefSender, err := NewSyslog(SyslogConfig{Network: "udp", Address: "127.0.0.1:" + strconv.Itoa(udp), Format: FormatCEF, Hostname: "sensor-1", Version: "0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer cefSender.Close()
	jsonSender, err := NewSyslog(SyslogConfig{Network: "tcp", Address: "127.0.0.1:" + strconv.Itoa(tcp), Format: FormatJSON, Hostname: "sensor-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer jsonSender.Close()
	a := FromAlert(sampleAlert())
	f := FromFinding(Finding{Site: "default", DeviceID: "d7", CVE: "CVE-2024-0001", Score: 9.1, Priority: "act", Summary: "KEV-listed RCE", Time: time.Now()})
	// UDP may drop the first datagram while rsyslog finishes starting: resend until seen.
	var lines []string
	for try := 0; try < 50; try++ {
		if err := cefSender.Send(ctx, a); err != nil {
			t.Fatal(err)
		}
		if try == 0 {
			if err := jsonSender.Send(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		var cef, js bool
		for _, l := range lines {
			cef = cef || strings.Contains(l, "CEF:0")
			js = js || strings.Contains(l, "high_risk_finding")
		}
		if cef && js {
			break
		}
	}
	var sawCEF, sawJSON bool
	for _, l := range lines {
		parts := strings.SplitN(l, "|", 8)
		if len(parts) < 8 {
			continue
		}
		if parts[0] != "1" || parts[1] != "sensor-1" || parts[2] != "ward" {
			t.Errorf("rsyslog parsed version/host/app %q/%q/%q from %q", parts[0], parts[1], parts[2], l)
		}
		switch parts[3] {
		case "ward-alert":
			sawCEF = true
			if parts[4] != "10" || parts[5] != "2" {
				t.Errorf("facility/severity %s/%s, want 10/2", parts[4], parts[5])
			}
			if !strings.Contains(parts[6], `class="alert"`) {
				t.Errorf("structured data %q", parts[6])
			}
			hdr, ext := parseCEF(t, l)
			if hdr[4] != "alert:new_external_destination" || hdr[6] != "10" || ext["dst"] != "203.0.113.77" || ext["dpt"] != "8443" || ext["src"] != "10.0.12.14" {
				t.Errorf("CEF through rsyslog: header %q ext %v", hdr, ext)
			}
		case "ward-finding":
			sawJSON = true
			i := strings.Index(l, "{")
			var e Event
			if err := json.Unmarshal([]byte(l[i:]), &e); err != nil {
				t.Fatalf("JSON through rsyslog: %v in %q", err, l)
			}
			if e.Fields["cve"] != "CVE-2024-0001" || e.Severity != 9 {
				t.Errorf("JSON event %+v", e)
			}
		}
	}
	if !sawCEF || !sawJSON {
		t.Fatalf("rsyslog wrote CEF %v JSON %v; lines:\n%s", sawCEF, sawJSON, strings.Join(lines, "\n"))
	}
}

func TestWebhook(t *testing.T) {
	secret := []byte("s3cret")
	var got struct {
		Events []Event `json:"events"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	wh := &Webhook{URL: srv.URL, Secret: secret}
	if err := wh.Send(context.Background(), FromAlert(sampleAlert())); err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || got.Events[0].Type != "new_external_destination" {
		t.Fatalf("received %+v", got)
	}
	bad := &Webhook{URL: srv.URL, Secret: []byte("wrong")}
	if err := bad.Send(context.Background(), FromAlert(sampleAlert())); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: err = %v, want 401", err)
	}
}
