package inventory_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
)

// TestServiceExpectedForItsProduct: a service first heard after the
// learning period is a configuration change only if no other device of the
// same product already listened on it. Three EPIQ 7G ultrasounds: the
// first is heard on SMB during its baseline; the second is heard on SMB
// only later (a quiet share, not a change), then on 8080 (which no EPIQ
// opened: a change); a device of another product heard on SMB late is a
// change too.
func TestServiceExpectedForItsProduct(t *testing.T) {
	const (
		us1, us2, other = "00:09:fb:00:00:01", "00:09:fb:00:00:02", "00:09:fb:00:00:03"
		client          = "00:50:56:99:99:99"
	)
	store := func(at time.Time, mac, ip, model string) observe.Observation {
		return ob(at, "dicom", mac, ip, pacsMAC, "10.1.9.10", 50000, 104,
			"dicom.manufacturer", "Philips", "dicom.model", model, "dicom.software_versions", "5.0.2", "dicom.modality", "US")
	}
	listens := func(at time.Time, mac, ip string, port uint16) observe.Observation {
		return ob(at, "service", mac, ip, client, "10.1.9.99", port, 40000, "service.port", strconv.Itoa(int(port)))
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newServiceWith(t, d, engine(t), nil)
		ingest(t, s, "",
			store(t0, us1, "10.1.2.11", "EPIQ 7G"),
			listens(t0.Add(10*time.Minute), us1, "10.1.2.11", 445),
			store(t0, us2, "10.1.2.12", "EPIQ 7G"),
			store(t0, other, "10.1.2.13", "Affiniti 70"),
		)
		ingest(t, s, "",
			listens(t0.Add(3*time.Hour), us2, "10.1.2.12", 445),
			listens(t0.Add(3*time.Hour+time.Minute), us2, "10.1.2.12", 8080),
			listens(t0.Add(3*time.Hour+2*time.Minute), other, "10.1.2.13", 445),
		)
		evs := events(t, s)
		got := map[string][]string{}
		for _, e := range evs {
			if e.Type == inventory.EventConfiguration && e.Attribute == "service" {
				got[e.DeviceID] = append(got[e.DeviceID], e.After)
			}
		}
		d2, d3 := byMAC(t, s, "default", us2), byMAC(t, s, "default", other)
		if len(got) != 2 || len(got[d2.ID]) != 1 || got[d2.ID][0] != "tcp/8080" || len(got[d3.ID]) != 1 || got[d3.ID][0] != "tcp/445" {
			t.Errorf("service changes = %v; want only EPIQ #2's 8080 and the Affiniti's 445", got)
		}
		if !hasService(d2, 445) {
			t.Errorf("EPIQ #2 services = %+v: the SMB service is still recorded, just not as a change", d2.Services)
		}
	})
}

func hasService(d *inventory.Device, port uint16) bool {
	for _, s := range d.Services {
		if s.Port == port {
			return true
		}
	}
	return false
}

// TestServiceExpectedWithoutModel: devices whose model is unknown are one
// product by manufacturer, type and operating system (two HP Windows
// machines known from their OUI and DHCP), through the store's query.
func TestServiceExpectedWithoutModel(t *testing.T) {
	const (
		pc1, pc2 = "00:01:e6:00:00:01", "00:01:e6:00:00:02"
		client   = "00:50:56:99:99:98"
	)
	dhcp := func(at time.Time, mac, host string) observe.Observation {
		return ob(at, "dhcp", mac, "0.0.0.0", "ff:ff:ff:ff:ff:ff", "255.255.255.255", 68, 67,
			"dhcp.message_type", "request", "dhcp.client_mac", mac, "dhcp.hostname", host, "dhcp.vendor_class", "MSFT 5.0")
	}
	listens := func(at time.Time, mac, ip string, port uint16) observe.Observation {
		return ob(at, "service", mac, ip, client, "10.1.9.98", port, 40000, "service.port", strconv.Itoa(int(port)))
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newServiceWith(t, d, engine(t), nil)
		// Separate batches: the second PC's fleet comes from the store.
		ingest(t, s, "", dhcp(t0, pc1, "PC-1"), listens(t0.Add(5*time.Minute), pc1, "10.1.4.21", 445))
		ingest(t, s, "", dhcp(t0, pc2, "PC-2"))
		ingest(t, s, "", listens(t0.Add(3*time.Hour), pc2, "10.1.4.22", 445), listens(t0.Add(3*time.Hour+time.Minute), pc2, "10.1.4.22", 5900))
		d2 := byMAC(t, s, "default", pc2)
		if d2.Attr(fingerprint.Model) != "" || d2.Attr(fingerprint.Manufacturer) == "" || d2.Attr(fingerprint.OS) == "" {
			t.Fatalf("test premise: PC-2 identity %q / %q / %q, want a manufacturer and OS and no model",
				d2.Attr(fingerprint.Manufacturer), d2.Attr(fingerprint.Model), d2.Attr(fingerprint.OS))
		}
		var got []string
		for _, e := range events(t, s) {
			if e.Type == inventory.EventConfiguration && e.Attribute == "service" && e.DeviceID == d2.ID {
				got = append(got, e.After)
			}
		}
		if len(got) != 1 || got[0] != "tcp/5900" {
			t.Errorf("PC-2 service changes = %v, want only tcp/5900 (PC-1 had SMB)", got)
		}
	})
}
