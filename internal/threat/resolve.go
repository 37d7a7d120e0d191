package threat

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// Device is what the engine needs to know about an inventory device.
type Device struct {
	ID          string
	Name        string
	Type        string
	Criticality string
}

// Resolver maps a packet's addresses at time t to the device they belong to.
type Resolver interface {
	Resolve(ctx context.Context, site string, mac net.HardwareAddr, ip netip.Addr, t time.Time) (Device, bool, error)
}

// DeviceLister is the part of the inventory the resolver reads.
type DeviceLister interface {
	ListDevices(ctx context.Context, f inventory.DeviceFilter) ([]*inventory.Device, int, error)
}

// InventoryResolver resolves addresses the way the inventory files them:
// by MAC unless that MAC is a router's (routed traffic carries the router
// MAC), then by the IP held at that time. It indexes the site's devices.
// An address it has not met is looked up by key when the inventory can
// (AddressFinder: a few indexed reads, so a new device is known from its
// first batch on); otherwise the site is re-read, at most once per Refresh.
type InventoryResolver struct {
	inv      DeviceLister
	internal func(netip.Addr) bool

	mu     sync.Mutex
	sites  map[string]*siteIndex
	epoch  int
	loaded map[string]int       // site -> epoch of its last load
	at     map[string]time.Time // site -> wall time of its last load
	// MinReload spaces the reloads a lookup miss triggers: a site of 10k
	// devices is not re-read for every batch that names a new device.
	MinReload time.Duration
	// MaxAge re-reads a site indexed longer ago than this on its next
	// lookup (0: never), so merges and lease moves the key lookups did not
	// meet are caught up.
	MaxAge time.Duration
}

// AddressFinder is implemented by inventories that can return, in the form
// of AddressLister, the devices of site that hold any of keys now.
type AddressFinder interface {
	DeviceAddressesByKeys(ctx context.Context, site string, keys []inventory.Key) ([]*inventory.Device, error)
}

type ipHold struct {
	id          string
	first, last time.Time
}

type siteIndex struct {
	devs  map[string]Device
	mac   map[string]string // mac -> id (routers excluded)
	ips   map[netip.Addr][]ipHold
	route map[string]bool // router MACs
	// addrs are each device's indexed MACs and IPs, to replace them when
	// a key lookup reads the device again.
	addrs map[string]devAddrs
	// missed are address keys a lookup found no device for, with the
	// epoch it was in: not asked again until the inventory changes.
	missed map[string]int
}

// maxMissed bounds the remembered misses of a site.
const maxMissed = 65536

type devAddrs struct {
	macs []string
	ips  []netip.Addr
}

func newSiteIndex() *siteIndex {
	return &siteIndex{devs: map[string]Device{}, mac: map[string]string{}, ips: map[netip.Addr][]ipHold{}, route: map[string]bool{},
		addrs: map[string]devAddrs{}, missed: map[string]int{}}
}

// add indexes d, replacing what was indexed for it before.
func (ix *siteIndex) add(d *inventory.Device) {
	if old, ok := ix.addrs[d.ID]; ok {
		for _, m := range old.macs {
			if ix.mac[m] == d.ID {
				delete(ix.mac, m)
			}
		}
		for _, a := range old.ips {
			hs := slices.DeleteFunc(ix.ips[a], func(h ipHold) bool { return h.id == d.ID })
			if len(hs) == 0 {
				delete(ix.ips, a)
			} else {
				ix.ips[a] = hs
			}
		}
	}
	name := d.Attr(fingerprint.Hostname)
	if name == "" {
		name = d.Attr(fingerprint.Model)
	}
	ix.devs[d.ID] = Device{ID: d.ID, Name: name, Type: d.Attr(fingerprint.DeviceType), Criticality: d.Criticality()}
	var da devAddrs
	for _, m := range append([]string{d.MAC}, d.MACs...) {
		if m == "" {
			continue
		}
		if d.Router {
			ix.route[m] = true
			continue
		}
		ix.mac[m] = d.ID
		da.macs = append(da.macs, m)
	}
	for _, rec := range d.IPs {
		a, err := netip.ParseAddr(rec.IP)
		if err != nil {
			continue
		}
		ix.ips[a] = append(ix.ips[a], ipHold{d.ID, rec.First, rec.Last})
		da.ips = append(da.ips, a)
	}
	ix.addrs[d.ID] = da
}

// NewInventoryResolver returns a resolver over inv. Public addresses never
// resolve to a device; internal decides (nil: RFC 1918/ULA and the like).
func NewInventoryResolver(inv DeviceLister, internal func(netip.Addr) bool) *InventoryResolver {
	if internal == nil {
		o := Options{}
		internal = o.internal
	}
	return &InventoryResolver{inv: inv, internal: internal, sites: map[string]*siteIndex{}, loaded: map[string]int{}}
}

// Refresh lets the next unknown address re-read the inventory (call after
// the inventory ingested a batch).
func (r *InventoryResolver) Refresh() {
	r.mu.Lock()
	r.epoch++
	r.mu.Unlock()
}

// AddressLister is implemented by inventories that can list a site's
// devices with only what resolution reads (id, MACs, router flag, IP
// holds, hostname, model and type): a site of 10k devices is re-read on
// lookup misses, and decoding whole documents dominated that.
type AddressLister interface {
	ListDeviceAddresses(ctx context.Context, site string) ([]*inventory.Device, error)
}

