package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardiomt/ward/internal/db"
)

var migrations = []db.Migration{
	{SQLite: `CREATE TABLE risk_controls (
		action_id  TEXT PRIMARY KEY,
		kind       TEXT NOT NULL,
		findings   TEXT NOT NULL,
		note       TEXT NOT NULL DEFAULT '',
		applied_at BIGINT NOT NULL
	)`},
	// Service-level controls (an ACL on SMB leaves the web interface alone).
	{SQLite: `ALTER TABLE risk_controls ADD COLUMN service TEXT NOT NULL DEFAULT ''`},
	// Open risk per site and day, for the dashboard's trend (history.go).
	{SQLite: `CREATE TABLE risk_history (
		site      TEXT NOT NULL,
		day       TEXT NOT NULL,
		open_risk DOUBLE PRECISION NOT NULL,
		items     INTEGER NOT NULL,
		PRIMARY KEY (site, day)
	)`},
}

// Store keeps applied compensating controls.
type Store struct{ db *db.DB }

// OpenStore migrates the risk tables.
func OpenStore(ctx context.Context, d *db.DB) (*Store, error) {
	if err := d.Migrate(ctx, "risk", migrations); err != nil {
		return nil, err
	}
	return &Store{db: d}, nil
}

// ErrUnknownKind is returned for a control of no known action kind.
var ErrUnknownKind = errors.New("unknown action kind")

// Apply records c (replacing an earlier record of the same action).
func (s *Store) Apply(ctx context.Context, c Control) error {
	if _, ok := effortOf[c.Kind]; !ok {
		return fmt.Errorf("apply control %s: %w %q", c.ActionID, ErrUnknownKind, c.Kind)
	}
	if c.ActionID == "" || len(c.Findings) == 0 {
		return fmt.Errorf("apply control: action id and findings are required")
	}
	if (c.Kind == KindDisable || c.Kind == KindRestrict) && c.Service == "" {
		return fmt.Errorf("apply control %s: a %s control needs its service", c.ActionID, c.Kind)
	}
	f, err := json.Marshal(c.Findings)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO risk_controls(action_id, kind, service, findings, note, applied_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (action_id) DO UPDATE SET kind = excluded.kind, service = excluded.service, findings = excluded.findings, note = excluded.note, applied_at = excluded.applied_at`),
		c.ActionID, c.Kind, c.Service, string(f), c.Note, c.AppliedAt.UTC().UnixNano())
	if err != nil {
		return fmt.Errorf("apply control %s: %w", c.ActionID, err)
	}
	return nil
}

// Remove deletes the control of actionID; it reports whether one existed.
func (s *Store) Remove(ctx context.Context, actionID string) (bool, error) {
	r, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM risk_controls WHERE action_id = ?`), actionID)
	if err != nil {
		return false, fmt.Errorf("remove control %s: %w", actionID, err)
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// Controls lists the applied controls, oldest first.
func (s *Store) Controls(ctx context.Context) ([]Control, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT action_id, kind, service, findings, note, applied_at FROM risk_controls ORDER BY applied_at, action_id`)
	if err != nil {
		return nil, fmt.Errorf("list controls: %w", err)
	}
	defer rows.Close()
	out := []Control{}
	for rows.Next() {
		var c Control
		var f string
		var at int64
		if err := rows.Scan(&c.ActionID, &c.Kind, &c.Service, &f, &c.Note, &at); err != nil {
			return nil, fmt.Errorf("list controls: %w", err)
		}
		if err := json.Unmarshal([]byte(f), &c.Findings); err != nil {
			return nil, fmt.Errorf("control %s: findings: %w", c.ActionID, err)
		}
		c.AppliedAt = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
