// Package db opens Ward's database, SQLite (the default, a single file) or
// PostgreSQL (a postgres:// URL), and runs each component's embedded
// migrations. Components (inventory, vuln, risk, server, ...) own their own
// tables and SQL; this package only knows how to connect and migrate.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the pure-Go "sqlite" driver
)

// Dialect tells components which SQL flavour they talk to.
type Dialect int

// Supported dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a database handle with its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	DSN     string
}

// IsPostgres reports whether dsn selects PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn: a postgres:// URL, or else a SQLite file path
// (":memory:" for a private in-memory database). SQLite runs in WAL mode with
// a busy timeout and immediate write transactions, so concurrent writers wait
// instead of failing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("no database given (a file path or a postgres:// URL)")
	}
	if IsPostgres(dsn) {
		sdb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sdb.SetMaxOpenConns(16)
		sdb.SetMaxIdleConns(16) // keep backends: a new one costs a fork and cold caches
		sdb.SetConnMaxIdleTime(5 * time.Minute)
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := sdb.PingContext(pctx); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return &DB{DB: sdb, Dialect: Postgres, DSN: dsn}, nil
	}
	path := dsn
	memory := dsn == ":memory:"
	if memory {
		// A named shared-cache memory DB, so every pooled connection sees the same data.
		path = fmt.Sprintf("file:ward-mem-%d?mode=memory&cache=shared", time.Now().UnixNano())
	} else if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	path += sep + "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if !memory {
		path += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	if memory {
		sdb.SetMaxOpenConns(1) // shared cache serializes anyway; one conn avoids table locks
	} else {
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8) // a new connection starts with a cold page cache and re-reads the schema
	}
	return &DB{DB: sdb, Dialect: SQLite, DSN: dsn}, nil
}

// Rebind turns '?' placeholders into PostgreSQL's $1, $2 ... when needed.
// Question marks inside single-quoted literals are left alone.
func (d *DB) Rebind(q string) string {
	if d.Dialect != Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Tx runs fn in one transaction: committed if fn returns nil, rolled back otherwise.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
