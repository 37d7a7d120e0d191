package inventory_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// fieldClaimer is a table-driven stand-in for the fingerprint engine: each
// listed field claims its value for an attribute with a confidence.
type fieldClaimer map[string]struct {
	attr fingerprint.Attribute
	conf float64
}

func (fc fieldClaimer) Claims(o *observe.Observation, out []fingerprint.Claim) []fingerprint.Claim {
	for _, f := range o.Fields {
		if r, ok := fc[f.Key]; ok {
			out = append(out, fingerprint.Claim{Attribute: r.attr, Value: f.Value, Confidence: r.conf,
				Rule: "test-" + f.Key, Protocol: o.Protocol, Field: f.Key, Observed: f.Value})
		}
	}
	return out
}

var claimer = fieldClaimer{
	"dicom.manufacturer":      {fingerprint.Manufacturer, 0.9},
	"dicom.model":             {fingerprint.Model, 0.9},
	"dicom.software_versions": {fingerprint.Version, 0.9},
	"dicom.serial":            {fingerprint.Serial, 0.95},
	"dicom.modality":          {fingerprint.DeviceType, 0.8},
	"hl7.device_manufacturer": {fingerprint.Manufacturer, 0.9},
	"hl7.device_model":        {fingerprint.Model, 0.9},
	"hl7.device_serial":       {fingerprint.Serial, 0.95},
	"hl7.device_software":     {fingerprint.Version, 0.9},
	"hl7.device_type":         {fingerprint.DeviceType, 0.9},
	"dhcp.hostname":           {fingerprint.Hostname, 0.8},
	"syslog.hostname":         {fingerprint.Hostname, 0.6},
	"kerberos.hostname":       {fingerprint.Hostname, 0.7},
	"lldp.med_serial":         {fingerprint.Serial, 0.9},
	"snmp.serial":             {fingerprint.Serial, 0.9},
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// ob builds an observation; kv are field pairs.
func ob(at time.Time, proto, srcMAC, srcIP, dstMAC, dstIP string, sport, dport uint16, kv ...string) observe.Observation {
	o := observe.Observation{Time: at, Protocol: proto, SrcPort: sport, DstPort: dport}
	if srcMAC != "" {
		o.SrcMAC = mac(srcMAC)
	}
	if dstMAC != "" {
		o.DstMAC = mac(dstMAC)
	}
	if srcIP != "" {
		o.SrcIP = ip(srcIP)
	}
	if dstIP != "" {
		o.DstIP = ip(dstIP)
	}
	if sport != 0 || dport != 0 {
		o.Transport = "tcp"
		if proto == "dhcp" || proto == "snmp" {
			o.Transport = "udp"
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Add(kv[i], kv[i+1])
	}
	return o
}

func newService(t testing.TB, d *db.DB, mut func(*inventory.Options)) *inventory.Service {
	t.Helper()
	return newServiceWith(t, d, claimer, mut)
}

// newServiceWith is newService with another claimer (the real rules, engine(t)).
func newServiceWith(t testing.TB, d *db.DB, c inventory.Claimer, mut func(*inventory.Options)) *inventory.Service {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	opt := inventory.DefaultOptions()
	if mut != nil {
		mut(&opt)
	}
	s, err := inventory.New(st, c, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ingest(t testing.TB, s *inventory.Service, site string, obs ...observe.Observation) inventory.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), site, obs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func allDevices(t testing.TB, s *inventory.Service, site string) []*inventory.Device {
	t.Helper()
	devs, _, err := s.Devices(context.Background(), inventory.DeviceFilter{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	return devs
}

func byMAC(t testing.TB, s *inventory.Service, site, m string) *inventory.Device {
	t.Helper()
	for _, d := range allDevices(t, s, site) {
		for _, x := range d.MACs {
			if x == m {
				return d
			}
		}
	}
	t.Fatalf("no device with MAC %s", m)
	return nil
}

func events(t testing.TB, s *inventory.Service) []inventory.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), inventory.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		evs[i].ID = 0
	}
	return evs
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
