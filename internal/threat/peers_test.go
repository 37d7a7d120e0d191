package threat_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/threat"
)

// TestPeersQuietProductServices: after learning, a service another device
// of the same product already had is that product's, not an anomaly; a
// service none of them had is raised, as is one on another product, and a
// cleartext login service is raised whatever the fleet does.
func TestPeersQuietProductServices(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	pacs := netip.MustParseAddr("10.1.9.10")
	type dev struct {
		mac, model string
		ip         netip.Addr
	}
	a := dev{"00:09:fb:00:00:01", "EPIQ 7G", netip.MustParseAddr("10.1.2.11")}
	b := dev{"00:09:fb:00:00:02", "EPIQ 7G", netip.MustParseAddr("10.1.2.12")}
	c := dev{"00:09:fb:00:00:03", "Affiniti 70", netip.MustParseAddr("10.1.2.13")}
	store := func(at time.Time, d dev) observe.Observation {
		o := observe.Observation{Time: at, SrcMAC: mustMAC(d.mac), SrcIP: d.ip, DstIP: pacs, SrcPort: 50000, DstPort: 104, Transport: "tcp", Protocol: "dicom"}
		o.Add("dicom.manufacturer", "Philips")
		o.Add("dicom.model", d.model)
		o.Add("dicom.modality", "US")
		return o
	}
	listens := func(at time.Time, d dev, port uint16) observe.Observation {
		o := observe.Observation{Time: at, SrcMAC: mustMAC(d.mac), SrcIP: d.ip, DstIP: netip.MustParseAddr("10.1.9.99"), SrcPort: port, DstPort: 40000, Transport: "tcp", Protocol: "service"}
		o.Add("service.port", strconv.Itoa(int(port)))
		return o
	}
	opt := threat.DefaultOptions()
	opt.Window = 30 * time.Minute
	opt.MinObservations = 1
	p, ts, _ := newPipeline(t, dbtest.SQLite(t), opt)
	// Learning: all three store images; only A is heard on SMB and Telnet.
	for i := range 20 {
		at := t0.Add(time.Duration(i) * time.Minute)
		for _, d := range []dev{a, b, c} {
			p.Emit(ptr(store(at, d)))
		}
	}
	p.Emit(ptr(listens(t0.Add(5*time.Minute), a, 445)))
	p.Emit(ptr(listens(t0.Add(6*time.Minute), a, 23)))
	p.flush()
	// After learning.
	late := t0.Add(2 * time.Hour)
	p.Emit(ptr(listens(late, b, 445)))
	p.Emit(ptr(listens(late.Add(time.Minute), b, 8080)))
	p.Emit(ptr(listens(late.Add(2*time.Minute), c, 445)))
	p.Emit(ptr(listens(late.Add(3*time.Minute), b, 23)))
	p.flush()
	if p.err != nil {
		t.Fatal(p.err)
	}
	all, err := ts.ListAlerts(p.ctx, threat.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	devs, _, err := p.inv.Devices(p.ctx, inventory.DeviceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	macOf := map[string]string{}
	for _, d := range devs {
		macOf[d.ID] = d.MAC
	}
	got := map[string]bool{}
	for _, al := range all {
		if al.Kind == threat.KindNewService {
			got[al.Broke.Value+"@"+macOf[al.DeviceID]] = true
		}
	}
	want := map[string]bool{"tcp/8080@" + b.mac: true, "tcp/445@" + c.mac: true, "tcp/23@" + b.mac: true}
	for k := range want {
		if !got[k] {
			t.Errorf("no alert %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected alert %s (tcp/445 on the second EPIQ is its product's)", k)
		}
	}
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func ptr(o observe.Observation) *observe.Observation { return &o }
