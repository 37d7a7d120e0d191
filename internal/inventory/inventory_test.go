package inventory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
)

const (
	monMAC  = "00:09:fb:12:34:56"
	srvMAC  = "00:50:56:aa:bb:cc"
	pacsMAC = "00:50:56:00:01:04"
)

func locations() []inventory.Prefix {
	return []inventory.Prefix{
		{Prefix: netip.MustParsePrefix("10.1.2.0/24"), Name: "ICU-3"},
		{Prefix: netip.MustParsePrefix("10.1.3.0/24"), Name: "ICU-4"},
	}
}

func dhcpAck(at time.Time, yip, circuit string) observe.Observation {
	return ob(at, "dhcp", srvMAC, "10.1.2.1", monMAC, "10.1.2.50", 67, 68,
		"dhcp.message_type", "ack", "dhcp.client_mac", monMAC, "dhcp.your_ip", yip,
		"dhcp.relay_circuit_id", circuit, "dhcp.relay_remote_id", "sw-icu3")
}

func dicomStore(at time.Time, srcIP, version string) observe.Observation {
	return ob(at, "dicom", monMAC, srcIP, pacsMAC, "10.1.9.10", 50000, 104,
		"dicom.calling_ae", "EPIQ1", "dicom.called_ae", "PACS",
		"dicom.manufacturer", "Philips", "dicom.model", "EPIQ 7G", "dicom.software_versions", version,
		"dicom.serial", "SYN-US-004567", "dicom.modality", "ultrasound", "dicom.stores", "2")
}

// lifecycle is a monitor that gets an address, stores images, updates its
// software, opens telnet, moves to another switch port and subnet, and
// goes silent, in four batches.
func lifecycle() [][]observe.Observation {
	return [][]observe.Observation{
		{
			ob(t0, "dhcp", monMAC, "0.0.0.0", "ff:ff:ff:ff:ff:ff", "255.255.255.255", 68, 67,
				"dhcp.message_type", "discover", "dhcp.client_mac", monMAC, "dhcp.hostname", "MON-01"),
			dhcpAck(t0.Add(time.Second), "10.1.2.50", "Gi1/0/17"),
			dicomStore(t0.Add(10*time.Second), "10.1.2.50", "5.0.2"),
			ob(t0.Add(11*time.Second), "service", pacsMAC, "10.1.9.10", monMAC, "10.1.2.50", 104, 50000, "service.port", "104"),
		},
		{
			dicomStore(t0.Add(2*time.Hour), "10.1.2.50", "5.0.3"),
			dicomStore(t0.Add(2*time.Hour+time.Minute), "10.1.2.50", "5.0.3"),
			dicomStore(t0.Add(2*time.Hour+2*time.Minute), "10.1.2.50", "5.0.3"),
			ob(t0.Add(3*time.Hour), "service", monMAC, "10.1.2.50", pacsMAC, "10.1.9.10", 23, 40000, "service.port", "23"),
			ob(t0.Add(3*time.Hour+time.Minute), "flow", monMAC, "10.1.2.50", pacsMAC, "93.184.216.34", 41000, 443,
				"flow.bytes", "1200", "flow.packets", "9", "flow.app", "tls"),
		},
		{
			dhcpAck(t0.Add(4*time.Hour), "10.1.3.77", "Gi1/0/18"),
		},
		{
			ob(t0.Add(11*24*time.Hour), "dicom", monMAC, "10.1.3.77", pacsMAC, "10.1.9.10", 50001, 104, "dicom.calling_ae", "EPIQ1"),
		},
	}
}

type evKey struct {
	Type            inventory.EventType
	Attr, Bef, Aftr string
	At              time.Time
}

func eventsOf(evs []inventory.Event, id string) []evKey {
	var out []evKey
	for _, e := range evs {
		if e.DeviceID == id {
			out = append(out, evKey{e.Type, e.Attribute, e.Before, e.After, e.Time})
		}
	}
	return out
}

