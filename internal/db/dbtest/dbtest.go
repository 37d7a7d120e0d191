// Package dbtest gives tests a fresh database of each dialect: a temporary
// SQLite file, and an isolated schema in the PostgreSQL at 127.0.0.1:5432/test
// (WARD_TEST_POSTGRES overrides the URL). Without PostgreSQL the postgres
// variant skips, except under CI=true, where it fails.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
)

var seq atomic.Int64

// PostgresURL is the server tests use.
func PostgresURL() string {
	if u := os.Getenv("WARD_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// SQLite opens a fresh SQLite database file in t.TempDir().
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Postgres opens a connection whose search_path is a new, empty schema,
// dropped when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	d, _ := PostgresDSN(t)
	return d
}

// PostgresDSN is Postgres plus the DSN, for tests that reopen the database.
func PostgresDSN(t testing.TB) (*db.DB, string) {
	t.Helper()
	base := PostgresURL()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = admin.PingContext(pctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s unavailable under CI: %v", base, err)
		}
		t.Skipf("PostgreSQL at %s unavailable: %v", base, err)
	}
	schema := fmt.Sprintf("wardt_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dsn := base + sep + "search_path=" + schema
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return d, dsn
}

// Each runs fn once per dialect as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
