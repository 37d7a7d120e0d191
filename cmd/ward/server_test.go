package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWard runs a long-lived command until the test ends.
func startWard(t *testing.T, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	root := newRootCmd()
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ward %s: %v", args[0], err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("ward %s did not stop", args[0])
		}
	})
	return out
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func getJSON(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var tokenLine = regexp.MustCompile(`(?m)^token: (ward_\S+)$`)

// TestServeTokenSensor: bootstrap tokens, serve, upload the demo capture
// with `ward sensor --read`, see it through the API and the sensor list.
func TestServeTokenSensor(t *testing.T) {
	if testing.Short() {
		t.Skip("serves and uploads a capture")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ward.db")
	m := tokenLine.FindStringSubmatch(runWard(t, "token", "create", "--db", dbPath, "--org", "acme", "--role", "sensor", "--site", "icu", "--name", "icu-sensor"))
	if m == nil {
		t.Fatal("no token line")
	}
	sensorTok := m[1]
	viewerTok := tokenLine.FindStringSubmatch(runWard(t, "token", "create", "--db", dbPath, "--org", "acme", "--role", "viewer"))[1]
	addr := freeAddr(t)
	startWard(t, "serve", "--db", dbPath, "--addr", addr)
	base := "http://" + addr
	waitHTTP(t, base+"/readyz")

	pcap := filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")
	spool := filepath.Join(dir, "spool")
	out := runWard(t, "sensor", "--read", pcap, "--server", base, "--token", sensorTok, "--spool", spool, "--name", "s1", "--batch", "3000")
	var spooled, sent, dup int
	if _, err := fmt.Sscanf(out[strings.Index(out, "batches: "):], "batches: %d spooled, %d sent (%d already applied)", &spooled, &sent, &dup); err != nil {
		t.Fatalf("sensor output: %v\n%s", err, out)
	}
	if spooled == 0 || sent != spooled || dup != 0 || !strings.Contains(out, "0 still spooled, 0 dropped") {
		t.Fatalf("first upload:\n%s", out)
	}
	var list struct{ Total int }
	if c := getJSON(t, base+"/api/v1/devices?site=icu", viewerTok, &list); c != 200 || list.Total < 50 {
		t.Fatalf("devices after upload: %d %+v", c, list)
	}
	// A second run is new data to the server (new batch ids); it is accepted
	// and counted, and the sensor's spool starts empty.
	again := runWard(t, "sensor", "--read", pcap, "--server", base, "--token", sensorTok, "--spool", spool, "--name", "s1", "--batch", "3000")
	var spooled2, sent2 int
	if _, err := fmt.Sscanf(again[strings.Index(again, "batches: "):], "batches: %d spooled, %d sent", &spooled2, &sent2); err != nil || sent2 != spooled2 {
		t.Fatalf("second upload: %v\n%s", err, again)
	}
	var sensors struct {
		Items []struct {
			Name    string `json:"name"`
			Batches int    `json:"batches"`
		} `json:"items"`
	}
	if c := getJSON(t, base+"/api/v1/sensors", viewerTok, &sensors); c != 200 || len(sensors.Items) != 1 || sensors.Items[0].Batches != spooled+spooled2 {
		t.Fatalf("sensors: %d %+v", c, sensors)
	}
	if c := getJSON(t, base+"/api/v1/devices", sensorTok, nil); c != 403 {
		t.Fatalf("sensor token reads devices: %d", c)
	}
}

// TestDemoCommand runs `ward demo` and checks its printed URL and token work.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the demo capture")
	}
	out := startWard(t, "demo", "--addr", "127.0.0.1:0")
	deadline := time.Now().Add(60 * time.Second)
	for !tokenLine.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no token line:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok := tokenLine.FindStringSubmatch(out.String())[1]
	url := regexp.MustCompile(`(?m)^url: (\S+)$`).FindStringSubmatch(out.String())
	if url == nil {
		t.Fatalf("no url line:\n%s", out.String())
	}
	var me struct {
		Organization string `json:"organization"`
		Role         string `json:"role"`
	}
	if c := getJSON(t, url[1]+"api/v1/me", tok, &me); c != 200 || me.Role != "admin" {
		t.Fatalf("me: %d %+v", c, me)
	}
	var dash struct {
		DevicesTotal int `json:"devices_total"`
	}
	if c := getJSON(t, url[1]+"api/v1/dashboard", tok, &dash); c != 200 || dash.DevicesTotal < 50 {
		t.Fatalf("dashboard: %d %+v", c, dash)
	}
	// The UI answers its pages, including the login form at GET /login
	// (the API only takes POST /login).
	for _, p := range []string{"", "login"} {
		resp, err := http.Get(url[1] + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("UI at /%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
