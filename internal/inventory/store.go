package inventory

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a device does not exist.
var ErrNotFound = errors.New("device not found")

// Reader is the read side of the inventory store, what later stages need.
type Reader interface {
	// ListDevices returns one page of the devices matching f and the total number matching.
	ListDevices(ctx context.Context, f DeviceFilter) ([]*Device, int, error)
	// GetDevice returns the device with id, or ErrNotFound.
	GetDevice(ctx context.Context, id string) (*Device, error)
	// ListEvents returns the events matching f, oldest first.
	ListEvents(ctx context.Context, f EventFilter) ([]Event, error)
}

// Store persists the inventory. Update runs fn in one transaction.
type Store interface {
	Reader
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Product groups devices that should behave alike: the same manufacturer
// and model; or, where the model is unknown, the same manufacturer, type
// and operating system among devices without a model (an unknown type or
// system matches only an unknown one).
type Product struct {
	Manufacturer, Model, Type, OS string
}

// Tx is the write side, valid inside Store.Update.
type Tx interface {
	// BatchSeen reports whether a batch with this digest was already ingested.
	BatchSeen(ctx context.Context, digest string) (bool, error)
	RecordBatch(ctx context.Context, digest, site string, at time.Time, observations int) error
	// LookupKeys maps the keys that exist in site to device ids.
	LookupKeys(ctx context.Context, site string, keys []Key) (map[Key]string, error)
	LoadDevices(ctx context.Context, ids []string) (map[string]*Device, error)
	// PutDevices inserts or replaces devices (ids unique within the call).
	PutDevices(ctx context.Context, ds []*Device) error
	// MergeDevice moves from's keys and events to into and deletes from.
	MergeDevice(ctx context.Context, from, into string) error
	// PutKeys points each key to its device id (keys unique within the call).
	PutKeys(ctx context.Context, site string, keys []Key, ids []string) error
	DeleteKeys(ctx context.Context, site string, keys []Key) error
	// AddEvents stores events; an event identical to a stored one is ignored.
	AddEvents(ctx context.Context, evs []Event) error
	// StaleDevices lists devices of site not silent and last seen before t.
	StaleDevices(ctx context.Context, site string, before time.Time) ([]string, error)
	// SameProduct lists up to limit devices of site of product p, by id.
	SameProduct(ctx context.Context, site string, p Product, limit int) ([]string, error)
}
