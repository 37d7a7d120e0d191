package threat_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/threat"
)

// countingStore counts how the resolver reads the inventory.
type countingStore struct {
	*sqlstore.Store
	lists, finds int
}

func (c *countingStore) ListDeviceAddresses(ctx context.Context, site string) ([]*inventory.Device, error) {
	c.lists++
	return c.Store.ListDeviceAddresses(ctx, site)
}

func (c *countingStore) DeviceAddressesByKeys(ctx context.Context, site string, keys []inventory.Key) ([]*inventory.Device, error) {
	c.finds++
	return c.Store.DeviceAddressesByKeys(ctx, site, keys)
}

// A device the inventory files after the resolver indexed its site is
// resolved from its first batch on by a key lookup, not a re-read of the
// site; an unknown address is asked once per inventory change.
func TestResolverFindsNewDevicesByKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p, _, st := newPipeline(t, d, threat.DefaultOptions())
		at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		ingest := func(obs ...observe.Observation) {
			t.Helper()
			if _, err := p.inv.Ingest(ctx, "s1", obs); err != nil {
				t.Fatal(err)
			}
		}
		ingest(testutil.DHCP("00:09:fb:00:00:01", "10.1.0.5", "pump-1", at))
		cs := &countingStore{Store: st}
		r := threat.NewInventoryResolver(cs, nil)
		resolve := func(mac, ip string, at time.Time) (threat.Device, bool) {
			t.Helper()
			var m net.HardwareAddr
			if mac != "" {
				m, _ = net.ParseMAC(mac)
			}
			var a netip.Addr
			if ip != "" {
				a = netip.MustParseAddr(ip)
			}
			dv, ok, err := r.Resolve(ctx, "s1", m, a, at)
			if err != nil {
				t.Fatal(err)
			}
			return dv, ok
		}
		if dv, ok := resolve("00:09:fb:00:00:01", "10.1.0.5", at); !ok || dv.Name != "pump-1" {
			t.Fatalf("known device: %+v %v", dv, ok)
		}
		at = at.Add(time.Minute)
		ingest(testutil.DHCP("00:09:fb:00:00:02", "10.1.0.6", "pump-2", at))
		r.Refresh()
		if dv, ok := resolve("00:09:fb:00:00:02", "10.1.0.6", at); !ok || dv.Name != "pump-2" {
			t.Fatalf("new device by MAC: %+v %v", dv, ok)
		}
		if dv, ok := resolve("", "10.1.0.6", at); !ok || dv.Name != "pump-2" {
			t.Fatalf("new device by its IP: %+v %v", dv, ok)
		}
		for range 3 {
			if dv, ok := resolve("", "10.1.0.99", at); ok {
				t.Fatalf("unknown address resolved to %+v", dv)
			}
		}
		if cs.lists != 1 || cs.finds != 2 {
			t.Fatalf("%d site reads and %d key lookups, want 1 and 2 (the new MAC, the unknown IP once)", cs.lists, cs.finds)
		}
		// Once the inventory changed, the unknown address is asked again,
		// and a device that took it is found.
		ingest(testutil.DHCP("00:09:fb:00:00:03", "10.1.0.99", "monitor-3", at))
		r.Refresh()
		if dv, ok := resolve("", "10.1.0.99", at); !ok || dv.Name != "monitor-3" {
			t.Fatalf("address taken by a new device: %+v %v", dv, ok)
		}
		// Public addresses never resolve and cost no lookup.
		if _, ok := resolve("", "8.8.8.8", at); ok {
			t.Fatal("a public address resolved")
		}
		if cs.lists != 1 || cs.finds != 3 {
			t.Fatalf("%d site reads and %d key lookups, want 1 and 3", cs.lists, cs.finds)
		}
		// Past MaxAge the site is read whole again.
		r.MaxAge = time.Nanosecond
		if _, ok := resolve("00:09:fb:00:00:01", "", at); !ok || cs.lists != 2 {
			t.Fatalf("after MaxAge: resolved %v, %d site reads, want 2", ok, cs.lists)
		}
	})
}
