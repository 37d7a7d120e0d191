package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/assess"
	"github.com/wardiomt/ward/internal/assess/report"
	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/threat"
	"github.com/wardiomt/ward/internal/vuln"
)

// The alerts, CMMS and procurement routes of the stub are the real
// handlers (threat.Handler, cmms.Handler, report.Handler) over in-memory
// stores, so the UI is tested against the JSON they really produce.

// stubNow is the stub's clock: the fixtures' last day.
var stubNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// mountMore adds the threat, CMMS and assess routes to the stub's mux.
func (s *stubAPI) mountMore(t *testing.T, mux *http.ServeMux) {
	t.Helper()
	s.threat = &fakeThreat{empty: s.empty}
	if !s.empty {
		s.threat.alerts, s.threat.baseline = stubAlerts(), stubBaseline()
	}
	th := threat.Handler(s.threat, threat.DefaultOptions())
	mux.Handle("GET /api/v1/alerts", s.authed(th.ServeHTTP))
	mux.Handle("GET /api/v1/devices/{id}/baseline", s.authed(th.ServeHTTP))

	s.outbox = &fakeOutbox{}
	devs := &fakeDevices{}
	if !s.empty {
		s.outbox.ds = stubDeliveries()
		devs.ds = truthDevices(t)
	}
	ch := &cmms.Handler{Outbox: s.outbox, Devices: devs}
	for _, m := range []string{"GET", "POST"} {
		mux.Handle(m+" /api/v1/cmms/", s.authed(s.csrf(ch.ServeHTTP)))
	}

	mux.Handle("GET /api/v1/assess", s.authed(report.Handler(snapshotAssessor(t), nil).ServeHTTP))
}

// csrf refuses mutating calls without the session's CSRF token, as the
// server does.
func (s *stubAPI) csrf(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-CSRF-Token") != "csrf-test-token" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "missing or wrong CSRF token"})
			return
		}
		next(w, r)
	}
}

// fakeThreat is threat.Reader over fixtures, with the SQL store's filter
// semantics: minimum severity, kinds, state, since (last seen), newest first.
type fakeThreat struct {
	empty    bool
	alerts   []threat.Alert
	baseline map[string]*threat.Baseline
}

