package cmms

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/inventory"
)

// memInventory is an inventory.Reader over fixed devices and events.
type memInventory struct {
	mu   sync.Mutex
	devs map[string]*inventory.Device
	evs  []inventory.Event
}

var _ inventory.Reader = (*memInventory)(nil)

func (m *memInventory) ListDevices(_ context.Context, f inventory.DeviceFilter) ([]*inventory.Device, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*inventory.Device
	for _, d := range m.devs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, len(out), nil
}

func (m *memInventory) GetDevice(_ context.Context, id string) (*inventory.Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.devs[id]
	if !ok {
		return nil, inventory.ErrNotFound
	}
	return d, nil
}

// ListEvents returns events in id order, like the SQL store.
func (m *memInventory) ListEvents(_ context.Context, f inventory.EventFilter) ([]inventory.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []inventory.Event
	for _, e := range m.evs {
		if e.ID > f.AfterID {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memInventory) add(e inventory.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, e)
}

// fixture builds nDev devices with perDev events each, interleaved by time;
// deterministic so a re-executed child sees the same inventory.
func fixture(nDev, perDev int) *memInventory {
	m := &memInventory{devs: map[string]*inventory.Device{}}
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	types := []inventory.EventType{inventory.EventMoved, inventory.EventSoftware, inventory.EventConfiguration, inventory.EventSilent}
	for i := range nDev {
		id := fmt.Sprintf("dev-%03d", i)
		m.devs[id] = &inventory.Device{ID: id, Site: "default", MAC: fmt.Sprintf("00:09:fb:00:00:%02x", i),
			IPs: []inventory.IPRecord{{IP: fmt.Sprintf("10.1.2.%d", 10+i)}}, Location: "ICU-3", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	}
	var id int64
	for k := range perDev {
		for i := range nDev {
			id++
			typ := inventory.EventNew
			if k > 0 {
				typ = types[(k+i)%len(types)]
			}
			m.evs = append(m.evs, inventory.Event{ID: id, Site: "default", DeviceID: fmt.Sprintf("dev-%03d", i), Type: typ,
				Attribute: "version", Before: fmt.Sprint(k), After: fmt.Sprint(k + 1), Time: t0.Add(time.Duration(id) * time.Minute)})
		}
	}
	return m
}
