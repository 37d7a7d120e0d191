package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/wardiomt/ward/internal/observe"
)

// Service applies observations to the inventory and answers queries.
type Service struct {
	st      Store
	claimer Claimer
	opt     Options
	log     *slog.Logger
}

// New returns a service over st. A nil claimer claims nothing.
func New(st Store, claimer Claimer, opt Options) (*Service, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("inventory options: %w", err)
	}
	if claimer == nil {
		claimer = NoClaims{}
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sort.SliceStable(opt.Locations, func(i, j int) bool { return opt.Locations[i].Prefix.Bits() > opt.Locations[j].Prefix.Bits() })
	return &Service{st: st, claimer: claimer, opt: opt, log: log}, nil
}

// IngestResult summarises one batch.
type IngestResult struct {
	Observations int
	Skipped      bool // the batch was ingested before (same digest)
	NewDevices   int
	Updated      int // existing devices changed
	Merged       int // devices folded into another (same serial, adopted IP-only device)
	Events       []Event
	Clock        time.Time // latest observation time of the batch
}

// Digest identifies a batch for idempotent ingest: the site and the
// observations' keys, in order.
func Digest(site string, obs []observe.Observation) string {
	h := sha256.New()
	h.Write([]byte(site))
	for i := range obs {
		h.Write([]byte{'\n'})
		h.Write([]byte(obs[i].Key()))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Ingest applies one batch of observations of site in one transaction.
// A batch with the same digest as an earlier one is skipped, so
// re-ingesting a capture (split into the same batches) changes nothing.
func (s *Service) Ingest(ctx context.Context, site string, obs []observe.Observation) (IngestResult, error) {
	if site == "" {
		site = DefaultSite
	}
	res := IngestResult{Observations: len(obs)}
	if len(obs) == 0 {
		return res, nil
	}
	digest := Digest(site, obs)
	err := s.st.Update(ctx, func(tx Tx) error {
		seen, err := tx.BatchSeen(ctx, digest)
		if err != nil {
			return err
		}
		if seen {
			res.Skipped = true
			return nil
		}
		b := s.newBatch(ctx, tx, site)
		if err := b.prefetch(obs); err != nil {
			return err
		}
		for i := range obs {
			b.claims = b.pre[i]
			if err := b.apply(&obs[i]); err != nil {
				return fmt.Errorf("observation %d (%s at %s): %w", i, obs[i].Protocol, obs[i].Time.UTC().Format(time.RFC3339Nano), err)
			}
		}
		if err := b.sweepSilent(b.clock); err != nil {
			return err
		}
		if err := b.flush(); err != nil {
			return err
		}
		res.NewDevices = len(b.created)
		res.Updated = b.updated()
		res.Merged = len(b.merges)
		res.Events = b.events
		res.Clock = b.clock
		return tx.RecordBatch(ctx, digest, site, b.clock, len(obs))
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest batch of %d observations: %w", len(obs), err)
	}
	return res, nil
}

// FileIngested reports whether a whole input with this content digest was
// already ingested for site (see RecordFile). Batches are idempotent by
// themselves; this also covers re-ingesting with another batch size.
func (s *Service) FileIngested(ctx context.Context, site, digest string) (bool, error) {
	if site == "" {
		site = DefaultSite
	}
	var seen bool
	err := s.st.Update(ctx, func(tx Tx) error {
		var err error
		seen, err = tx.BatchSeen(ctx, "file:"+site+":"+digest)
		return err
	})
	return seen, err
}

// RecordFile notes that the input with this content digest was fully ingested for site.
func (s *Service) RecordFile(ctx context.Context, site, digest string, observations int) error {
	if site == "" {
		site = DefaultSite
	}
	return s.st.Update(ctx, func(tx Tx) error {
		return tx.RecordBatch(ctx, "file:"+site+":"+digest, site, time.Time{}, observations)
	})
}

// CheckSilent marks the devices of site not seen for Options.SilentAfter
// before now as silent and returns the new events. Devices already silent
// are not reported again.
func (s *Service) CheckSilent(ctx context.Context, site string, now time.Time) ([]Event, error) {
	if site == "" {
		site = DefaultSite
	}
	var evs []Event
	err := s.st.Update(ctx, func(tx Tx) error {
		b := s.newBatch(ctx, tx, site)
		if err := b.sweepSilent(now.UTC()); err != nil {
			return err
		}
		if err := b.flush(); err != nil {
			return err
		}
		evs = b.events
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check silent devices of site %s: %w", site, err)
	}
	return evs, nil
}

// Devices lists devices (filter, sort, page) and the total matching.
func (s *Service) Devices(ctx context.Context, f DeviceFilter) ([]*Device, int, error) {
	return s.st.ListDevices(ctx, f)
}

// Device returns one device or ErrNotFound.
func (s *Service) Device(ctx context.Context, id string) (*Device, error) {
	return s.st.GetDevice(ctx, id)
}

// Events lists change events, oldest first.
func (s *Service) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	return s.st.ListEvents(ctx, f)
}

// EventsSince lists the events of site at or after t.
func (s *Service) EventsSince(ctx context.Context, site string, t time.Time) ([]Event, error) {
	return s.st.ListEvents(ctx, EventFilter{Site: site, Since: t})
}

// Services returns a device's listening services with their peers.
func (s *Service) Services(ctx context.Context, id string) ([]ServicePort, error) {
	d, err := s.st.GetDevice(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.Services, nil
}

// Signals returns a device's cleartext/weak-security signals.
func (s *Service) Signals(ctx context.Context, id string) ([]Signal, error) {
	d, err := s.st.GetDevice(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.Signals, nil
}

// Contacts returns a device's flow contacts and public destinations.
func (s *Service) Contacts(ctx context.Context, id string) ([]Contact, []External, error) {
	d, err := s.st.GetDevice(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return d.Contacts, d.External, nil
}

// Utilization returns a device's clinical utilization per day, oldest first.
func (s *Service) Utilization(ctx context.Context, id string) ([]DayUse, error) {
	d, err := s.st.GetDevice(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.Utilization, nil
}

// deviceID derives a stable id from the first key and first-seen time, so
// the same input gives the same ids on every store.
func deviceID(site string, k Key, t time.Time) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s:%s|%d", site, k.Kind, k.Value, t.UnixNano())))
	return "d" + hex.EncodeToString(h[:8])
}
