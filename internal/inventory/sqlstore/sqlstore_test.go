package sqlstore_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fleet makes n devices over sites with sparse, tied and missing values
// (lower-case ASCII only, so byte order is every collation's order).
func fleet(n int, sites []string) []*inventory.Device {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []*inventory.Device
	for i := range n {
		d := &inventory.Device{
			ID:        fmt.Sprintf("d%05d", rng.IntN(90000)+10000*(i%2)),
			Site:      sites[i%len(sites)],
			Identity:  identity.Identity{},
			FirstSeen: t0.Add(time.Duration(rng.IntN(1000)) * time.Second),
		}
		d.ID += fmt.Sprintf("x%d", i) // unique
		d.LastSeen = d.FirstSeen.Add(time.Duration(rng.IntN(5)) * time.Hour)
		if rng.IntN(5) > 0 {
			d.MAC = fmt.Sprintf("00:09:fb:00:%02x:%02x", rng.IntN(256), rng.IntN(256))
		}
		if rng.IntN(3) > 0 {
			d.IPs = []inventory.IPRecord{{IP: fmt.Sprintf("10.0.%d.%d", rng.IntN(256), rng.IntN(256)), Source: "observed", First: d.FirstSeen, Last: d.LastSeen}}
		}
		set := func(a fingerprint.Attribute, vals ...string) {
			if v := vals[rng.IntN(len(vals))]; v != "" {
				d.Identity[a] = &identity.Attribute{Value: v, Confidence: 0.9}
			}
		}
		set(fingerprint.Hostname, "", fmt.Sprintf("dev_%d", rng.IntN(50)), fmt.Sprintf("host%03d", rng.IntN(400)))
		set(fingerprint.Manufacturer, "", "", "philips", "siemens", "bd")
		set(fingerprint.Model, "", "m1", "m2")
		set(fingerprint.DeviceType, "", "infusion_pump", "workstation")
		if rng.IntN(4) == 0 {
			d.Location = fmt.Sprintf("ward%d", rng.IntN(3))
		}
		out = append(out, d)
	}
	return out
}

// reference filters and orders like the store is documented to: the
// field ascending or descending, absent values last, then id.
func reference(all []*inventory.Device, sites []string, match func(*inventory.Device) bool, sortBy string) []string {
	desc := strings.HasPrefix(sortBy, "-")
	field := strings.TrimPrefix(sortBy, "-")
	key := func(d *inventory.Device) string {
		switch field {
		case "mac":
			return d.MAC
		case "ip":
			return d.IP()
		case "hostname":
			return d.Attr(fingerprint.Hostname)
		case "manufacturer":
			return d.Attr(fingerprint.Manufacturer)
		case "model":
			return d.Attr(fingerprint.Model)
		case "type":
			return d.Attr(fingerprint.DeviceType)
		case "criticality":
			return d.Criticality()
		case "location":
			return d.Location
		case "first_seen":
			return d.FirstSeen.Format(time.RFC3339Nano)
		case "last_seen":
			return d.LastSeen.Format(time.RFC3339Nano)
		}
		return d.ID
	}
	var sel []*inventory.Device
	for _, d := range all {
		if (sites == nil || slices.Contains(sites, d.Site)) && (match == nil || match(d)) {
			sel = append(sel, d)
		}
	}
	slices.SortFunc(sel, func(x, y *inventory.Device) int {
		kx, ky := key(x), key(y)
		if (kx == "") != (ky == "") {
			if kx == "" {
				return 1
			}
			return -1
		}
		c := strings.Compare(kx, ky)
		if desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(x.ID, y.ID))
	})
	ids := make([]string, len(sel))
	for i, d := range sel {
		ids[i] = d.ID
	}
	return ids
}

func TestListDevicesPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		sites := []string{"s1", "s2", "s3"}
		all := fleet(300, sites)
		if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, all) }); err != nil {
			t.Fatal(err)
		}
		sorts := []string{"id", "mac", "ip", "hostname", "manufacturer", "model", "type", "criticality", "location", "first_seen", "last_seen"}
		scopes := []struct {
			name  string
			f     inventory.DeviceFilter
			sites []string
		}{
			{"one site", inventory.DeviceFilter{Site: "s2"}, []string{"s2"}},
			{"two sites", inventory.DeviceFilter{Sites: []string{"s1", "s3"}}, []string{"s1", "s3"}},
			{"every site", inventory.DeviceFilter{}, nil},
			{"site within sites", inventory.DeviceFilter{Site: "s1", Sites: []string{"s1", "s2"}}, []string{"s1"}},
			{"site outside sites", inventory.DeviceFilter{Site: "s3", Sites: []string{"s1"}}, []string{}},
		}
		for _, sc := range scopes {
			for _, s := range sorts {
				for _, sortBy := range []string{s, "-" + s} {
					want := reference(all, sc.sites, nil, sortBy)
					for _, pg := range []struct{ limit, offset int }{{7, 0}, {50, 30}, {40, 60}, {25, 90}, {1000, 0}, {10, 95}, {10, 400}, {0, 0}, {0, 20}} {
						f := sc.f
						f.Sort, f.Limit, f.Offset = sortBy, pg.limit, pg.offset
						page, total, err := st.ListDevices(ctx, f)
						if err != nil {
							t.Fatalf("%s, %s, %+v: %v", sc.name, sortBy, pg, err)
						}
						lo := min(pg.offset, len(want))
						hi := len(want)
						if pg.limit > 0 {
							hi = min(lo+pg.limit, len(want))
						}
						var got []string
						for _, d := range page {
							got = append(got, d.ID)
						}
						if total != len(want) || !slices.Equal(got, want[lo:hi]) {
							t.Fatalf("%s, sort %s, limit %d offset %d: total %d (want %d)\n got %v\nwant %v", sc.name, sortBy, pg.limit, pg.offset, total, len(want), got, want[lo:hi])
						}
					}
				}
			}
		}
	})
}

// TestSiteTotals checks the per-site totals unfiltered lists report as
// devices are added, move site and merge.
func TestSiteTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all := fleet(40, []string{"s1", "s2"})
		stored := map[string]string{} // id -> site
		put := func(ds ...*inventory.Device) {
			t.Helper()
			if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, ds) }); err != nil {
				t.Fatal(err)
			}
			for _, dv := range ds {
				stored[dv.ID] = dv.Site
			}
		}
		check := func(step string) {
			t.Helper()
			for _, f := range []inventory.DeviceFilter{{Site: "s1"}, {Site: "s2"}, {Sites: []string{"s1", "s2"}}, {}} {
				var want int
				for _, site := range stored {
					if f.Site == "" || site == f.Site {
						want++
					}
				}
				f.Limit = 1
				if _, total, err := st.ListDevices(ctx, f); err != nil || total != want {
					t.Errorf("%s, %+v: total %d, want %d (%v)", step, f, total, want, err)
				}
			}
		}
		put(all[:30]...)
		check("first batch")
		put(all[20:]...) // ten again, ten new
		check("second batch")
		all[3].Site = "s2"
		put(all[3])
		check("moved site")
		if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.MergeDevice(ctx, all[4].ID, all[5].ID) }); err != nil {
			t.Fatal(err)
		}
		delete(stored, all[4].ID)
		check("merged")
		if _, err := st.GetDevice(ctx, all[5].ID); err != nil {
			t.Error(err)
		}
	})
}

