package inventory

import (
	"slices"
	"strconv"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
)

// fleetSample bounds how many devices of one product are read to judge a
// service: enough to see what the product listens on.
const fleetSample = 64

// expectedServices drops the service events of this batch that another
// device of the same product (see Product) already had when the
// service was first heard here. A passive sensor hears a service only when
// someone uses it: SMB on a workstation, IPP on a printer or a DICOM port
// on a modality can stay quiet through the learning period and then be
// heard for the first time. What the rest of the fleet already listens on
// is the product's configuration, not a change to this device; a port no
// device of its product opened is still reported.
func (b *batch) expectedServices() error {
	if len(b.newSvc) == 0 {
		return nil
	}
	fleets := map[Product][]*Device{}
	drop := map[Event]bool{}
	for _, ev := range b.newSvc {
		d := b.devs[ev.DeviceID]
		if d == nil {
			continue // merged away (its events moved, and are kept)
		}
		p, ok := ProductOf(d)
		if !ok {
			continue
		}
		fleet, ok := fleets[p]
		if !ok {
			var err error
			if fleet, err = b.sameProduct(p); err != nil {
				return err
			}
			fleets[p] = fleet
		}
		if slices.ContainsFunc(fleet, func(o *Device) bool { return o.ID != d.ID && hadService(o, ev.After, ev.Time) }) {
			drop[ev] = true
		}
	}
	if len(drop) > 0 {
		b.events = slices.DeleteFunc(b.events, func(e Event) bool { return drop[e] })
	}
	b.newSvc = b.newSvc[:0]
	return nil
}

// ProductOf is the product d belongs to; false when too little is known
// (no manufacturer, or no model, type or operating system) to call others
// alike.
func ProductOf(d *Device) (Product, bool) {
	p := Product{Manufacturer: d.Attr(fingerprint.Manufacturer), Model: d.Attr(fingerprint.Model)}
	if p.Model == "" {
		p.Type, p.OS = d.Attr(fingerprint.DeviceType), d.Attr(fingerprint.OS)
	}
	return p, p.Manufacturer != "" && (p.Model != "" || p.Type != "" || p.OS != "")
}

// sameProduct returns the devices of one product: the batch's own, as they
// are now, and up to fleetSample stored ones it did not load.
func (b *batch) sameProduct(p Product) ([]*Device, error) {
	var out []*Device
	for _, d := range b.devs {
		if q, ok := ProductOf(d); ok && q == p {
			out = append(out, d)
		}
	}
	ids, err := b.tx.SameProduct(b.ctx, b.site, p, fleetSample)
	if err != nil {
		return nil, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return b.devs[id] != nil })
	stored, err := b.tx.LoadDevices(b.ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if d := stored[id]; d != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// hadService reports whether d listened on svc ("tcp/445") at or before t.
func hadService(d *Device, svc string, t time.Time) bool {
	return slices.ContainsFunc(d.Services, func(s ServicePort) bool {
		return s.Transport+"/"+strconv.Itoa(int(s.Port)) == svc && !s.First.After(t)
	})
}