func runLifecycle(t *testing.T, s *inventory.Service) {
	t.Helper()
	b := lifecycle()
	for _, batch := range b[:3] {
		ingest(t, s, "", batch...)
	}
	if _, err := s.CheckSilent(context.Background(), "", t0.Add(10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ingest(t, s, "", b[3]...)
}

func TestLifecycleEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, func(o *inventory.Options) { o.Locations = locations() })
		runLifecycle(t, s)
		mon := byMAC(t, s, "default", monMAC)
		want := []evKey{
			{Type: inventory.EventNew, At: t0},
			{Type: inventory.EventSoftware, Attr: "version", Bef: "5.0.2", Aftr: "5.0.3", At: t0.Add(2 * time.Hour)}, // dated at the first report
			{Type: inventory.EventConfiguration, Attr: "service", Aftr: "tcp/23", At: t0.Add(3 * time.Hour)},
			{Type: inventory.EventConfiguration, Attr: "external_destination", Aftr: "93.184.216.34:443", At: t0.Add(3*time.Hour + time.Minute)},
			{Type: inventory.EventMoved, Attr: "subnet", Bef: "10.1.2.0/24", Aftr: "10.1.3.0/24", At: t0.Add(4 * time.Hour)},
			{Type: inventory.EventMoved, Attr: "location", Bef: "ICU-3", Aftr: "ICU-4", At: t0.Add(4 * time.Hour)},
			{Type: inventory.EventMoved, Attr: "switch_port", Bef: "sw-icu3/Gi1/0/17", Aftr: "sw-icu3/Gi1/0/18", At: t0.Add(4 * time.Hour)},
			{Type: inventory.EventSilent, At: t0.Add(4*time.Hour + 7*24*time.Hour)},
			{Type: inventory.EventReturned, At: t0.Add(11 * 24 * time.Hour)},
		}
		if diff := cmp.Diff(want, eventsOf(events(t, s), mon.ID)); diff != "" {
			t.Errorf("monitor events (-want +got):\n%s", diff)
		}

		// What the device looks like after all that.
		if got, want := mon.Attr(fingerprint.Version), "5.0.3"; got != want {
			t.Errorf("version %q, want %q", got, want)
		}
		if got := mon.Attr(fingerprint.Hostname); got != "MON-01" {
			t.Errorf("hostname %q", got)
		}
		if mon.IP() != "10.1.3.77" || mon.IPs[1].IP != "10.1.2.50" || mon.IPs[0].Source != "dhcp-ack" {
			t.Errorf("IP history %+v", mon.IPs)
		}
		if mon.Location != "ICU-4" || mon.SwitchPort != "sw-icu3/Gi1/0/18" {
			t.Errorf("location %q switch port %q", mon.Location, mon.SwitchPort)
		}
		if mon.Criticality() != "diagnostic" {
			t.Errorf("criticality of %q = %q, want diagnostic", mon.Attr(fingerprint.DeviceType), mon.Criticality())
		}
		if !slices.ContainsFunc(mon.Signals, func(s inventory.Signal) bool { return s.Name == "telnet" }) {
			t.Errorf("telnet signal missing: %+v", mon.Signals)
		}
		if len(mon.External) != 1 || mon.External[0].IP != "93.184.216.34" || len(mon.Contacts) != 1 || mon.Contacts[0].Bytes != 1200 {
			t.Errorf("contacts %+v external %+v", mon.Contacts, mon.External)
		}
		if len(mon.Utilization) != 2 || mon.Utilization[0].Stores != 8 || mon.Utilization[0].ActiveHours() != 2 {
			t.Errorf("utilization %+v", mon.Utilization)
		}
		if !slices.Equal(mon.AETitles, []string{"EPIQ1"}) {
			t.Errorf("AE titles %v", mon.AETitles)
		}

		// The DHCP server reported on the monitor; it learned nothing about itself.
		srv := byMAC(t, s, "default", srvMAC)
		if len(srv.Identity) != 0 || srv.IP() != "10.1.2.1" {
			t.Errorf("server got identity %+v / ip %q", srv.Identity, srv.IP())
		}
		// The PACS listens on 104 and knows the monitor as a peer.
		pacs := byMAC(t, s, "default", pacsMAC)
		if len(pacs.Services) != 1 || pacs.Services[0].Port != 104 || pacs.Services[0].Peers[0].IP != "10.1.2.50" {
			t.Errorf("PACS services %+v", pacs.Services)
		}
		if !slices.Equal(pacs.AETitles, []string{"PACS"}) {
			t.Errorf("PACS AE titles %v", pacs.AETitles)
		}
	})
}

func snapshot(t *testing.T, s *inventory.Service) string {
	t.Helper()
	devs := allDevices(t, s, "")
	b, err := json.MarshalIndent(struct {
		Devices []*inventory.Device
		Events  []inventory.Event
	}{devs, events(t, s)}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIdempotentAndSameOnBothStores(t *testing.T) {
	var mu sync.Mutex
	snaps := map[string]string{}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, func(o *inventory.Options) { o.Locations = locations() })
		runLifecycle(t, s)
		first := snapshot(t, s)
		// Re-ingesting every batch changes nothing.
		for _, batch := range lifecycle() {
			if res := ingest(t, s, "", batch...); !res.Skipped {
				t.Errorf("batch at %s re-applied", batch[0].Time)
			}
		}
		if diff := cmp.Diff(first, snapshot(t, s)); diff != "" {
			t.Errorf("re-ingest changed the inventory:\n%s", diff)
		}
		mu.Lock()
		snaps[d.Dialect.String()] = first
		mu.Unlock()
	})
	if len(snaps) == 2 {
		if diff := cmp.Diff(snaps["sqlite"], snaps["postgres"]); diff != "" {
			t.Errorf("SQLite and PostgreSQL inventories differ (-sqlite +postgres):\n%s", diff)
		}
	}
}

// TestHL7RepeatCounts: a sensor reports repeated messages as one
// observation with hl7.messages; utilization counts every message.
func TestHL7RepeatCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, nil)
		mon := "00:09:fb:00:00:07"
		ingest(t, s, "",
			ob(t0, "hl7", mon, "10.1.2.7", "", "10.1.9.20", 40000, 2575,
				"hl7.message_type", "ORU^R01", "hl7.results", "1"),
			ob(t0.Add(time.Minute), "hl7", mon, "10.1.2.7", "", "10.1.9.20", 40000, 2575,
				"hl7.message_type", "ORU^R01", "hl7.messages", "41", "hl7.results", "41"),
		)
		u := byMAC(t, s, "default", mon).Utilization
		if len(u) != 1 || u[0].Msgs != 42 || u[0].Results != 42 {
			t.Errorf("utilization %+v, want 42 messages and 42 results", u)
		}
	})
}

func TestHL7BehindGateway(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, nil)
		gw := "00:50:56:00:00:01"
		ingest(t, s, "",
			ob(t0, "hl7", gw, "10.1.2.5", "", "10.1.9.20", 40000, 2575,
				"hl7.equipment_id", "00-09-FB-FF-FE-12-34-56", "hl7.device_model", "MX800",
				"hl7.device_serial", "SYN-PM-7788", "hl7.device_manufacturer", "Philips", "hl7.results", "4"),
			ob(t0.Add(time.Second), "hl7", gw, "10.1.2.5", "", "10.1.9.20", 40000, 2575,
				"hl7.equipment_id", "00B0940000C0FFEE^BD^00B0940000C0FFEE^EUI-64", "hl7.device_model", "8015",
				"hl7.device_serial", "SYN-IP-12345"),
		)
		bedside := byMAC(t, s, "default", "00:09:fb:12:34:56")
		if bedside.Attr(fingerprint.Model) != "MX800" || bedside.Attr(fingerprint.Serial) != "SYN-PM-7788" || bedside.BehindGateway {
			t.Errorf("EUI-64 with FF-FE should become the MAC device: %+v", bedside)
		}
		if bedside.Utilization[0].Results != 4 {
			t.Errorf("results not counted on the bedside device: %+v", bedside.Utilization)
		}
		g := byMAC(t, s, "default", gw)
		if len(g.Identity) != 0 {
			t.Errorf("gateway got identity claims meant for its devices: %+v", g.Identity)
		}
		var pump *inventory.Device
		for _, d := range allDevices(t, s, "default") {
			if d.EUI64 == "00B0940000C0FFEE" {
				pump = d
			}
		}
		if pump == nil || !pump.BehindGateway || pump.MAC != "" || pump.Attr(fingerprint.Model) != "8015" || !slices.Equal(pump.Gateways, []string{g.ID}) {
			t.Fatalf("pump behind gateway: %+v", pump)
		}
	})
}