// TestMigrateDocuments opens a store written before the documents had
// their own table.
func TestMigrateDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, sqlstore.Component, sqlstore.Migrations[:2]); err != nil {
			t.Fatal(err)
		}
		for i, site := range []string{"s1", "s1", "s2"} {
			_, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO inv_devices(id, site, mac, hostname, first_seen, last_seen, doc) VALUES (?, ?, ?, ?, 1, 2, ?)`),
				fmt.Sprintf("d%d", i), site, fmt.Sprintf("00:09:FB:00:00:0%d", i), fmt.Sprintf("Pump-%d", i),
				fmt.Sprintf(`{"id":"d%d","site":%q,"mac":"00:09:FB:00:00:0%d"}`, i, site, i))
			if err != nil {
				t.Fatal(err)
			}
		}
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		devs, total, err := st.ListDevices(ctx, inventory.DeviceFilter{Site: "s1", Limit: 1})
		if err != nil || total != 2 || len(devs) != 1 || devs[0].ID != "d0" {
			t.Fatalf("site s1: %d devices of %d, %v", len(devs), total, err)
		}
		for q, want := range map[string]int{"pump-1": 1, "00:09:fb": 3, "PUMP": 3, "d2": 1} {
			if devs, _, err := st.ListDevices(ctx, inventory.DeviceFilter{Query: q}); err != nil || len(devs) != want {
				t.Errorf("q %q: %d devices, want %d (%v)", q, len(devs), want, err)
			}
		}
		if dv, err := st.GetDevice(ctx, "d2"); err != nil || dv.Site != "s2" {
			t.Errorf("d2: %+v, %v", dv, err)
		}
	})
}

// TestPutDevicesUpdates re-stores devices of which only last_seen or the
// silent flag changed, and devices with other changes, and lists them.
func TestPutDevicesUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all := fleet(90, []string{"s1"})
		put := func() {
			t.Helper()
			if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, all) }); err != nil {
				t.Fatal(err)
			}
		}
		put()
		for i, dv := range all {
			switch i % 3 {
			case 0:
				dv.LastSeen = dv.LastSeen.Add(time.Duration(i) * time.Hour)
				dv.Silent = i%2 == 0
			case 1:
				dv.Identity[fingerprint.Hostname] = &identity.Attribute{Value: fmt.Sprintf("renamed%02d", i)}
			}
		}
		put()
		yes := true
		for _, f := range []inventory.DeviceFilter{{Sort: "-last_seen", Limit: 90}, {Sort: "hostname", Limit: 90}, {Silent: &yes, Sort: "id", Limit: 90}, {Query: "renamed", Limit: 90}} {
			var match func(*inventory.Device) bool
			if f.Silent != nil {
				match = func(dv *inventory.Device) bool { return dv.Silent }
			}
			if f.Query != "" {
				match = func(dv *inventory.Device) bool { return strings.Contains(dv.Attr(fingerprint.Hostname), f.Query) }
			}
			want := reference(all, nil, match, f.Sort)
			page, total, err := st.ListDevices(ctx, f)
			var got []string
			for _, dv := range page {
				got = append(got, dv.ID)
			}
			if err != nil || total != len(want) || !slices.Equal(got, want) {
				t.Errorf("%+v: total %d (want %d), %v\n got %v\nwant %v", f, total, len(want), err, got, want)
			}
		}
		if dv, err := st.GetDevice(ctx, all[6].ID); err != nil || !dv.LastSeen.Equal(all[6].LastSeen) || !dv.Silent {
			t.Errorf("device 6: %+v, %v", dv, err)
		}
	})
}

// TestListDeviceAddresses checks the partial documents the threat
// resolver reads against the whole ones.
func TestListDeviceAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all := fleet(60, []string{"s1", "s2"})
		all[0].Router, all[0].MACs = true, []string{all[0].MAC, "00:09:fb:ff:ff:01"}
		all[0].Identity[fingerprint.Model] = &identity.Attribute{Value: "m9", Candidates: []identity.Candidate{{Value: "m9"}}}
		if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, all) }); err != nil {
			t.Fatal(err)
		}
		full, _, err := st.ListDevices(ctx, inventory.DeviceFilter{Site: "s1"})
		if err != nil {
			t.Fatal(err)
		}
		part, err := st.ListDeviceAddresses(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if len(part) != len(full) || len(part) != 30 {
			t.Fatalf("%d partial devices, %d whole", len(part), len(full))
		}
		for i, w := range full {
			g := part[i]
			if g.ID != w.ID || g.Site != w.Site || g.MAC != w.MAC || !slices.Equal(g.MACs, w.MACs) || g.Router != w.Router ||
				fmt.Sprint(g.IPs) != fmt.Sprint(w.IPs) || g.Attr(fingerprint.Hostname) != w.Attr(fingerprint.Hostname) ||
				g.Attr(fingerprint.Model) != w.Attr(fingerprint.Model) || g.Attr(fingerprint.DeviceType) != w.Attr(fingerprint.DeviceType) ||
				g.Criticality() != w.Criticality() {
				t.Errorf("device %d: got %+v, want %+v", i, g, w)
			}
		}
	})
}

func TestListDevicesQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all := fleet(200, []string{"s1", "s2"})
		all[0].Identity[fingerprint.Hostname] = &identity.Attribute{Value: "ICU-Pump_7%"}
		if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, all) }); err != nil {
			t.Fatal(err)
		}
		contains := func(q string) func(*inventory.Device) bool {
			q = strings.ToLower(q)
			return func(d *inventory.Device) bool {
				for _, v := range []string{d.ID, d.MAC, d.IP(), d.Attr(fingerprint.Hostname), d.Attr(fingerprint.Manufacturer), d.Attr(fingerprint.Model)} {
					if strings.Contains(strings.ToLower(v), q) {
						return true
					}
				}
				return false
			}
		}
		for _, q := range []string{"dev_1", "DEV_1", "pump_7%", "icu-pump", "00:09:FB", "10.0.1", "philips", "m2", "_", "%", "host1\ndev", "zzz", "s1"} {
			for _, f := range []inventory.DeviceFilter{{Query: q, Sort: "hostname", Limit: 20}, {Query: q, Site: "s1", Sort: "-ip", Limit: 15, Offset: 5}, {Query: q, Sites: []string{"s1", "s2"}, Limit: 500}} {
				var ss []string
				if f.Site != "" {
					ss = []string{f.Site}
				}
				want := reference(all, ss, contains(q), f.Sort)
				page, total, err := st.ListDevices(ctx, f)
				if err != nil {
					t.Fatalf("q %q: %v", q, err)
				}
				lo := min(f.Offset, len(want))
				hi := min(lo+f.Limit, len(want))
				var got []string
				for _, d := range page {
					got = append(got, d.ID)
				}
				if total != len(want) || !slices.Equal(got, want[lo:hi]) {
					t.Errorf("q %q, %+v: total %d (want %d)\n got %v\nwant %v", q, f, total, len(want), got, want[lo:hi])
				}
			}
		}
	})
}

// BenchmarkListDevicesPage pages through a site of an inventory of
// WARD_BENCH_DEVICES devices (default 100,000 over 10 sites) in the orders
// the UI asks for, deep offsets included, as GET /api/v1/devices does.
//
//	go test ./internal/inventory/sqlstore -run '^$' -bench ListDevicesPage -benchtime 200x
func BenchmarkListDevicesPage(b *testing.B) {
	devices := 100_000
	if testing.Short() {
		devices = 10_000
	}
	sites := make([]string, 10)
	for i := range sites {
		sites[i] = fmt.Sprintf("site-%02d", i)
	}
	all := fleet(devices, sites)
	run := func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(all); i += 2000 {
			if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, all[i:min(i+2000, len(all))]) }); err != nil {
				b.Fatal(err)
			}
		}
		per := devices / len(sites)
		for _, c := range []struct {
			name string
			f    func(i int) inventory.DeviceFilter
		}{
			{"site", func(i int) inventory.DeviceFilter {
				return inventory.DeviceFilter{Site: sites[i%len(sites)], Sort: []string{"id", "-last_seen", "hostname", "ip", "-manufacturer", "type"}[i%6],
					Limit: 50, Offset: (i * 7919 % (per / 50)) * 50}
			}},
			{"search", func(i int) inventory.DeviceFilter {
				d := all[i*7919%len(all)]
				return inventory.DeviceFilter{Site: d.Site, Query: strings.ToUpper(d.ID[3:]), Limit: 50}
			}},
			{"all sites", func(i int) inventory.DeviceFilter {
				return inventory.DeviceFilter{Sites: sites, Sort: []string{"id", "-last_seen", "hostname", "ip", "-manufacturer", "type"}[i%6],
					Limit: 50, Offset: (i % 20) * 50}
			}},
		} {
			b.Run(c.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					page, total, err := st.ListDevices(ctx, c.f(i))
					if err != nil || total == 0 || len(page) == 0 {
						b.Fatalf("%d of %d devices, %v", len(page), total, err)
					}
					i++
				}
			})
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, dbtest.Postgres(b)) })
}

func TestDeviceAddressesByKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all := fleet(6, []string{"s1", "s2"})
		if err := st.Update(ctx, func(tx inventory.Tx) error {
			if err := tx.PutDevices(ctx, all); err != nil {
				return err
			}
			// all[0] by MAC, all[2] by its lease, all[4] as an IP-only device;
			// the same MAC at the other site is another device.
			if err := tx.PutKeys(ctx, "s1", []inventory.Key{{Kind: inventory.KeyMAC, Value: "00:09:fb:00:00:01"},
				{Kind: inventory.KeyLease, Value: "10.9.0.2"}, {Kind: inventory.KeyIP, Value: "10.9.0.4"}}, []string{all[0].ID, all[2].ID, all[4].ID}); err != nil {
				return err
			}
			return tx.PutKeys(ctx, "s2", []inventory.Key{{Kind: inventory.KeyMAC, Value: "00:09:fb:00:00:01"}}, []string{all[1].ID})
		}); err != nil {
			t.Fatal(err)
		}
		ids := func(keys ...inventory.Key) []string {
			t.Helper()
			devs, err := st.DeviceAddressesByKeys(ctx, "s1", keys)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, dv := range devs {
				out = append(out, dv.ID)
			}
			return out
		}
		mac := inventory.Key{Kind: inventory.KeyMAC, Value: "00:09:fb:00:00:01"}
		for name, c := range map[string]struct {
			keys []inventory.Key
			want []string
		}{
			"by mac":            {[]inventory.Key{mac}, []string{all[0].ID}},
			"by lease":          {[]inventory.Key{{Kind: inventory.KeyIP, Value: "10.9.0.2"}, {Kind: inventory.KeyLease, Value: "10.9.0.2"}}, []string{all[2].ID}},
			"ip-only":           {[]inventory.Key{{Kind: inventory.KeyIP, Value: "10.9.0.4"}, {Kind: inventory.KeyLease, Value: "10.9.0.4"}}, []string{all[4].ID}},
			"mac and ip, once":  {[]inventory.Key{mac, {Kind: inventory.KeyLease, Value: "10.9.0.2"}, {Kind: inventory.KeyIP, Value: "10.9.0.4"}}, []string{all[0].ID, all[2].ID, all[4].ID}},
			"unknown":           {[]inventory.Key{{Kind: inventory.KeyMAC, Value: "00:09:fb:00:00:99"}}, nil},
			"lease is not a ip": {[]inventory.Key{{Kind: inventory.KeyIP, Value: "10.9.0.2"}}, nil},
		} {
			slices.Sort(c.want) // ordered by id
			if got := ids(c.keys...); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", name, got, c.want)
			}
		}
	})
}

// A device's row follows last_seen in SeenStep steps; its document is exact,
// and a silent flag change is written at once.
func TestSeenStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := sqlstore.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		dv := fleet(1, []string{"s1"})[0]
		start := dv.LastSeen
		put := func() {
			t.Helper()
			if err := st.Update(ctx, func(tx inventory.Tx) error { return tx.PutDevices(ctx, []*inventory.Device{dv}) }); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string, row time.Time, silent int) {
			t.Helper()
			var ns int64
			var s int
			if err := d.QueryRowContext(ctx, d.Rebind(`SELECT last_seen, silent FROM inv_devices WHERE id = ?`), dv.ID).Scan(&ns, &s); err != nil {
				t.Fatal(err)
			}
			if got := time.Unix(0, ns).UTC(); !got.Equal(row) || s != silent {
				t.Errorf("%s: row last_seen %s silent %d, want %s %d", step, got, s, row, silent)
			}
			doc, err := st.GetDevice(ctx, dv.ID)
			if err != nil || !doc.LastSeen.Equal(dv.LastSeen) {
				t.Errorf("%s: document last_seen %v (%v), want %s", step, doc, err, dv.LastSeen)
			}
		}
		put()
		check("new", start, 0)
		dv.LastSeen = start.Add(sqlstore.SeenStep / 2)
		put()
		check("half a step", start, 0)
		dv.LastSeen = start.Add(sqlstore.SeenStep)
		put()
		check("a step", dv.LastSeen, 0)
		dv.Silent = true
		dv.LastSeen = dv.LastSeen.Add(time.Second)
		put()
		check("silent", dv.LastSeen, 1)
	})
}
