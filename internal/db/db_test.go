package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

func TestMigrateAndTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		steps := []db.Migration{
			{SQLite: `CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT NOT NULL)`},
			{SQLite: `ALTER TABLE things ADD COLUMN note TEXT`},
		}
		if err := d.Migrate(ctx, "test", steps); err != nil {
			t.Fatal(err)
		}
		// Idempotent.
		if err := d.Migrate(ctx, "test", steps); err != nil {
			t.Fatal(err)
		}
		v, err := d.SchemaVersion(ctx, "test")
		if err != nil || v != 2 {
			t.Fatalf("version = %d, %v; want 2", v, err)
		}
		// A failing transaction leaves nothing behind.
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO things(id, n) VALUES (?, ?)`), "a", 1); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil || err.Error() != "boom" {
			t.Fatalf("Tx error = %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows after rollback = %d, %v", n, err)
		}
		// An older ward refuses a newer schema.
		err = d.Migrate(ctx, "test", steps[:1])
		if !errors.Is(err, db.ErrNewerSchema) || !strings.Contains(err.Error(), "version 2") {
			t.Fatalf("older migrate error = %v", err)
		}
	})
}

func TestRebind(t *testing.T) {
	d := &db.DB{Dialect: db.Postgres}
	got := d.Rebind(`SELECT '?' , a FROM t WHERE a = ? AND b = ?`)
	want := `SELECT '?' , a FROM t WHERE a = $1 AND b = $2`
	if got != want {
		t.Fatalf("Rebind = %q, want %q", got, want)
	}
}
