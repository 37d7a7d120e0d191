package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Migration is one schema step of a component. Postgres may be left empty
// when the SQLite text is portable (it usually is: TEXT, INTEGER, BIGINT,
// DOUBLE PRECISION, ON CONFLICT ... DO UPDATE all work in both).
type Migration struct {
	SQLite   string
	Postgres string
}

// ErrNewerSchema is returned when the database was written by a newer Ward.
var ErrNewerSchema = errors.New("database schema is newer than this ward")

// Migrate brings component's tables up to len(steps), each step in its own
// transaction together with the recorded version. A database whose recorded
// version for the component is higher than len(steps) is refused.
func (d *DB) Migrate(ctx context.Context, component string, steps []Migration) error {
	create := `CREATE TABLE IF NOT EXISTS ward_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`
	if _, err := d.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	cur, err := d.SchemaVersion(ctx, component)
	if err != nil {
		return err
	}
	if cur > len(steps) {
		return fmt.Errorf("%w: %s schema is version %d, this ward knows up to %d; upgrade ward or use another database",
			ErrNewerSchema, component, cur, len(steps))
	}
	for v := cur + 1; v <= len(steps); v++ {
		step := steps[v-1]
		script := step.SQLite
		if d.Dialect == Postgres && step.Postgres != "" {
			script = step.Postgres
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, script); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO ward_schema(component, version) VALUES (?, ?)
				ON CONFLICT (component) DO UPDATE SET version = excluded.version`), component, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, v, err)
		}
	}
	return nil
}

// SchemaVersion returns the recorded schema version of component, 0 if none.
func (d *DB) SchemaVersion(ctx context.Context, component string) (int, error) {
	var v int
	err := d.QueryRowContext(ctx, d.Rebind(`SELECT version FROM ward_schema WHERE component = ?`), component).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", component, err)
	}
	return v, nil
}
