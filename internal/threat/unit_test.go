package threat

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/observe"
)

func TestParseIndicators(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ips     int
		domains []string
		ja3     int
		ja4     int
		wantErr string
	}{
		{name: "plain", in: "# feed\n203.0.113.77\n198.51.100.0/24\nEvil.Example.\nja3:e7d705a3286e19ea42f587b344ee6865\nt13d1516h2_8daaf6152771_e5627efa2ab1\n", ips: 2, domains: []string{"evil.example"}, ja3: 1, ja4: 1},
		{name: "bad line kept others", in: "203.0.113.5\nnot a thing!\n", ips: 1, wantErr: "line 2"},
		{name: "stix", in: `{"type":"bundle","id":"bundle--1","objects":[
			{"type":"indicator","id":"indicator--1","name":"c2","pattern":"[ipv4-addr:value = '203.0.113.77'] OR [domain-name:value = 'c2.example.net']","pattern_type":"stix"},
			{"type":"indicator","id":"indicator--2","pattern":"[network-traffic:extensions.'x-tls'.ja3 = 'e7d705a3286e19ea42f587b344ee6865']","pattern_type":"stix"},
			{"type":"indicator","id":"indicator--3","revoked":true,"pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix"},
			{"type":"domain-name","id":"domain-name--1","value":"bad.example.org"}]}`, ips: 1, domains: []string{"bad.example.org", "c2.example.net"}, ja3: 1},
		{name: "not a bundle", in: `{"type":"indicator"}`, wantErr: "want bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseIndicators(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var doms []string
			for d := range in.Domains {
				doms = append(doms, d)
			}
			if got := len(in.IPs) + len(in.Prefixes); got != tt.ips || len(in.JA3) != tt.ja3 || len(in.JA4) != tt.ja4 {
				t.Errorf("ips %d ja3 %d ja4 %d, want %d %d %d", got, len(in.JA3), len(in.JA4), tt.ips, tt.ja3, tt.ja4)
			}
			if diff := cmp.Diff(tt.domains, doms, cmpSorted); diff != "" {
				t.Errorf("domains (-want +got):\n%s", diff)
			}
		})
	}
	in, _ := ParseIndicators(strings.NewReader("evil.example\n198.51.100.0/24\n"))
	if _, ok := in.matchDomain("cdn.EVIL.example."); !ok {
		t.Error("subdomain of a listed domain did not match")
	}
	if _, ok := in.matchIP(netip.MustParseAddr("198.51.100.9")); !ok {
		t.Error("address in a listed prefix did not match")
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func FuzzParseIndicators(f *testing.F) {
	f.Add("203.0.113.1\nevil.example\n")
	f.Add(`{"type":"bundle","objects":[{"type":"indicator","pattern":"[ipv4-addr:value = '1.2.3.4']"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		in, _ := ParseIndicators(strings.NewReader(s))
		if in != nil {
			in.matchDomain(s)
		}
	})
}

// fixed resolves by IP from a table.
type fixed map[netip.Addr]Device

func (f fixed) Resolve(_ context.Context, _ string, _ net.HardwareAddr, ip netip.Addr, _ time.Time) (Device, bool, error) {
	d, ok := f[ip]
	return d, ok, nil
}

func flowObs(t time.Time, src, dst string, dport uint16, app string, bytes int) observe.Observation {
	o := observe.Observation{Time: t, SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr(dst), SrcPort: 50000, DstPort: dport, Transport: "tcp", Protocol: "flow"}
	o.Add("flow.app", app)
	o.Add("flow.state", "established")
	o.Add("flow.bytes_out", "100")
	o.Add("flow.bytes_in", strconv.Itoa(bytes))
	return o
}

// TestEngineAlerts builds the streams by hand: a learning hour of normal
// traffic, then the same traffic again (no alert), then deviations.
func TestEngineAlerts(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	st, err := OpenStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	pump, srv, ws := netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.4.20"), netip.MustParseAddr("10.0.2.9")
	res := fixed{pump: {ID: "pump", Type: "infusion_pump", Criticality: "life-sustaining"}, srv: {ID: "srv"}, ws: {ID: "ws"}}
	opt := DefaultOptions()
	opt.Window = time.Hour
	opt.MinObservations = 0
	opt.VolumeFloor = 1000
	opt.Indicators, _ = ParseIndicators(strings.NewReader("198.51.100.66\n"))
	e, err := New(st, res, opt)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	normal := func(at time.Time) []observe.Observation {
		var obs []observe.Observation
		for i := range 12 {
			obs = append(obs, flowObs(at.Add(time.Duration(i)*5*time.Minute), "10.0.1.5", "10.0.4.20", 2575, "hl7", 500))
		}
		return obs
	}
	r1, err := e.Observe(ctx, "s", normal(t0))
	if err != nil || len(r1.Alerts) != 0 {
		t.Fatalf("learning raised %v (err %v)", r1.Alerts, err)
	}
	r2, err := e.Observe(ctx, "s", normal(t0.Add(2*time.Hour)))
	if err != nil || len(r2.Alerts) != 0 {
		t.Fatalf("normal traffic after learning raised %+v (err %v)", r2.Alerts, err)
	}
	t3 := t0.Add(4 * time.Hour)
	bad := []observe.Observation{
		flowObs(t3, "10.0.1.5", "203.0.113.77", 8443, "tls", 10),
		flowObs(t3.Add(time.Second), "10.0.1.5", "203.0.113.77", 8443, "tls", 10),  // dedup
		flowObs(t3.Add(time.Minute), "10.0.1.5", "10.0.4.20", 2575, "hl7", 200000), // volume
		flowObs(t3.Add(2*time.Minute), "10.0.1.5", "198.51.100.66", 443, "tls", 10),
	}
	r3, err := e.Observe(ctx, "s", bad)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	srvVolume := 0
	for _, a := range r3.Alerts {
		if a.DeviceID == "srv" && a.Kind == KindVolume {
			srvVolume++ // the responder's hour is out of range too
			continue
		}
		kinds = append(kinds, a.Kind)
		if a.DeviceID != "pump" || a.Severity.Level() < 2 {
			t.Errorf("alert %+v: want on pump, severity raised for life-sustaining", a)
		}
	}
	if diff := cmp.Diff([]Kind{KindNewExternal, KindVolume, KindIndicator}, kinds); diff != "" {
		t.Errorf("alert kinds (-want +got):\n%s", diff)
	}
	if srvVolume != 1 {
		t.Errorf("server volume alerts: %d, want 1", srvVolume)
	}
	if a := r3.Alerts[0]; a.Count < 2 || a.Broke.Value != "203.0.113.77" || len(a.Also) == 0 {
		t.Errorf("public destination alert: count %d broke %+v also %+v; want deduplicated with the port and protocol it also broke", a.Count, a.Broke, a.Also)
	}
	// Snooze: the next deviation of the pump is stored snoozed, not new.
	if err := st.AddSnooze(ctx, Snooze{ID: "z1", Site: "s", DeviceID: "pump", Until: t3.Add(24 * time.Hour), Created: t3}); err != nil {
		t.Fatal(err)
	}
	r4, err := e.Observe(ctx, "s", []observe.Observation{flowObs(t3.Add(3*time.Hour), "10.0.1.5", "192.0.2.200", 22, "ssh", 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r4.Alerts) != 1 || r4.Alerts[0].State != StateSnoozed || len(r4.New()) != 0 {
		t.Errorf("snoozed device: alerts %+v, new %d", r4.Alerts, len(r4.New()))
	}
	// Rate limit: 15 new ports in one hour give 10 alerts and one counter.
	var many []observe.Observation
	for i := range 15 {
		many = append(many, flowObs(t3.Add(5*time.Hour+time.Duration(i)*time.Second), "10.0.2.9", "10.0.4.20", uint16(7000+i), "", 10))
	}
	e.opt.Window = time.Nanosecond
	r5, err := e.Observe(ctx, "s", many)
	if err != nil {
		t.Fatal(err)
	}
	if r5.RateLimited == 0 {
		t.Errorf("no deviation rate limited: %d alerts", len(r5.Alerts))
	}
	// HTTP: alerts and baselines.
	srvh := httptest.NewServer(Handler(st, opt))
	defer srvh.Close()
	resp, err := http.Get(srvh.URL + "/api/v1/alerts?device=pump&severity=high")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET alerts: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if len(body.Alerts) < 3 {
		t.Errorf("GET alerts returned %d pump alerts, want >= 3", len(body.Alerts))
	}
	resp, err = http.Get(srvh.URL + "/api/v1/devices/pump/baseline")
	if err != nil {
		t.Fatal(err)
	}
	var bv BaselineView
	if err := json.NewDecoder(resp.Body).Decode(&bv); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET baseline: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if !bv.PortsOut.has("tcp/2575") || bv.VolumeRange.Hours == 0 {
		t.Errorf("baseline lacks the learned port or volume: %+v", bv)
	}
	resp, _ = http.Get(srvh.URL + "/api/v1/devices/nope/baseline")
	if resp.StatusCode != 404 {
		t.Errorf("unknown device baseline: %d, want 404", resp.StatusCode)
	}
	resp.Body.Close()
}
