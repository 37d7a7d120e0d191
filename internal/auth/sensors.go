package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SensorInfo is what the server knows about one remote sensor.
type SensorInfo struct {
	Name         string    `json:"name"`
	Site         string    `json:"site"`
	Org          string    `json:"organization"`
	LastUpload   time.Time `json:"last_upload"`
	Batches      int64     `json:"batches"`
	Observations int64     `json:"observations"`
	SpoolBacklog int64     `json:"spool_backlog"` // batches waiting in the sensor's spool at its last upload
	Dropped      int64     `json:"dropped"`       // batches the sensor dropped from a full spool, ever
}

// Upload is one accepted sensor batch.
type Upload struct {
	BatchID      string
	Sensor       string
	Site         string
	Observations int
	Applied      bool // false: the inventory had it already
	SpoolBacklog int64
	Dropped      int64
}

// BatchSeen reports whether batchID was recorded before.
func (s *Store) BatchSeen(ctx context.Context, batchID string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM auth_batches WHERE batch_id = ?`), batchID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("batch ledger: %w", err)
	}
	return n > 0, nil
}

// RecordUpload writes the batch ledger entry, the sensor's statistics and
// the audit entry in one transaction. It reports false when batchID was
// already recorded (a concurrent duplicate), in which case only the spool
// statistics are refreshed.
func (s *Store) RecordUpload(ctx context.Context, p Principal, u Upload) (bool, error) {
	now := s.now().UnixNano()
	fresh := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		applied := 0
		if u.Applied {
			applied = 1
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_batches(batch_id, site, sensor, at, observations, applied)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING`), u.BatchID, u.Site, u.Sensor, now, u.Observations, applied)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		fresh = n > 0
		batches, obs := int64(0), int64(0)
		if fresh {
			batches, obs = 1, int64(u.Observations)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO auth_sensors(org, site, name, last_upload, batches, observations, spool_backlog, dropped)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, name) DO UPDATE SET last_upload = excluded.last_upload,
				batches = auth_sensors.batches + excluded.batches, observations = auth_sensors.observations + excluded.observations,
				spool_backlog = excluded.spool_backlog, dropped = excluded.dropped`),
			p.Org, u.Site, u.Sensor, now, batches, obs, u.SpoolBacklog, u.Dropped)
		if err != nil {
			return err
		}
		if !fresh {
			return nil
		}
		return s.audit(ctx, tx, p.Org, p.Actor(), "sensor.upload", u.Site+"/"+u.Sensor,
			fmt.Sprintf("batch=%s observations=%d applied=%t", u.BatchID, u.Observations, u.Applied))
	})
	if err != nil {
		return false, fmt.Errorf("record upload %s: %w", u.BatchID, err)
	}
	return fresh, nil
}

// Sensors lists the sensors of org (optionally one site), by site and name.
func (s *Store) Sensors(ctx context.Context, org, site string) ([]SensorInfo, error) {
	q := `SELECT name, site, org, last_upload, batches, observations, spool_backlog, dropped FROM auth_sensors WHERE org = ?`
	args := []any{org}
	if site != "" {
		q += ` AND site = ?`
		args = append(args, site)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY site, name`), args...)
	if err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	defer rows.Close()
	out := []SensorInfo{}
	for rows.Next() {
		var si SensorInfo
		var last int64
		if err := rows.Scan(&si.Name, &si.Site, &si.Org, &last, &si.Batches, &si.Observations, &si.SpoolBacklog, &si.Dropped); err != nil {
			return nil, err
		}
		si.LastUpload = time.Unix(0, last).UTC()
		out = append(out, si)
	}
	return out, rows.Err()
}

// BatchCount counts recorded batches of site (tests and metrics).
func (s *Store) BatchCount(ctx context.Context, site string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM auth_batches WHERE site = ?`), site).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	return n, nil
}
