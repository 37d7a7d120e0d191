package inventory

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/observe"
)

// batch is the working set of one transaction: devices loaded or created,
// key changes, and events, written back by flush.
type batch struct {
	s       *Service
	ctx     context.Context
	tx      Tx
	site    string
	devs    map[string]*Device
	keys    map[Key]string // cache of the key table; "" = known absent
	putKeys map[Key]string
	delKeys map[Key]bool
	dirty   map[string]bool
	created map[string]bool
	merges  [][2]string // from, into
	events  []Event
	// newSvc are the service events of this batch: services first heard
	// after a device's learning period, kept only if no device of the same
	// product had them (see expectedServices).
	newSvc []Event
	clock  time.Time
	claims []fingerprint.Claim   // of the observation being applied
	pre    [][]fingerprint.Claim // per observation, computed by prefetch
}

func (s *Service) newBatch(ctx context.Context, tx Tx, site string) *batch {
	return &batch{s: s, ctx: ctx, tx: tx, site: site,
		devs: map[string]*Device{}, keys: map[Key]string{}, putKeys: map[Key]string{}, delKeys: map[Key]bool{},
		dirty: map[string]bool{}, created: map[string]bool{}}
}

func (b *batch) updated() int {
	n := 0
	for id := range b.dirty {
		if !b.created[id] && b.devs[id] != nil {
			n++
		}
	}
	return n
}

// prefetch loads, in bulk, the devices the batch's addresses point to, so
// the per-observation lookups hit memory.
func (b *batch) prefetch(obs []observe.Observation) error {
	seen := map[Key]bool{}
	var keys []Key
	add := func(k Key) {
		if k.Value != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for i := range obs {
		o := &obs[i]
		for _, m := range []net.HardwareAddr{o.SrcMAC, o.DstMAC} {
			add(Key{KeyMAC, usableMAC(m)})
		}
		if v, ok := o.Get("dhcp.client_mac"); ok {
			if m, err := net.ParseMAC(v); err == nil {
				add(Key{KeyMAC, usableMAC(m)})
			}
		}
		for _, a := range []netip.Addr{o.SrcIP, o.DstIP} {
			if a = usableIP(a); a.IsValid() {
				add(Key{KeyIP, a.String()})
				add(Key{KeyLease, a.String()})
			}
		}
		if v, ok := o.Get("arp.sender_mac"); ok {
			if m, err := net.ParseMAC(v); err == nil {
				add(Key{KeyMAC, usableMAC(m)})
			}
		}
		if v, ok := o.Get("arp.sender_ip"); ok {
			if a, err := netip.ParseAddr(v); err == nil && usableIP(a).IsValid() {
				add(Key{KeyIP, usableIP(a).String()})
				add(Key{KeyLease, usableIP(a).String()})
			}
		}
		if v, ok := o.Get("dhcp.client_id"); ok {
			add(Key{KeyClientID, v})
		}
		if v, ok := o.Get("hl7.equipment_id"); ok {
			eui, _ := parseEquipment(v)
			add(Key{KeyEUI64, eui})
		}
		// Claims are computed here, once, so that serial numbers (which
		// merge devices) can be looked up in bulk too.
		claims := b.s.claimer.Claims(o, nil)
		b.pre = append(b.pre, claims)
		for _, c := range claims {
			if c.Attribute == fingerprint.Serial {
				add(serialKey(c.Value))
			}
		}
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		found, err := b.tx.LookupKeys(b.ctx, b.site, chunk)
		if err != nil {
			return err
		}
		var ids []string
		for _, k := range chunk {
			id := found[k]
			b.keys[k] = id
			if id != "" && b.devs[id] == nil {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		devs, err := b.tx.LoadDevices(b.ctx, ids)
		if err != nil {
			return err
		}
		for id, d := range devs {
			if d.Identity == nil {
				d.Identity = identity.Identity{}
			}
			b.devs[id] = d
		}
	}
	return nil
}

// lookup returns the device a key points to, or nil.
func (b *batch) lookup(k Key) (*Device, error) {
	if k.Value == "" {
		return nil, nil
	}
	id, ok := b.keys[k]
	if !ok {
		found, err := b.tx.LookupKeys(b.ctx, b.site, []Key{k})
		if err != nil {
			return nil, err
		}
		id = found[k]
		b.keys[k] = id
	}
	if id == "" {
		return nil, nil
	}
	return b.device(id)
}

func (b *batch) device(id string) (*Device, error) {
	if d, ok := b.devs[id]; ok {
		return d, nil
	}
	devs, err := b.tx.LoadDevices(b.ctx, []string{id})
	if err != nil {
		return nil, err
	}
	d := devs[id]
	if d != nil && d.Identity == nil {
		d.Identity = identity.Identity{}
	}
	b.devs[id] = d
	return d, nil
}

func (b *batch) setKey(k Key, id string) {
	if k.Value == "" || b.keys[k] == id {
		return
	}
	b.keys[k] = id
	b.putKeys[k] = id
	delete(b.delKeys, k)
}

func (b *batch) removeKey(k Key) {
	b.keys[k] = ""
	delete(b.putKeys, k)
	b.delKeys[k] = true
}

func (b *batch) create(k Key, t time.Time) *Device {
	d := &Device{ID: deviceID(b.site, k, t), Site: b.site, FirstSeen: t, LastSeen: t, Identity: identity.Identity{}}
	b.devs[d.ID] = d
	b.created[d.ID] = true
	b.dirty[d.ID] = true
	b.setKey(k, d.ID)
	b.event(d, EventNew, "", "", "", t)
	return d
}

func (b *batch) event(d *Device, typ EventType, attr, before, after string, t time.Time) {
	b.events = append(b.events, Event{Site: b.site, DeviceID: d.ID, Type: typ, Attribute: attr, Before: before, After: after, Time: t})
}

// learning reports whether d is still in its baseline period at t, when
// newly heard services and destinations are discoveries, not changes.
func (b *batch) learning(d *Device, t time.Time) bool {
	return t.Sub(d.FirstSeen) < b.s.opt.Learning
}

// flush writes the working set.
func (b *batch) flush() error {
	ctx := b.ctx
	if err := b.expectedServices(); err != nil {
		return err
	}
	var del []Key
	for k := range b.delKeys {
		del = append(del, k)
	}
	if err := b.tx.DeleteKeys(ctx, b.site, del); err != nil {
		return err
	}
	keys := sortedKeys(b.putKeys)
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = b.putKeys[k]
	}
	if err := b.tx.PutKeys(ctx, b.site, keys, ids); err != nil {
		return err
	}
	for _, m := range b.merges {
		if err := b.tx.MergeDevice(ctx, m[0], m[1]); err != nil {
			return err
		}
	}
	devs := make([]*Device, 0, len(b.dirty))
	for id := range b.dirty {
		if d := b.devs[id]; d != nil {
			devs = append(devs, d)
		}
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].ID < devs[j].ID })
	if err := b.tx.PutDevices(ctx, devs); err != nil {
		return err
	}
	return b.tx.AddEvents(ctx, b.events)
}