func (r *InventoryResolver) load(ctx context.Context, site string) error {
	var devs []*inventory.Device
	var err error
	if al, ok := r.inv.(AddressLister); ok {
		devs, err = al.ListDeviceAddresses(ctx, site)
	} else {
		devs, _, err = r.inv.ListDevices(ctx, inventory.DeviceFilter{Site: site})
	}
	if err != nil {
		return fmt.Errorf("list devices of site %s: %w", site, err)
	}
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	r.at[site] = time.Now()
	ix := newSiteIndex()
	for _, d := range devs {
		ix.add(d)
	}
	r.sites[site] = ix
	r.loaded[site] = r.epoch
	return nil
}

// Product reads device id's product from the inventory as it is now;
// false when too little is known (inventory.ProductOf).
func (r *InventoryResolver) Product(ctx context.Context, site, id string) (inventory.Product, bool, error) {
	ds, _, err := r.inv.ListDevices(ctx, inventory.DeviceFilter{Site: site, IDs: []string{id}})
	if err != nil || len(ds) == 0 {
		return inventory.Product{}, false, err
	}
	p, ok := inventory.ProductOf(ds[0])
	return p, ok, nil
}

// Peers lists up to limit devices of site of product p, by id.
func (r *InventoryResolver) Peers(ctx context.Context, site string, p inventory.Product, limit int) ([]string, error) {
	all, _, err := r.inv.ListDevices(ctx, inventory.DeviceFilter{Site: site, Manufacturer: p.Manufacturer, Sort: "id"})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range all {
		if q, ok := inventory.ProductOf(d); ok && q == p && len(ids) < limit {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

// Resolve implements Resolver.
func (r *InventoryResolver) Resolve(ctx context.Context, site string, mac net.HardwareAddr, ip netip.Addr, t time.Time) (Device, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ix := r.sites[site]
	if ix == nil {
		if err := r.load(ctx, site); err != nil {
			return Device{}, false, err
		}
		ix = r.sites[site]
	}
	if r.MaxAge > 0 && time.Since(r.at[site]) >= r.MaxAge {
		if err := r.load(ctx, site); err != nil {
			return Device{}, false, err
		}
		ix = r.sites[site]
	}
	id := ix.lookup(mac, ip, t, r.internal)
	if id == "" && (ip.IsValid() && r.internal(ip) || len(mac) > 0) {
		if f, ok := r.inv.(AddressFinder); ok {
			var err error
			if id, err = r.find(ctx, f, site, ix, mac, ip, t); err != nil {
				return Device{}, false, err
			}
		} else if r.loaded[site] != r.epoch && (r.MinReload <= 0 || time.Since(r.at[site]) >= r.MinReload) {
			if err := r.load(ctx, site); err != nil {
				return Device{}, false, err
			}
			ix = r.sites[site]
			id = ix.lookup(mac, ip, t, r.internal)
		}
	}
	if id == "" {
		return Device{}, false, nil
	}
	return ix.devs[id], true, nil
}

// find asks the inventory which devices hold mac or ip now, indexes them
// and looks the address up again.
func (r *InventoryResolver) find(ctx context.Context, f AddressFinder, site string, ix *siteIndex, mac net.HardwareAddr, ip netip.Addr, t time.Time) (string, error) {
	var keys []inventory.Key
	if len(mac) == 6 && mac[0]&1 == 0 {
		// A MAC indexed already (a router's, say) has nothing more to give.
		if m := mac.String(); ix.mac[m] == "" && !ix.route[m] {
			keys = append(keys, inventory.Key{Kind: inventory.KeyMAC, Value: m})
		}
	}
	if ip = ip.Unmap(); ip.IsValid() && r.internal(ip) && !ip.IsMulticast() && !ip.IsUnspecified() {
		keys = append(keys, inventory.Key{Kind: inventory.KeyIP, Value: ip.String()}, inventory.Key{Kind: inventory.KeyLease, Value: ip.String()})
	}
	if len(keys) == 0 {
		return "", nil
	}
	miss := mac.String() + " " + ip.String()
	if e, ok := ix.missed[miss]; ok && e == r.epoch {
		return "", nil
	}
	devs, err := f.DeviceAddressesByKeys(ctx, site, keys)
	if err != nil {
		return "", fmt.Errorf("look up devices of site %s: %w", site, err)
	}
	for _, d := range devs {
		ix.add(d)
	}
	id := ix.lookup(mac, ip, t, r.internal)
	if id == "" {
		if len(ix.missed) >= maxMissed {
			clear(ix.missed)
		}
		ix.missed[miss] = r.epoch
	}
	return id, nil
}

func (ix *siteIndex) lookup(mac net.HardwareAddr, ip netip.Addr, t time.Time, internal func(netip.Addr) bool) string {
	ip = ip.Unmap()
	if ip.IsValid() && !internal(ip) {
		return "" // the far end of routed traffic: outside the site
	}
	if ip.IsValid() && (ip.IsMulticast() || ip.IsUnspecified()) {
		ip = netip.Addr{}
	}
	var byMAC string
	m := ""
	if len(mac) == 6 && mac[0]&1 == 0 {
		m = mac.String()
		byMAC = ix.mac[m]
	}
	byIP := ""
	if ip.IsValid() {
		holds := ix.ips[ip]
		var best ipHold
		for _, h := range holds {
			in := !t.Before(h.first) && !t.After(h.last)
			bestIn := !t.Before(best.first) && !t.After(best.last)
			if best.id == "" || in && !bestIn || in == bestIn && h.last.After(best.last) {
				best = h
			}
		}
		byIP = best.id
	}
	switch {
	case byMAC != "" && (byIP == "" || byIP == byMAC):
		return byMAC
	case byIP != "":
		return byIP
	}
	return byMAC
}
