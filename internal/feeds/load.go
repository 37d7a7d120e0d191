package feeds

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds/snapshot"
	"github.com/wardiomt/ward/internal/vuln"
)

// Origin says where matching data came from.
type Origin struct {
	Kind         string `json:"kind"` // "database" or "snapshot"
	SnapshotDate string `json:"snapshot_date"`
	Imported     bool   `json:"snapshot_imported,omitempty"` // imported into the DB just now
}

// ImportSnapshot writes the bundled snapshot into the store in one
// transaction and records its date.
func (s *Store) ImportSnapshot(ctx context.Context, f *snapshot.File) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		sink := &txSink{ctx: ctx, tx: tx, d: s.db}
		for i := range f.Advisories {
			if err := sink.Advisory(&f.Advisories[i]); err != nil {
				return err
			}
		}
		for _, k := range f.KEV {
			if err := sink.KEV(k); err != nil {
				return err
			}
		}
		for _, e := range f.EPSS {
			if err := sink.EPSS(e); err != nil {
				return err
			}
		}
		if err := sink.flush(); err != nil {
			return err
		}
		return upsert(ctx, tx, s.db, "feed_meta", []string{"k", "v"}, 1, [][]any{{"snapshot_date", f.Date}})
	})
}

// OpenProvider returns the data to match against: the database when it
// has feeds; an empty database gets the bundled snapshot imported first;
// with no database (d == nil) the snapshot is served from memory.
func OpenProvider(ctx context.Context, d *db.DB, log *slog.Logger) (vuln.Provider, Origin, error) {
	snap, err := snapshot.Load()
	if err != nil {
		return nil, Origin{}, err
	}
	o := Origin{Kind: "snapshot", SnapshotDate: snap.Date}
	if d == nil {
		return snap.Provider(), o, nil
	}
	s, err := NewStore(ctx, d, log)
	if err != nil {
		return nil, o, err
	}
	empty, err := s.Empty(ctx)
	if err != nil {
		return nil, o, fmt.Errorf("check loaded feeds: %w", err)
	}
	if empty {
		if err := s.ImportSnapshot(ctx, snap); err != nil {
			return nil, o, fmt.Errorf("import bundled snapshot: %w", err)
		}
		o.Imported = true
		if log != nil {
			log.Info("no feeds loaded; imported the bundled snapshot", "date", snap.Date)
		}
	}
	o.Kind = "database"
	return s, o, nil
}

// NewMatcher builds a matcher over OpenProvider's data.
func NewMatcher(ctx context.Context, d *db.DB, log *slog.Logger) (*vuln.Matcher, Origin, error) {
	p, o, err := OpenProvider(ctx, d, log)
	if err != nil {
		return nil, o, err
	}
	m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
	return m, o, err
}