func sortedKeys(m map[Key]string) []Key {
	ks := make([]Key, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Kind != ks[j].Kind {
			return ks[i].Kind < ks[j].Kind
		}
		return ks[i].Value < ks[j].Value
	})
	return ks
}

// sweepSilent marks devices unseen for SilentAfter before now as silent.
// The event is dated when the silence began to count, not when it was
// noticed, so the same data always gives the same events.
func (b *batch) sweepSilent(now time.Time) error {
	if now.IsZero() {
		return nil
	}
	cut := now.Add(-b.s.opt.SilentAfter)
	ids, err := b.tx.StaleDevices(b.ctx, b.site, cut)
	if err != nil {
		return err
	}
	for _, d := range b.devs {
		if d != nil && !d.Silent && d.LastSeen.Before(cut) {
			ids = append(ids, d.ID)
		}
	}
	sort.Strings(ids)
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		d, err := b.device(id)
		if err != nil {
			return err
		}
		if d == nil || d.Silent || !d.LastSeen.Before(cut) {
			continue
		}
		d.Silent = true
		b.dirty[d.ID] = true
		b.event(d, EventSilent, "", "", "", d.LastSeen.Add(b.s.opt.SilentAfter))
	}
	return nil
}

// usableMAC returns the MAC as text when it can identify a device: not
// all-zero, not broadcast or multicast.
func usableMAC(m net.HardwareAddr) string {
	if len(m) != 6 && len(m) != 8 {
		return ""
	}
	if m[0]&1 != 0 {
		return ""
	}
	zero := true
	for _, c := range m {
		if c != 0 {
			zero = false
			break
		}
	}
	if zero {
		return ""
	}
	return m.String()
}

func usableIP(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}
	}
	return a
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// internal reports whether a belongs to the hospital side (private,
// loopback, link-local, CGNAT, or a configured prefix), where an
// address-only device is believable.
func (s *Service) internal(a netip.Addr) bool {
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a) {
		return true
	}
	for _, p := range s.opt.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func subnetOf(a netip.Addr, locs []Prefix) string {
	for _, l := range locs {
		if l.Prefix.Contains(a) {
			return l.Prefix.String()
		}
	}
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "y", "on":
		return true
	}
	return false
}