func TestResolution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, nil)
		ctx := context.Background()

		t.Run("sites keep overlapping addresses apart", func(t *testing.T) {
			ingest(t, s, "a", ob(t0, "arp", "", "10.0.0.5", "", "", 0, 0, "arp.operation", "request"))
			ingest(t, s, "b", ob(t0, "arp", "", "10.0.0.5", "", "", 0, 0, "arp.operation", "request"))
			if len(allDevices(t, s, "a")) != 1 || len(allDevices(t, s, "b")) != 1 {
				t.Fatal("want one device per site")
			}
			// A MAC later seen with that address adopts the IP-only device.
			ingest(t, s, "a", ob(t0.Add(time.Minute), "arp", "00:1b:21:00:00:05", "", "", "", 0, 0,
				"arp.operation", "reply", "arp.sender_mac", "00:1b:21:00:00:05", "arp.sender_ip", "10.0.0.5"))
			devs := allDevices(t, s, "a")
			if len(devs) != 1 || devs[0].MAC != "00:1b:21:00:00:05" {
				t.Fatalf("IP-only device not adopted: %+v", devs)
			}
		})

		t.Run("random MAC after a long gap is a new device unless the client id matches", func(t *testing.T) {
			r := "02:11:22:33:44:55"
			ingest(t, s, "r", ob(t0, "mdns", r, "10.2.0.9", "", "", 0, 0, "mdns.name", "phone"))
			ingest(t, s, "r", ob(t0.Add(48*time.Hour), "mdns", r, "10.2.0.9", "", "", 0, 0, "mdns.name", "phone"))
			if n := len(allDevices(t, s, "r")); n != 2 {
				t.Errorf("random MAC merged across a 48h gap: %d devices", n)
			}
			// Rotating random MACs with the same DHCP client id are one device.
			for i, m := range []string{"06:00:00:00:00:01", "0a:00:00:00:00:02"} {
				ingest(t, s, "cid", ob(t0.Add(time.Duration(i)*72*time.Hour), "dhcp", m, "0.0.0.0", "", "", 68, 67,
					"dhcp.message_type", "request", "dhcp.client_mac", m, "dhcp.client_id", "01:aa:bb"))
			}
			devs := allDevices(t, s, "cid")
			if len(devs) != 1 || len(devs[0].MACs) != 2 {
				t.Errorf("client id did not join rotating MACs: %+v", devs)
			}
			// Without a client id, the DHCP hostname joins them.
			for i, m := range []string{"06:00:00:00:00:11", "0a:00:00:00:00:12"} {
				ingest(t, s, "host", ob(t0.Add(time.Duration(i)*72*time.Hour), "dhcp", m, "0.0.0.0", "", "", 68, 67,
					"dhcp.message_type", "request", "dhcp.client_mac", m, "dhcp.hostname", "Pixel-7"))
			}
			if devs := allDevices(t, s, "host"); len(devs) != 1 || len(devs[0].MACs) != 2 {
				t.Errorf("hostname did not join rotating MACs: %d devices", len(devs))
			}
		})

		t.Run("two NICs with one serial merge", func(t *testing.T) {
			ingest(t, s, "n", ob(t0, "dicom", "00:1b:21:00:00:0a", "10.3.0.10", "", "10.3.0.1", 50000, 104, "dicom.serial", "SN-77"))
			ingest(t, s, "n", ob(t0.Add(time.Minute), "dicom", "00:1b:21:00:00:0b", "10.4.0.10", "", "10.3.0.1", 50000, 104, "dicom.serial", "SN-77"))
			devs := allDevices(t, s, "n")
			if len(devs) != 1 || len(devs[0].MACs) != 2 || len(devs[0].IPs) != 2 {
				t.Fatalf("NICs not merged: %+v", devs)
			}
			evs, err := s.Events(ctx, inventory.EventFilter{Site: "n"})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.DeviceID != devs[0].ID {
					t.Errorf("event of merged-away device kept its id: %+v", e)
				}
			}
		})

		t.Run("one serial on two products stays two devices", func(t *testing.T) {
			store := func(at time.Time, mac, ip, mfr, model string) observe.Observation {
				return ob(at, "dicom", mac, ip, "", "10.3.0.1", 50000, 104,
					"dicom.manufacturer", mfr, "dicom.model", model, "dicom.serial", "62805")
			}
			ingest(t, s, "ser", store(t0, "00:1b:21:00:00:1a", "10.3.1.10", "Siemens", "SOMATOM go.Up"))
			ingest(t, s, "ser", store(t0.Add(time.Minute), "00:1b:21:00:00:1b", "10.3.1.11", "Nihon Kohden", "BSM-1700"))
			ingest(t, s, "ser", store(t0.Add(2*time.Minute), "00:1b:21:00:00:1c", "10.3.1.12", "Siemens", "SOMATOM X.cite"))
			// The same product through a second NIC still merges, spelled otherwise.
			ingest(t, s, "ser", store(t0.Add(3*time.Minute), "00:1b:21:00:00:1d", "10.3.1.13", "Siemens", "somatom  GO.UP"))
			devs := allDevices(t, s, "ser")
			if len(devs) != 3 {
				t.Fatalf("%d devices, want 3 (two makers and two models share serial 62805)", len(devs))
			}
			for _, d := range devs {
				if d.Attr(fingerprint.Model) == "SOMATOM go.Up" && len(d.MACs) != 2 {
					t.Errorf("the go.Up's two NICs were not merged: %v", d.MACs)
				}
			}
		})

		t.Run("routed traffic behind one router MAC becomes IP-only devices", func(t *testing.T) {
			var obs []observe.Observation
			for i := 1; i <= 20; i++ {
				obs = append(obs, ob(t0.Add(time.Duration(i)*time.Second), "tcp", "00:1b:21:00:00:01", fmt.Sprintf("10.50.0.%d", i), "", "10.1.0.1", 40000, 443))
			}
			ingest(t, s, "routed", obs...)
			devs := allDevices(t, s, "routed")
			var router *inventory.Device
			for _, d := range devs {
				if d.Router {
					router = d
				}
			}
			if router == nil || len(router.IPs) > 9 || len(devs) < 10 {
				t.Errorf("router not recognised: %d devices, router %+v", len(devs), router)
			}
		})

		t.Run("two addresses in use at once are not a move", func(t *testing.T) {
			var obs []observe.Observation
			for i := range 10 {
				obs = append(obs, ob(t0.Add(time.Duration(i)*time.Minute), "tcp", "00:1b:21:00:00:77", []string{"10.7.1.5", "10.7.2.5"}[i%2], "", "10.1.0.1", 40000, 443))
			}
			ingest(t, s, "multi", obs...)
			evs, err := s.Events(ctx, inventory.EventFilter{Site: "multi", Types: []inventory.EventType{inventory.EventMoved}})
			if err != nil || len(evs) != 0 {
				t.Errorf("moved events for a two-address host: %+v %v", evs, err)
			}
		})

		t.Run("HSRP gateway forwards for others and owns only its own address", func(t *testing.T) {
			const gw, host = "00:00:0c:9f:f0:01", "00:1b:21:00:20:05"
			ingest(t, s, "hsrp",
				ob(t0, "tcp", gw, "10.30.0.7", "", "10.20.0.9", 40000, 443), // routed, owner not yet heard
				ob(t0.Add(time.Second), "arp", host, "", "", "", 0, 0, "arp.sender_mac", host, "arp.sender_ip", "10.20.0.5"),
				ob(t0.Add(2*time.Second), "tcp", gw, "10.20.0.5", "", "10.30.0.9", 40000, 443), // routed, owner known
				ob(t0.Add(3*time.Second), "arp", gw, "", "", "", 0, 0, "arp.sender_mac", gw, "arp.sender_ip", "10.20.0.1"),
			)
			g := byMAC(t, s, "hsrp", gw)
			if !g.Router || len(g.IPs) != 1 || g.IP() != "10.20.0.1" {
				t.Errorf("gateway: router %v, IPs %+v", g.Router, g.IPs)
			}
			if h := byMAC(t, s, "hsrp", host); h.Observations != 2 {
				t.Errorf("the routed frame should count on its owner: %d observations", h.Observations)
			}
			if n := len(allDevices(t, s, "hsrp")); n != 3 { // gateway, host, IP-only 10.30.0.7
				t.Errorf("%d devices, want 3", n)
			}
		})

		t.Run("public sources are not devices", func(t *testing.T) {
			ingest(t, s, "pub", ob(t0, "tcp", "", "93.184.216.34", "", "10.0.0.1", 443, 40000))
			if n := len(allDevices(t, s, "pub")); n != 0 {
				t.Errorf("%d devices from a public address", n)
			}
		})
	})
}

func TestListPagingAndFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, nil)
		var obs []observe.Observation
		for i := range 25 {
			obs = append(obs, ob(t0.Add(time.Duration(i)*time.Second), "dicom", fmt.Sprintf("00:1b:21:00:01:%02x", i), fmt.Sprintf("10.9.0.%d", i+1), "", "", 50000, 104,
				"dicom.manufacturer", []string{"Philips", "Siemens"}[i%2]))
		}
		ingest(t, s, "", obs...)
		ctx := context.Background()
		page, total, err := s.Devices(ctx, inventory.DeviceFilter{Manufacturer: "Siemens", Sort: "-last_seen", Limit: 5, Offset: 5})
		if err != nil {
			t.Fatal(err)
		}
		if total != 12 || len(page) != 5 || page[0].LastSeen != t0.Add(13*time.Second) {
			t.Errorf("total %d, page %d, first %v", total, len(page), page[0].LastSeen)
		}
		found, _, err := s.Devices(ctx, inventory.DeviceFilter{Query: "00:1B:21:00:01:0a"})
		if err != nil || len(found) != 1 {
			t.Errorf("query by MAC: %d devices, %v", len(found), err)
		}
		if _, _, err := s.Devices(ctx, inventory.DeviceFilter{Sort: "doc; DROP TABLE x"}); err == nil {
			t.Error("unknown sort column accepted")
		}
		if _, err := s.Device(ctx, "nope"); !errors.Is(err, inventory.ErrNotFound) {
			t.Errorf("missing device: %v", err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := sqlstore.Open(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE ward_schema SET version = ? WHERE component = ?`), len(sqlstore.Migrations)+1, sqlstore.Component); err != nil {
			t.Fatal(err)
		}
		_, err := sqlstore.Open(ctx, d)
		if !errors.Is(err, db.ErrNewerSchema) {
			t.Fatalf("newer schema: got %v, want ErrNewerSchema", err)
		}
	})
}

func TestLoadLocations(t *testing.T) {
	tests := []struct {
		name, in string
		want     []inventory.Prefix
		wantErr  bool
	}{
		{name: "list", in: "other: {x: 1}\nlocations:\n  - subnet: 10.1.2.7/24\n    name: ICU-3\n",
			want: []inventory.Prefix{{Prefix: netip.MustParsePrefix("10.1.2.0/24"), Name: "ICU-3"}}},
		{name: "none", in: "sensor: {}\n"},
		{name: "unknown field", in: "locations:\n  - subnet: 10.0.0.0/8\n    nme: x\n", wantErr: true},
		{name: "bad subnet", in: "locations:\n  - subnet: 10.0.0.0/33\n    name: x\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inventory.LoadLocations(stringsReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" && !tt.wantErr {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	const cli, srv = "00:1b:21:00:00:c1", "00:1b:21:00:00:5e"
	tests := []struct {
		name   string
		o      observe.Observation
		holder string // MAC of the device that must carry the signal
		signal string
	}{
		{"snmp community on the agent", ob(t0, "snmp", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 161, "snmp.cleartext_community", "true"), srv, "snmp_cleartext_community"},
		{"basic auth on the web server", ob(t0, "http", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 80, "http.cleartext_credentials", "basic"), srv, "http_basic_auth"},
		{"legacy TLS on the speaker", ob(t0, "tls", srv, "10.0.0.2", cli, "10.0.0.1", 443, 50000, "tls.version", "1.0"), srv, "tls_legacy_version"},
		{"self-signed certificate", ob(t0, "tls", srv, "10.0.0.2", cli, "10.0.0.1", 443, 50000, "tls.cert_self_signed", "true"), srv, "tls_self_signed"},
		{"expired certificate", ob(t0, "tls", srv, "10.0.0.2", cli, "10.0.0.1", 443, 50000, "tls.cert_expired", "true"), srv, "tls_cert_expired"},
		{"SMBv1 offered by the client", ob(t0, "smb", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 445, "smb.smbv1", "true"), cli, "smbv1"},
		{"SSH-1 accepted by the server", ob(t0, "ssh", srv, "10.0.0.2", cli, "10.0.0.1", 22, 50000, "ssh.version", "1.99", "ssh.role", "server"), srv, "sshv1"},
		{"FTP password in cleartext, on the server", ob(t0, "ftp", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 21, "ftp.cleartext_password", "seen"), srv, "ftp_cleartext_password"},
		{"anonymous FTP, on the server", ob(t0, "ftp", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 21, "ftp.anonymous_login", "seen"), srv, "ftp_anonymous_login"},
		{"RDP without NLA, on the server", ob(t0, "rdp", srv, "10.0.0.2", cli, "10.0.0.1", 3389, 50000, "rdp.selected_protocol", "ssl"), srv, "rdp_without_nla"},
		{"RDP standard security (no negotiation)", ob(t0, "rdp", srv, "10.0.0.2", cli, "10.0.0.1", 3389, 50000, "rdp.selected_protocol", "rdp", "rdp.negotiation", "none"), srv, "rdp_standard_security"},
		{"RDP's own certificate is not a self-signed finding", ob(t0, "tls", srv, "10.0.0.2", cli, "10.0.0.1", 3389, 50000, "tls.cert_self_signed", "true", "tls.carrier", "rdp"), "", "tls_self_signed"},
		{"MQTT password in cleartext, on the broker", ob(t0, "mqtt", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 1883, "mqtt.cleartext_password", "seen"), srv, "mqtt_cleartext_password"},
		{"MQTT broker letting anonymous clients in", ob(t0, "mqtt", srv, "10.0.0.2", cli, "10.0.0.1", 1883, 50000, "mqtt.connack", "accepted", "mqtt.anonymous", "accepted"), srv, "mqtt_anonymous_access"},
		{"SMTP AUTH in cleartext, on the server", ob(t0, "smtp", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 25, "smtp.cleartext_auth", "LOGIN"), srv, "smtp_cleartext_auth"},
		{"Kerberos RC4 or DES offered, on the client", ob(t0, "kerberos", cli, "10.0.0.1", srv, "10.0.0.2", 50000, 88, "kerberos.message", "as_req", "kerberos.weak_etypes", "rc4,des"), cli, "kerberos_weak_encryption"},
		{"Kerberos RC4 ticket, on the KDC", ob(t0, "kerberos", srv, "10.0.0.2", cli, "10.0.0.1", 88, 50000, "kerberos.role", "kdc", "kerberos.ticket_etype", "23"), srv, "kerberos_rc4_ticket"},
		{"Kerberos AES ticket is no finding", ob(t0, "kerberos", srv, "10.0.0.2", cli, "10.0.0.1", 88, 50000, "kerberos.role", "kdc", "kerberos.ticket_etype", "18"), "", "kerberos_rc4_ticket"},
		{"Modbus write accepted, on the controller", ob(t0, "modbus", srv, "10.0.0.2", cli, "10.0.0.1", 502, 50000, "modbus.role", "server", "modbus.writes", "1"), srv, "modbus_write_accepted"},
		{"Modbus polling alone is no finding", ob(t0, "modbus", srv, "10.0.0.2", cli, "10.0.0.1", 502, 50000, "modbus.role", "server", "modbus.unit_id", "1"), "", "modbus_write_accepted"},
		{"telnet listener", ob(t0, "service", srv, "10.0.0.2", cli, "10.0.0.1", 23, 50000, "service.port", "23"), srv, "telnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, dbtest.SQLite(t), nil)
			// Both ends exist first, as they would after any traffic.
			ingest(t, s, "", ob(t0.Add(-time.Minute), "arp", cli, "10.0.0.1", "", "", 0, 0), ob(t0.Add(-time.Minute), "arp", srv, "10.0.0.2", "", "", 0, 0))
			ingest(t, s, "", tt.o)
			for _, m := range []string{cli, srv} {
				d := byMAC(t, s, "default", m)
				has := slices.ContainsFunc(d.Signals, func(x inventory.Signal) bool { return x.Name == tt.signal })
				if has != (m == tt.holder) {
					t.Errorf("device %s signals %+v; want %s only on %s", m, d.Signals, tt.signal, tt.holder)
				}
				for _, x := range d.Signals {
					if x.Name == "snmp_cleartext_community" && x.Value != "" {
						t.Errorf("community value kept: %q", x.Value)
					}
				}
			}
		})
	}
}

func TestHL7DirectDevice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d, nil)
		const pump = "00:b0:94:00:c0:ee"
		ingest(t, s, "",
			ob(t0, "hl7", pump, "10.1.2.7", "", "10.1.9.20", 40000, 2575,
				"hl7.sending_application", "ALARIS^00B094FFFE00C0EE^EUI-64", "hl7.results", "2"),
			ob(t0, "hl7", pump, "10.1.2.7", "", "10.1.9.20", 40000, 2575,
				"hl7.equipment_id", "00B094FFFE00C0EE^BD^00B094FFFE00C0EE^EUI-64", "hl7.device_model", "8015", "hl7.device_serial", "SYN-IP-12345"),
		)
		devs := allDevices(t, s, "default")
		if len(devs) != 1 {
			t.Fatalf("a device reporting on itself became %d devices", len(devs))
		}
		p := devs[0]
		if p.MAC != pump || p.EUI64 != "00B094FFFE00C0EE" || p.BehindGateway || p.Attr(fingerprint.Serial) != "SYN-IP-12345" || p.Observations != 2 {
			t.Errorf("direct device: %+v", p)
		}
	})
}

// A DNS server forwards its clients' look-ups upstream: names it asks for
// once it is known to answer DNS are not evidence about it; a client's own
// look-ups still are.
func TestResolverLookupsAreNotItsIdentity(t *testing.T) {
	st, err := sqlstore.Open(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	cl := fieldClaimer{"dns.query": {fingerprint.Manufacturer, 0.2}}
	s, err := inventory.New(st, cl, inventory.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	const resolver, client = "00:50:56:00:00:53", "00:09:fb:00:00:01"
	udp := func(o observe.Observation) observe.Observation { o.Transport = "udp"; return o }
	ingest(t, s, "s",
		// The resolver answers a client: it serves udp/53.
		udp(ob(t0, "service", resolver, "10.0.0.53", client, "10.0.1.5", 53, 50000, "service.port", "53")),
		// It then asks upstream for a name on the client's behalf...
		udp(ob(t0.Add(time.Second), "dns", resolver, "10.0.0.53", "00:00:0c:9f:f0:01", "8.8.8.8", 40000, 53, "dns.query", "us-kardia-production.alivecor.com")),
		// ...and the client asks for one itself.
		udp(ob(t0.Add(2*time.Second), "dns", client, "10.0.1.5", resolver, "10.0.0.53", 50001, 53, "dns.query", "api.withings.net")))
	if got := byMAC(t, s, "s", resolver).Attr(fingerprint.Manufacturer); got != "" {
		t.Errorf("resolver manufacturer %q from a forwarded look-up, want none", got)
	}
	if got := byMAC(t, s, "s", client).Attr(fingerprint.Manufacturer); got != "api.withings.net" {
		t.Errorf("client manufacturer %q, want its own look-up's claim", got)
	}
	// A look-up heard before the device was seen answering is forgotten
	// once it is.
	const late = "00:50:56:00:01:53"
	ingest(t, s, "s", udp(ob(t0.Add(3*time.Second), "dns", late, "10.0.0.54", "00:00:0c:9f:f0:01", "8.8.8.8", 40001, 53, "dns.query", "app.alivecor.com")))
	if got := byMAC(t, s, "s", late).Attr(fingerprint.Manufacturer); got != "app.alivecor.com" {
		t.Fatalf("before it answers, a look-up counts: %q", got)
	}
	ingest(t, s, "s", udp(ob(t0.Add(4*time.Second), "service", late, "10.0.0.54", client, "10.0.1.5", 53, 50002, "service.port", "53")))
	if got := byMAC(t, s, "s", late).Attr(fingerprint.Manufacturer); got != "" {
		t.Errorf("resolver keeps manufacturer %q from a look-up heard before it answered", got)
	}
}

// A PACS that forwards the objects of several modalities is not any of
// them: after the second device's object its dataset evidence is
// forgotten, it is typed as an archive, and the modality it forwarded for
// stays a device of its own when heard directly (its serial does not pull
// it into the PACS).
func TestForwardingPACS(t *testing.T) {
	s := newService(t, dbtest.SQLite(t), nil)
	const pacs, ct = "00:50:56:00:0a:01", "00:09:fb:00:0c:01"
	store := func(at time.Time, srcMAC, srcIP, mfr, model, serial, modality string) observe.Observation {
		return ob(at, "dicom", srcMAC, srcIP, "", "10.5.0.200", 50000, 104, "dicom.manufacturer", mfr, "dicom.model", model,
			"dicom.serial", serial, "dicom.modality", modality)
	}
	ingest(t, s, "h", store(t0, pacs, "10.5.0.2", "GE HealthCare", "LightSpeed VCT", "CT-1", "CT"))
	if d := byMAC(t, s, "h", pacs); d.Attr(fingerprint.Serial) != "CT-1" {
		t.Fatalf("one forwarded object is indistinguishable from a modality: %+v", d.Identity)
	}
	ingest(t, s, "h", store(t0.Add(time.Minute), pacs, "10.5.0.2", "Siemens Healthineers", "MAGNETOM Skyra", "MR-9", "MR"),
		store(t0.Add(2*time.Minute), pacs, "10.5.0.2", "GE HealthCare", "LightSpeed VCT", "CT-1", "CT"))
	d := byMAC(t, s, "h", pacs)
	for _, a := range []fingerprint.Attribute{fingerprint.Manufacturer, fingerprint.Model, fingerprint.Serial} {
		if v := d.Attr(a); v != "" {
			t.Errorf("forwarder keeps %s %q", a, v)
		}
	}
	if d.Attr(fingerprint.DeviceType) != "pacs" || len(d.DICOMSources) != 2 {
		t.Errorf("forwarder type %q, sources %v", d.Attr(fingerprint.DeviceType), d.DICOMSources)
	}
	ingest(t, s, "h", store(t0.Add(3*time.Minute), ct, "10.5.0.10", "GE HealthCare", "LightSpeed VCT", "CT-1", "CT"))
	if n := len(allDevices(t, s, "h")); n != 2 {
		t.Fatalf("%d devices, want the PACS and the CT apart", n)
	}
	if c := byMAC(t, s, "h", ct); c.Attr(fingerprint.Serial) != "CT-1" || c.Attr(fingerprint.Model) != "LightSpeed VCT" {
		t.Errorf("CT identity %+v", c.Identity)
	}
}

// An interface engine that passes on PCD-01 messages whose MSH-3 names each
// monitor by EUI-64 is none of them: after the second monitor, what they
// lent it is forgotten and the monitors are filed behind it.
// A host names itself in its syslog messages; a relay passes on many
// hosts' messages under their names and must not take any of them.
func TestSyslogRelay(t *testing.T) {
	s := newService(t, dbtest.SQLite(t), nil)
	const host, relay = "00:50:56:00:08:01", "00:50:56:00:08:02"
	msg := func(at time.Time, mac, ip, name string) observe.Observation {
		return ob(at, "syslog", mac, ip, "", "10.7.0.9", 514, 514, "syslog.hostname", name, "syslog.app", "kernel")
	}
	ingest(t, s, "h", msg(t0, host, "10.7.0.5", "pacs-gw01"), msg(t0.Add(time.Second), host, "10.7.0.5", "pacs-gw01"))
	if h := byMAC(t, s, "h", host).Attr(fingerprint.Hostname); h != "pacs-gw01" {
		t.Fatalf("a host's own syslog name: %q", h)
	}
	ingest(t, s, "h", msg(t0, relay, "10.7.0.6", "pump-srv"))
	if h := byMAC(t, s, "h", relay).Attr(fingerprint.Hostname); h != "pump-srv" {
		t.Fatalf("one name is indistinguishable from the host's own: %q", h)
	}
	ingest(t, s, "h", msg(t0.Add(time.Minute), relay, "10.7.0.6", "icu-gw"), msg(t0.Add(2*time.Minute), relay, "10.7.0.6", "pump-srv"))
	r := byMAC(t, s, "h", relay)
	if h := r.Attr(fingerprint.Hostname); h != "" || len(r.SyslogHosts) != 2 {
		t.Errorf("relay keeps hostname %q (names %v)", h, r.SyslogHosts)
	}
}

func TestHL7ForwardingEngine(t *testing.T) {
	s := newService(t, dbtest.SQLite(t), nil)
	const engine = "00:50:56:00:07:01"
	msg := func(at time.Time, eui, model, serial string) []observe.Observation {
		app := "IntelliVue_" + model + "^" + eui + "^EUI-64"
		return []observe.Observation{
			ob(at, "hl7", engine, "10.6.0.5", "", "10.6.0.9", 40000, 2575, "hl7.sending_application", app, "hl7.message_type", "ORU^R01"),
			ob(at, "hl7", engine, "10.6.0.5", "", "10.6.0.9", 40000, 2575, "hl7.sending_application", app,
				"hl7.equipment_id", eui+"^Philips^"+eui+"^EUI-64", "hl7.device_model", model, "hl7.device_serial", serial, "hl7.device_manufacturer", "Philips"),
		}
	}
	ingest(t, s, "h", msg(t0, "0009FB0000000001", "MX800", "SN-1")...)
	if e := byMAC(t, s, "h", engine); e.Attr(fingerprint.Serial) != "SN-1" {
		t.Fatalf("one monitor's messages are indistinguishable from the monitor: %+v", e.Identity)
	}
	ingest(t, s, "h", msg(t0.Add(time.Minute), "0009FB0000000002", "MX450", "SN-2")...)
	ingest(t, s, "h", msg(t0.Add(2*time.Minute), "0009FB0000000001", "MX800", "SN-1")...)
	e := byMAC(t, s, "h", engine)
	for _, a := range []fingerprint.Attribute{fingerprint.Manufacturer, fingerprint.Model, fingerprint.Serial} {
		if v := e.Attr(a); v != "" {
			t.Errorf("engine keeps %s %q", a, v)
		}
	}
	if e.EUI64 != "" || len(e.HL7Senders) != 2 {
		t.Errorf("engine EUI-64 %q, senders %v", e.EUI64, e.HL7Senders)
	}
	found := map[string]string{}
	for _, d := range allDevices(t, s, "h") {
		if d.ID != e.ID && d.BehindGateway && slices.Contains(d.Gateways, e.ID) {
			found[d.EUI64] = d.Attr(fingerprint.Serial)
		}
	}
	if found["0009FB0000000001"] != "SN-1" || found["0009FB0000000002"] != "SN-2" {
		t.Errorf("monitors behind the engine: %v", found)
	}
}

// TestKerberosReplyNamesClient: a KDC's reply names the machine account of
// the client it answers (its TGS-REQ could not); the name goes to that
// client, never to the KDC.
func TestKerberosReplyNamesClient(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	const kdc, ws = "00:50:56:00:00:01", "00:0c:29:00:00:02"
	s := newService(t, dbtest.SQLite(t), nil)
	ingest(t, s, "", ob(t0, "arp", kdc, "10.5.3.1", "", "", 0, 0), ob(t0, "arp", ws, "10.1.12.2", "", "", 0, 0))
	ingest(t, s, "", ob(t0.Add(time.Second), "kerberos", kdc, "10.5.3.1", ws, "10.1.12.2", 88, 1071,
		"kerberos.message", "tgs_rep", "kerberos.role", "kdc", "kerberos.client_hostname", "XP1", "kerberos.realm", "DENYDC.COM"))
	if got := byMAC(t, s, "default", ws).Attr(fingerprint.Hostname); got != "XP1" {
		t.Errorf("client hostname %q, want XP1", got)
	}
	if got := byMAC(t, s, "default", kdc).Attr(fingerprint.Hostname); got != "" {
		t.Errorf("the KDC took the client's name %q", got)
	}
	// A request, or a reply without the KDC role, credits no one else.
	ingest(t, s, "", ob(t0.Add(2*time.Second), "kerberos", ws, "10.1.12.2", kdc, "10.5.3.1", 1072, 88,
		"kerberos.message", "tgs_req", "kerberos.client_hostname", "OTHER"))
	if got := byMAC(t, s, "default", kdc).Attr(fingerprint.Hostname); got != "" {
		t.Errorf("a request named the KDC %q", got)
	}
}

// TestBACnetForwardedCredited: a BBMD passes on a controller's answer from
// another subnet; the answer describes the controller at the address the
// Forwarded-NPDU names, never the BBMD that sent the packet, and one that
// also crossed a BACnet router credits no one.
func TestBACnetForwardedCredited(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	const bbmd = "00:50:56:00:00:0b"
	st, err := sqlstore.Open(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := inventory.New(st, engine(t), inventory.DefaultOptions()) // the real BACnet rules
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, "", ob(t0, "bacnet", bbmd, "10.20.0.2", "00:0c:29:00:00:05", "10.20.0.9", 47808, 47808,
		"bacnet.forwarded_from", "10.31.4.17:47808", "bacnet.vendor_id", "5", "bacnet.model_name", "MS-NAE5510-2",
		"bacnet.location", "Plant room B2", "bacnet.device_instance", "100"))
	if got := byMAC(t, s, "default", bbmd); got.Attr(fingerprint.Manufacturer) != "" || got.Location != "" {
		t.Errorf("the BBMD took the controller's identity: %q, %q", got.Attr(fingerprint.Manufacturer), got.Location)
	}
	var ctl *inventory.Device
	for _, d := range allDevices(t, s, "") {
		for _, ip := range d.IPs {
			if ip.IP == "10.31.4.17" {
				ctl = d
			}
		}
	}
	if ctl == nil {
		t.Fatal("no device at the forwarded address 10.31.4.17")
	}
	if ctl.Attr(fingerprint.Manufacturer) != "Johnson Controls" || ctl.Attr(fingerprint.Model) != "MS-NAE5510-2" || ctl.Location != "Plant room B2" {
		t.Errorf("controller: %q %q at %q", ctl.Attr(fingerprint.Manufacturer), ctl.Attr(fingerprint.Model), ctl.Location)
	}
	// Through a router as well: the forwarded address is the router's.
	ingest(t, s, "", ob(t0.Add(time.Second), "bacnet", bbmd, "10.20.0.2", "00:0c:29:00:00:05", "10.20.0.9", 47808, 47808,
		"bacnet.forwarded_from", "10.31.4.1:47808", "bacnet.source_network", "5", "bacnet.vendor_id", "17"))
	for _, d := range allDevices(t, s, "") {
		for _, ip := range d.IPs {
			if ip.IP == "10.31.4.1" {
				t.Errorf("the router at 10.31.4.1 became a device: %+v", d.Identity)
			}
		}
	}
}

// TestSoftwarePackageUpdate: a Debian server's SSH banner names its
// package; a security update raises the revision, which is a software
// update of the same program (TestSameSoftware: another program is not).
func TestSoftwarePackageUpdate(t *testing.T) {
	e := engine(t)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newServiceWith(t, d, e, nil)
		banner := func(at time.Time, sw, comments string) observe.Observation {
			return ob(at, "ssh", srvMAC, "10.1.2.1", monMAC, "10.1.2.50", 22, 50000,
				"ssh.software", sw, "ssh.comments", comments, "ssh.role", "server")
		}
		var first, second []observe.Observation
		for i := range 3 {
			first = append(first, banner(t0.Add(time.Duration(i)*time.Minute), "OpenSSH_9.2p1", "Debian-2+deb12u2"))
			second = append(second, banner(t0.Add(24*time.Hour+time.Duration(i)*time.Minute), "OpenSSH_9.2p1", "Debian-2+deb12u3"))
		}
		ingest(t, s, "", first...)
		ingest(t, s, "", second...)
		srv := byMAC(t, s, "default", srvMAC)
		if got := srv.Attr(fingerprint.Software); got != "OpenSSH 9.2p1 Debian-2+deb12u3" {
			t.Errorf("software %q", got)
		}
		var got []evKey
		for _, e := range eventsOf(events(t, s), srv.ID) {
			if e.Type == inventory.EventSoftware {
				got = append(got, e)
			}
		}
		want := []evKey{{Type: inventory.EventSoftware, Attr: "software", Bef: "OpenSSH 9.2p1 Debian-2+deb12u2", Aftr: "OpenSSH 9.2p1 Debian-2+deb12u3", At: t0.Add(24 * time.Hour)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("software events (-want +got):\n%s", diff)
		}
	})
}

// TestOSBuildNotApplianceVersion: a central station (typed by its HL7
// sending application) whose only version evidence is its Windows build
// gets no version; a workstation keeps its build as its version.
func TestOSBuildNotApplianceVersion(t *testing.T) {
	e := engine(t)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newServiceWith(t, d, e, nil)
		const piic, ws = "f8:0d:ac:00:00:01", "00:50:56:00:00:02"
		ntlm := func(at time.Time, m, ip string) observe.Observation {
			return ob(at, "smb", m, ip, srvMAC, "10.1.2.1", 50000, 445, "smb.ntlm_version", "10.0.14393")
		}
		ingest(t, s, "",
			ntlm(t0, piic, "10.1.2.60"),
			ob(t0.Add(time.Minute), "hl7", piic, "10.1.2.60", srvMAC, "10.1.2.1", 50001, 2575,
				"hl7.sending_application", "PIIC_iX", "hl7.message_type", "ORU^R01"),
			ntlm(t0.Add(2*time.Minute), piic, "10.1.2.60"),
			ntlm(t0, ws, "10.1.2.61"),
			ob(t0.Add(time.Minute), "http", ws, "10.1.2.61", srvMAC, "10.1.2.1", 50002, 80,
				"http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"),
		)
		gw := byMAC(t, s, "default", piic)
		if typ, v := gw.Attr(fingerprint.DeviceType), gw.Attr(fingerprint.Version); typ != "monitoring_gateway" || v != "" {
			t.Errorf("central station: type %q, version %q; want monitoring_gateway and no version", typ, v)
		}
		if c := gw.Identity[fingerprint.Version]; c == nil || len(c.Candidates) == 0 {
			t.Error("the build's evidence was dropped, not only withheld")
		}
		pc := byMAC(t, s, "default", ws)
		if typ, v := pc.Attr(fingerprint.DeviceType), pc.Attr(fingerprint.Version); typ != "workstation" || v != "10.0.14393" {
			t.Errorf("workstation: type %q, version %q", typ, v)
		}
	})
}
