package threat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/db"
)

// Component is the name of the threat tables in ward_schema.
const Component = "threat"

// Migrations create the threat tables; portable between SQLite and PostgreSQL.
var Migrations = []db.Migration{{SQLite: `
CREATE TABLE threat_baselines (
	site TEXT NOT NULL,
	device_id TEXT NOT NULL,
	learning_until BIGINT NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (site, device_id)
);
CREATE TABLE threat_alerts (
	id TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	device_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	severity TEXT NOT NULL,
	state TEXT NOT NULL,
	incident TEXT NOT NULL,
	first_ns BIGINT NOT NULL,
	last_ns BIGINT NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX threat_alerts_incident ON threat_alerts (site, incident, last_ns);
CREATE INDEX threat_alerts_device ON threat_alerts (site, device_id, last_ns);
CREATE INDEX threat_alerts_last ON threat_alerts (last_ns);
CREATE TABLE threat_snoozes (
	id TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	device_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	until_ns BIGINT NOT NULL,
	reason TEXT NOT NULL,
	created_ns BIGINT NOT NULL
);
CREATE TABLE threat_batches (
	digest TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	at_ns BIGINT NOT NULL
);
`}}

// Snooze silences alerts of a device (and of one kind, or every kind when
// Kind is empty; every device of the site when DeviceID is empty) until a time.
type Snooze struct {
	ID       string    `json:"id"`
	Site     string    `json:"site"`
	DeviceID string    `json:"device_id,omitempty"`
	Kind     Kind      `json:"kind,omitempty"`
	Until    time.Time `json:"until"`
	Reason   string    `json:"reason,omitempty"`
	Created  time.Time `json:"created"`
}

func (s Snooze) matches(a *Alert) bool {
	return (s.DeviceID == "" || s.DeviceID == a.DeviceID) && (s.Kind == "" || s.Kind == a.Kind) && a.Last.Before(s.Until)
}

// AlertFilter selects alerts, newest first.
type AlertFilter struct {
	Site        string
	DeviceID    string
	Kinds       []Kind
	MinSeverity Severity
	State       string
	Since       time.Time
	Limit       int
}

// SQLStore keeps baselines, alerts and snoozes in Ward's database.
type SQLStore struct{ d *db.DB }