func (f *fakeThreat) ListAlerts(_ context.Context, q threat.AlertFilter) ([]threat.Alert, error) {
	var out []threat.Alert
	for _, a := range f.alerts {
		switch {
		case q.Site != "" && a.Site != q.Site,
			q.DeviceID != "" && a.DeviceID != q.DeviceID,
			len(q.Kinds) > 0 && !slices.Contains(q.Kinds, a.Kind),
			q.MinSeverity != "" && a.Severity.Level() < q.MinSeverity.Level(),
			q.State != "" && a.State != q.State,
			!q.Since.IsZero() && a.Last.Before(q.Since):
			continue
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b threat.Alert) int { return b.Last.Compare(a.Last) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (f *fakeThreat) FindBaseline(_ context.Context, id string) (*threat.Baseline, error) {
	if b, ok := f.baseline[id]; ok {
		return b, nil
	}
	return nil, threat.ErrNoBaseline
}

func stubAlerts() []threat.Alert {
	win := threat.Window{From: stubNow.Add(-8 * 24 * time.Hour), Until: stubNow.Add(-24 * time.Hour)}
	at := func(h int) time.Time { return stubNow.Add(time.Duration(-h) * time.Hour) }
	return []threat.Alert{
		{ID: "a01", Site: "main-campus", DeviceID: "dev-mr1", DeviceName: "MR-VIDA-1", DeviceType: "mri", Criticality: "high",
			Kind: threat.KindSMBRDPPeer, Severity: threat.SeverityCritical, Title: "SMBv1 session from an unusual peer 10.40.7.99",
			State: threat.StateOpen, Incident: "in|10.40.7.99|tcp/445", First: at(3), Last: at(2), Count: 4,
			Broke: threat.Broken{DeviceID: "dev-mr1", Baseline: "conversations", Value: "in|10.40.7.99|tcp/445", Known: []string{"in|10.40.7.3|tcp/445"}, KnownN: 1},
			Also:  []threat.Broken{{DeviceID: "dev-mr1", Baseline: "peers", Value: "10.40.7.99", Known: []string{"10.30.0.20", "10.40.7.3"}, KnownN: 2}},
			Evidence: []threat.Evidence{{Time: at(3), Protocol: "smb", Src: "10.40.7.99", Dst: "10.30.0.15", SrcPort: 50112, DstPort: 445, Transport: "tcp",
				Fields: []string{"dialect=NT LM 0.12"}}},
			Baseline: win},
		{ID: "a02", Site: "main-campus", DeviceID: "dev-pump1", DeviceName: "pump-icu-01", DeviceType: "infusion_pump", Criticality: "life_sustaining",
			Kind: threat.KindNewExternal, Severity: threat.SeverityHigh, Title: "New external destination 203.0.113.50:443",
			State: threat.StateOpen, Incident: "out|203.0.113.50|tcp/443", First: at(5), Last: at(5), Count: 1,
			Broke:    threat.Broken{DeviceID: "dev-pump1", Baseline: "public_ips", Value: "203.0.113.50", KnownN: 0},
			Evidence: []threat.Evidence{{Time: at(5), Protocol: "tls", Src: "10.20.1.15", Dst: "203.0.113.50", SrcPort: 40000, DstPort: 443, Transport: "tcp", Fields: []string{"sni=update.example.net"}}},
			Baseline: win},
		{ID: "a03", Site: "main-campus", DeviceID: "dev-pump2", DeviceName: "pump-icu-02", Kind: threat.KindCleartext, Severity: threat.SeverityMedium,
			Title: "Telnet login in cleartext from 10.20.9.9", State: threat.StateSnoozed, SnoozedBy: "biomed maintenance window",
			Incident: "telnet|10.20.9.9", First: at(30), Last: at(29), Count: 2,
			Broke:    threat.Broken{DeviceID: "dev-pump2", Baseline: "cleartext", Value: "telnet|10.20.9.9"},
			Evidence: []threat.Evidence{{Time: at(30), Protocol: "telnet", Src: "10.20.9.9", Dst: "10.20.1.16", DstPort: 23, Transport: "tcp", Fields: []string{"user=service"}}},
			Baseline: win},
		{ID: "a04", Site: "north-clinic", DeviceID: "dev-evil", DeviceName: "<img src=x onerror=alert(2)>", Kind: threat.KindNewService, Severity: threat.SeverityHigh,
			Title: "New listening service tcp/8080 <script>alert(3)</script>", State: threat.StateOpen, Incident: "tcp/8080", First: at(10), Last: at(9), Count: 1,
			Broke:    threat.Broken{DeviceID: "dev-evil", Baseline: "services", Value: "tcp/8080", Detail: "<b>banner</b>"},
			Evidence: []threat.Evidence{{Time: at(10), Protocol: "http", Dst: "10.50.0.2", DstPort: 8080, Transport: "tcp", Fields: []string{"server=<svg onload=alert(4)>"}}},
			Baseline: win},
		{ID: "a05", Site: "main-campus", DeviceID: "dev-mr1", DeviceName: "MR-VIDA-1", Kind: threat.KindNewPort, Severity: threat.SeverityLow,
			Title: "New outbound port udp/123", State: threat.StateOpen, Incident: "out|10.10.0.1|udp/123", First: at(50), Last: at(48), Count: 3,
			Broke:    threat.Broken{DeviceID: "dev-mr1", Baseline: "ports_out", Value: "udp/123", Known: []string{"tcp/104", "tcp/443"}, KnownN: 2},
			Baseline: win},
	}
}

func stubBaseline() map[string]*threat.Baseline {
	from := stubNow.Add(-8 * 24 * time.Hour)
	e := func(n int64) *threat.Entry {
		return &threat.Entry{First: from, Last: from.Add(6 * 24 * time.Hour), Count: n}
	}
	b := &threat.Baseline{Site: "main-campus", DeviceID: "dev-mr1", From: from, Until: from.Add(7 * 24 * time.Hour), Observations: 18342,
		Peers: threat.Set{"10.30.0.20": e(290), "10.40.7.3": e(12)}, Subnets: threat.Set{"10.30.0.0/24": e(290), "10.40.7.0/24": e(12)},
		PublicIPs: threat.Set{}, DNSNames: threat.Set{"pacs.example.org": e(40)}, PortsOut: threat.Set{"tcp/104": e(280), "tcp/443": e(10)},
		Services: threat.Set{"tcp/104": e(300), "tcp/445": e(12)}, Protocols: threat.Set{"dicom": e(580), "smb": e(12)},
		Conversations: threat.Set{"out|10.30.0.20|tcp/104": e(280), "in|10.40.7.3|tcp/445": e(12)}, Cleartext: threat.Set{}}
	for i := range 48 {
		hr := from.Add(time.Duration(i) * time.Hour)
		bytes := int64(2_000_000)
		if hr.Hour() >= 7 && hr.Hour() < 19 {
			bytes = 180_000_000 + int64(i%5)*10_000_000
		}
		b.Hours = append(b.Hours, threat.HourVolume{Hour: hr, Bytes: bytes, Flows: bytes / 1_000_000})
	}
	return map[string]*threat.Baseline{"dev-mr1": b}
}

// fakeOutbox is cmms.OutboxService in memory, with the SQL outbox's retry
// rule (anything not delivered goes back to pending with attempts reset).
type fakeOutbox struct {
	mu      sync.Mutex
	ds      []cmms.Delivery
	retried []int64
}

func (o *fakeOutbox) List(_ context.Context, f cmms.Filter) ([]cmms.Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []cmms.Delivery
	for _, d := range o.ds {
		if (f.Status == "" || d.Status == f.Status) && (f.Connector == "" || d.Connector == f.Connector) && (f.DeviceID == "" || d.DeviceID == f.DeviceID) {
			out = append(out, d)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (o *fakeOutbox) Retry(_ context.Context, id int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, d := range o.ds {
		if d.ID != id {
			continue
		}
		if d.Status == cmms.StatusDelivered {
			return errorString("cmms retry: already delivered")
		}
		o.ds[i].Status, o.ds[i].Attempts = cmms.StatusPending, 0
		o.retried = append(o.retried, id)
		return nil
	}
	return cmms.ErrNotFound
}

func (o *fakeOutbox) Links(context.Context, string) (map[string]string, error) { return nil, nil }
func (o *fakeOutbox) Link(context.Context, string, string, string) error       { return nil }

type errorString string

func (e errorString) Error() string { return string(e) }

func stubDeliveries() []cmms.Delivery {
	t := func(h int) time.Time { return stubNow.Add(time.Duration(-h) * time.Hour) }
	return []cmms.Delivery{
		{ID: 11, Connector: "servicenow", Site: "main-campus", DeviceID: "dev-pump1", EventID: 301, EventType: "version_change", Key: "k11",
			Status: cmms.StatusDead, Attempts: 8, NextAt: t(1), LastError: "servicenow: 400 Bad Request: invalid u_asset_tag", Created: t(20), Updated: t(1)},
		{ID: 12, Connector: "servicenow", Site: "main-campus", DeviceID: "dev-mr1", EventID: 302, EventType: "new_device", Key: "k12",
			Status: cmms.StatusPending, Attempts: 2, NextAt: t(-1), LastError: "dial tcp 10.1.1.1:443: i/o timeout", Created: t(3), Updated: t(1)},
		{ID: 13, Connector: "webhook", Site: "main-campus", DeviceID: "dev-pump2", EventID: 303, EventType: "location_change", Key: "k13",
			Status: cmms.StatusDelivered, Attempts: 1, NextAt: t(5), Created: t(6), Updated: t(5)},
		{ID: 14, Connector: "webhook", Site: "main-campus", DeviceID: "dev-mr1", EventID: 304, EventType: "ip_change", Key: "k14",
			Status: cmms.StatusPending, Attempts: 0, NextAt: t(0), Created: t(0), Updated: t(0)},
	}
}

type fakeDevices struct{ ds []*inventory.Device }

func (f *fakeDevices) Devices(_ context.Context, q inventory.DeviceFilter) ([]*inventory.Device, int, error) {
	var out []*inventory.Device
	for _, d := range f.ds {
		if q.Site == "" || d.Site == q.Site {
			out = append(out, d)
		}
	}
	return out, len(out), nil
}

// truthDevices builds inventory devices from the simulated hospital's
// truth, which testdata/cmms-export.csv describes (with deliberate errors).
func truthDevices(t *testing.T) []*inventory.Device {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "hospital-demo.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Devices []struct {
			ID, MAC, Manufacturer, Model, Version, Serial, Type, Hostname, Location, SwitchPort string
			IPs                                                                                 []string
		} `json:"devices"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	var out []*inventory.Device
	for _, x := range truth.Devices {
		d := &inventory.Device{ID: x.ID, Site: "main-campus", MAC: x.MAC, MACs: []string{x.MAC}, Location: x.Location,
			LocationFrom: "config", SwitchPort: x.SwitchPort, Identity: identity.Identity{}, LastSeen: stubNow}
		for _, ip := range x.IPs {
			d.IPs = append(d.IPs, inventory.IPRecord{IP: ip, Source: "dhcp-ack"})
		}
		for a, v := range map[fingerprint.Attribute]string{fingerprint.Manufacturer: x.Manufacturer, fingerprint.Model: x.Model,
			fingerprint.Version: x.Version, fingerprint.Serial: x.Serial, fingerprint.DeviceType: x.Type, fingerprint.Hostname: x.Hostname} {
			if v != "" {
				d.Identity[a] = &identity.Attribute{Value: v, Confidence: 0.9, Candidates: []identity.Candidate{{Value: v,
					Evidence: []identity.Evidence{{Protocol: "snmp", Field: "sysDescr", Value: v, Count: 3, Last: stubNow}}}}}
			}
		}
		out = append(out, d)
	}
	return out
}

var (
	assessOnce sync.Once
	assessor   *assess.Assessor
	assessErr  error
)

// snapshotAssessor assesses against the feed snapshot bundled in ward, as
// `ward assess` does without --db (no inventory, so no field evidence).
func snapshotAssessor(t *testing.T) *assess.Assessor {
	t.Helper()
	assessOnce.Do(func() {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		p, origin, err := feeds.OpenProvider(ctx, nil, log)
		if err != nil {
			assessErr = err
			return
		}
		m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
		if err != nil {
			assessErr = err
			return
		}
		assessor, assessErr = assess.New(assess.Deps{History: m, Matcher: m, Provider: p, Feeds: origin.Kind + " (bundled snapshot " + origin.SnapshotDate + ")",
			Now: func() time.Time { return stubNow }, Logger: log})
	})
	if assessErr != nil {
		t.Fatalf("assessor on the bundled snapshot: %v", assessErr)
	}
	return assessor
}