// OpenStore migrates the threat tables and returns the store.
func OpenStore(ctx context.Context, d *db.DB) (*SQLStore, error) {
	if err := d.Migrate(ctx, Component, Migrations); err != nil {
		return nil, err
	}
	return &SQLStore{d: d}, nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// LoadBaselines returns the stored baselines of ids (absent ones omitted).
func (s *SQLStore) LoadBaselines(ctx context.Context, site string, ids []string) (map[string]*Baseline, error) {
	out := map[string]*Baseline{}
	for start := 0; start < len(ids); start += 400 {
		chunk := ids[start:min(start+400, len(ids))]
		q := `SELECT doc FROM threat_baselines WHERE site = ? AND device_id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		args := make([]any, 0, len(chunk)+1)
		args = append(args, site)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.d.QueryContext(ctx, s.d.Rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("load baselines: %w", err)
		}
		for rows.Next() {
			var doc string
			if err := rows.Scan(&doc); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load baselines: %w", err)
			}
			b := &Baseline{}
			if err := json.Unmarshal([]byte(doc), b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decode baseline: %w", err)
			}
			b.init()
			out[b.DeviceID] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load baselines: %w", err)
		}
	}
	return out, nil
}

// Baseline returns one device's baseline, or ErrNoBaseline.
func (s *SQLStore) Baseline(ctx context.Context, site, deviceID string) (*Baseline, error) {
	m, err := s.LoadBaselines(ctx, site, []string{deviceID})
	if err != nil {
		return nil, err
	}
	if b := m[deviceID]; b != nil {
		return b, nil
	}
	return nil, ErrNoBaseline
}

// FindBaseline returns the baseline of deviceID in whichever site has one.
func (s *SQLStore) FindBaseline(ctx context.Context, deviceID string) (*Baseline, error) {
	var doc string
	err := s.d.QueryRowContext(ctx, s.d.Rebind(`SELECT doc FROM threat_baselines WHERE device_id = ? ORDER BY site LIMIT 1`), deviceID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoBaseline
	}
	if err != nil {
		return nil, fmt.Errorf("baseline of %s: %w", deviceID, err)
	}
	b := &Baseline{}
	if err := json.Unmarshal([]byte(doc), b); err != nil {
		return nil, fmt.Errorf("decode baseline of %s: %w", deviceID, err)
	}
	b.init()
	return b, nil
}

// ErrNoBaseline is returned for a device never observed by the engine.
var ErrNoBaseline = errors.New("no baseline for this device")

// ErrNotFound is returned for an unknown alert.
var ErrNotFound = errors.New("alert not found")

// Save writes baselines and alerts in one transaction.
func (s *SQLStore) Save(ctx context.Context, bs []*Baseline, as []*Alert) error {
	return s.d.Tx(ctx, func(tx *sql.Tx) error {
		// A batch dirties a baseline per device it names (hundreds): one
		// multi-row statement per 100, not a round trip each. Each
		// (site, device) once a statement: ON CONFLICT may not touch a row twice.
		const perStmt = 100
		for start := 0; start < len(bs); {
			args := make([]any, 0, 4*perStmt)
			in := map[[2]string]bool{}
			n := 0
			for ; start < len(bs) && n < perStmt; start++ {
				b := bs[start]
				if k := [2]string{b.Site, b.DeviceID}; in[k] {
					break
				} else {
					in[k] = true
				}
				doc, err := json.Marshal(b)
				if err != nil {
					return fmt.Errorf("encode baseline %s: %w", b.DeviceID, err)
				}
				args = append(args, b.Site, b.DeviceID, nanos(b.Until), string(doc))
				n++
			}
			q := `INSERT INTO threat_baselines (site, device_id, learning_until, doc) VALUES (?, ?, ?, ?)` + strings.Repeat(", (?, ?, ?, ?)", n-1) + `
				ON CONFLICT (site, device_id) DO UPDATE SET learning_until = excluded.learning_until, doc = excluded.doc`
			if _, err := tx.ExecContext(ctx, s.d.Rebind(q), args...); err != nil {
				return fmt.Errorf("save %d baselines: %w", n, err)
			}
		}
		for _, a := range as {
			doc, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("encode alert %s: %w", a.ID, err)
			}
			if _, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO threat_alerts (id, site, device_id, kind, severity, state, incident, first_ns, last_ns, doc)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, kind = excluded.kind, severity = excluded.severity,
				state = excluded.state, last_ns = excluded.last_ns, doc = excluded.doc`),
				a.ID, a.Site, a.DeviceID, string(a.Kind), string(a.Severity), a.State, a.Incident, nanos(a.First), nanos(a.Last), string(doc)); err != nil {
				return fmt.Errorf("save alert %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func scanAlerts(rows *sql.Rows) ([]Alert, error) {
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var a Alert
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			return nil, fmt.Errorf("decode alert: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindIncident returns the latest alert of an incident last seen at or after since.
func (s *SQLStore) FindIncident(ctx context.Context, site, incident string, since time.Time) (*Alert, error) {
	rows, err := s.d.QueryContext(ctx, s.d.Rebind(`SELECT doc FROM threat_alerts WHERE site = ? AND incident = ? AND last_ns >= ? ORDER BY last_ns DESC LIMIT 1`),
		site, incident, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("find incident: %w", err)
	}
	as, err := scanAlerts(rows)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return &as[0], nil
}

// Alert returns one alert by id.
func (s *SQLStore) Alert(ctx context.Context, id string) (*Alert, error) {
	rows, err := s.d.QueryContext(ctx, s.d.Rebind(`SELECT doc FROM threat_alerts WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", id, err)
	}
	as, err := scanAlerts(rows)
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", id, err)
	}
	if len(as) == 0 {
		return nil, ErrNotFound
	}
	return &as[0], nil
}

// ListAlerts returns the alerts matching f, most recent first.
func (s *SQLStore) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	q := `SELECT doc FROM threat_alerts WHERE 1=1`
	var args []any
	if f.Site != "" {
		q += ` AND site = ?`
		args = append(args, f.Site)
	}
	if f.DeviceID != "" {
		q += ` AND device_id = ?`
		args = append(args, f.DeviceID)
	}
	if len(f.Kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(",?", len(f.Kinds)-1) + `)`
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if f.MinSeverity != "" {
		var ok []any
		for _, s := range severities {
			if s.Level() >= f.MinSeverity.Level() {
				ok = append(ok, string(s))
			}
		}
		q += ` AND severity IN (?` + strings.Repeat(",?", len(ok)-1) + `)`
		args = append(args, ok...)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if !f.Since.IsZero() {
		q += ` AND last_ns >= ?`
		args = append(args, nanos(f.Since))
	}
	q += ` ORDER BY last_ns DESC, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.d.QueryContext(ctx, s.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	as, err := scanAlerts(rows)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return as, nil
}

// AddSnooze stores a snooze and marks the matching open alerts snoozed.
func (s *SQLStore) AddSnooze(ctx context.Context, sn Snooze) error {
	_, err := s.d.ExecContext(ctx, s.d.Rebind(`INSERT INTO threat_snoozes (id, site, device_id, kind, until_ns, reason, created_ns) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET until_ns = excluded.until_ns, reason = excluded.reason`),
		sn.ID, sn.Site, sn.DeviceID, string(sn.Kind), nanos(sn.Until), sn.Reason, nanos(sn.Created))
	if err != nil {
		return fmt.Errorf("add snooze: %w", err)
	}
	return nil
}

// Snoozes lists the snoozes of site (all sites when empty) ending after t.
func (s *SQLStore) Snoozes(ctx context.Context, site string, after time.Time) ([]Snooze, error) {
	q := `SELECT id, site, device_id, kind, until_ns, reason, created_ns FROM threat_snoozes WHERE until_ns > ?`
	args := []any{nanos(after)}
	if site != "" {
		q += ` AND site = ?`
		args = append(args, site)
	}
	rows, err := s.d.QueryContext(ctx, s.d.Rebind(q+` ORDER BY until_ns`), args...)
	if err != nil {
		return nil, fmt.Errorf("list snoozes: %w", err)
	}
	defer rows.Close()
	var out []Snooze
	for rows.Next() {
		var sn Snooze
		var kind string
		var until, created int64
		if err := rows.Scan(&sn.ID, &sn.Site, &sn.DeviceID, &kind, &until, &sn.Reason, &created); err != nil {
			return nil, fmt.Errorf("list snoozes: %w", err)
		}
		sn.Kind, sn.Until, sn.Created = Kind(kind), time.Unix(0, until).UTC(), time.Unix(0, created).UTC()
		out = append(out, sn)
	}
	return out, rows.Err()
}

// BatchSeen reports whether a batch digest was processed; RecordBatch notes it.
func (s *SQLStore) BatchSeen(ctx context.Context, digest string) (bool, error) {
	var n int
	err := s.d.QueryRowContext(ctx, s.d.Rebind(`SELECT COUNT(*) FROM threat_batches WHERE digest = ?`), digest).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("batch ledger: %w", err)
	}
	return n > 0, nil
}

// RecordBatch notes a processed batch.
func (s *SQLStore) RecordBatch(ctx context.Context, digest, site string, at time.Time) error {
	_, err := s.d.ExecContext(ctx, s.d.Rebind(`INSERT INTO threat_batches (digest, site, at_ns) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING`), digest, site, nanos(at))
	if err != nil {
		return fmt.Errorf("batch ledger: %w", err)
	}
	return nil
}
