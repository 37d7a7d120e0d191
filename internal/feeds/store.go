package feeds

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/vuln"
)

var migrations = []db.Migration{{SQLite: `
CREATE TABLE vuln_advisories (
	id TEXT NOT NULL,
	source TEXT NOT NULL,
	published TEXT NOT NULL,
	updated TEXT NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (id, source)
);
CREATE TABLE feed_kev (
	cve TEXT PRIMARY KEY,
	date_added TEXT NOT NULL,
	doc TEXT NOT NULL
);
CREATE TABLE feed_epss (
	cve TEXT PRIMARY KEY,
	epss DOUBLE PRECISION NOT NULL,
	percentile DOUBLE PRECISION NOT NULL,
	score_date TEXT NOT NULL,
	model TEXT NOT NULL
);
CREATE TABLE feed_imports (
	path TEXT PRIMARY KEY,
	format TEXT NOT NULL,
	records INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	dataset_date TEXT NOT NULL,
	version TEXT NOT NULL,
	imported_at TEXT NOT NULL
);
CREATE TABLE feed_meta (
	k TEXT PRIMARY KEY,
	v TEXT NOT NULL
);`}}

// Store persists feeds in a *db.DB (SQLite or PostgreSQL).
type Store struct {
	db  *db.DB
	log *slog.Logger
	now func() time.Time
}

// NewStore migrates the feed tables and returns a store.
func NewStore(ctx context.Context, d *db.DB, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := d.Migrate(ctx, "vuln", migrations); err != nil {
		return nil, err
	}
	return &Store{db: d, log: log, now: time.Now}, nil
}

// DB returns the underlying database.
func (s *Store) DB() *db.DB { return s.db }

// txSink buffers rows and flushes them in multi-row upserts.
type txSink struct {
	ctx  context.Context
	tx   *sql.Tx
	d    *db.DB
	advs [][]any
	kevs [][]any
	epss [][]any
}

// batch is how many rows one multi-row upsert carries: well under
// SQLite's 32766 and PostgreSQL's 65535 bound parameters.
const batch = 2000

func (t *txSink) Advisory(a *vuln.Advisory) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	t.advs = append(t.advs, []any{a.ID, string(a.Source), ts(a.Published), ts(a.Updated), string(b)})
	if len(t.advs) >= batch {
		return t.flush()
	}
	return nil
}

func (t *txSink) KEV(e vuln.KEVEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	t.kevs = append(t.kevs, []any{e.CVE, e.DateAdded.Format("2006-01-02"), string(b)})
	if len(t.kevs) >= batch {
		return t.flush()
	}
	return nil
}

func (t *txSink) EPSS(e vuln.EPSSScore) error {
	t.epss = append(t.epss, []any{e.CVE, e.EPSS, e.Percentile, ts(e.Date), e.Model})
	if len(t.epss) >= batch {
		return t.flush()
	}
	return nil
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (t *txSink) flush() error {
	if err := upsert(t.ctx, t.tx, t.d, "vuln_advisories", []string{"id", "source", "published", "updated", "doc"}, 2, t.advs); err != nil {
		return err
	}
	if err := upsert(t.ctx, t.tx, t.d, "feed_kev", []string{"cve", "date_added", "doc"}, 1, t.kevs); err != nil {
		return err
	}
	if err := upsert(t.ctx, t.tx, t.d, "feed_epss", []string{"cve", "epss", "percentile", "score_date", "model"}, 1, t.epss); err != nil {
		return err
	}
	t.advs, t.kevs, t.epss = t.advs[:0], t.kevs[:0], t.epss[:0]
	return nil
}

// upsert writes rows with one multi-row INSERT ... ON CONFLICT DO UPDATE;
// the first nKey columns are the key. Rows repeating a key keep the last.
func upsert(ctx context.Context, tx *sql.Tx, d *db.DB, table string, cols []string, nKey int, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if maxRows := 30000 / len(cols); len(rows) > maxRows {
		if err := upsert(ctx, tx, d, table, cols, nKey, rows[:maxRows]); err != nil {
			return err
		}
		return upsert(ctx, tx, d, table, cols, nKey, rows[maxRows:])
	}
	seen := make(map[string]int, len(rows))
	uniq := make([][]any, 0, len(rows))
	for _, r := range rows {
		k, _ := r[0].(string)
		if nKey > 1 {
			k = fmt.Sprint(r[:nKey]...)
		}
		if i, ok := seen[k]; ok {
			uniq[i] = r
			continue
		}
		seen[k] = len(uniq)
		uniq = append(uniq, r)
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	args := make([]any, 0, len(uniq)*len(cols))
	for i, r := range uniq {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(ph)
		args = append(args, r...)
	}
	q.WriteString(" ON CONFLICT (" + strings.Join(cols[:nKey], ", ") + ") DO UPDATE SET ")
	for i, c := range cols[nKey:] {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(c + " = excluded." + c)
	}
	if _, err := tx.ExecContext(ctx, d.Rebind(q.String()), args...); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	return nil
}

// ImportReader imports one feed stream named name in one transaction:
// all of it, or (on any error) nothing.
func (s *Store) ImportReader(ctx context.Context, name string, r io.Reader, norm *vuln.Normalizer) (Summary, error) {
	h := sha256.New()
	o, err := OpenReader(io.TeeReader(r, h))
	if err != nil {
		return Summary{Path: name}, fmt.Errorf("%s: %w", name, err)
	}
	if o.Format == FormatUnknown {
		return Summary{Path: name}, fmt.Errorf("%s: %w", name, ErrUnknownFormat)
	}
	var sum Summary
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		sink := &txSink{ctx: ctx, tx: tx, d: s.db}
		var err error
		sum, err = Decode(o, norm, sink)
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, o); err != nil { // hash the whole file
			return err
		}
		if err := sink.flush(); err != nil {
			return err
		}
		sum.Path = name
		return upsert(ctx, tx, s.db, "feed_imports", []string{"path", "format", "records", "sha256", "dataset_date", "version", "imported_at"}, 1,
			[][]any{{name, string(sum.Format), sum.Records, hex.EncodeToString(h.Sum(nil)), sum.DatasetDate, sum.Version, ts(s.now())}})
	})
	sum.Path = name
	if err != nil {
		return sum, fmt.Errorf("%s (%s): %w", name, o.Format, err)
	}
	return sum, nil
}

// ImportFile imports one file.
func (s *Store) ImportFile(ctx context.Context, path string, norm *vuln.Normalizer) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{Path: path}, err
	}
	defer f.Close()
	return s.ImportReader(ctx, path, f, norm)
}

// ImportPaths imports files and directories. In directories, files of no
// feed format (READMEs' CSVs, JSON schemas) are skipped and reported;
// a named file of unknown format is an error. The first failing file stops
// the import; files before it stay imported (each is its own transaction).
func (s *Store) ImportPaths(ctx context.Context, paths []string, norm *vuln.Normalizer, progress Progress) ([]Summary, []string, error) {
	explicit := map[string]bool{}
	for _, p := range paths {
		explicit[p] = true
	}
	files, err := Expand(paths)
	if err != nil {
		return nil, nil, err
	}
	var (
		out     []Summary
		skipped []string
	)
	for i, f := range files {
		if progress != nil {
			progress(i, len(files), f)
		}
		sum, err := s.ImportFile(ctx, f, norm)
		if errors.Is(err, ErrUnknownFormat) && !explicit[f] {
			skipped = append(skipped, f)
			s.log.Debug("skipping file of unknown format", "path", f)
			continue
		}
		if err != nil {
			return out, skipped, err
		}
		out = append(out, sum)
	}
	if progress != nil {
		progress(len(files), len(files), "")
	}
	return out, skipped, nil
}

// SetMeta records a key/value (e.g. the snapshot date in use).
func (s *Store) SetMeta(ctx context.Context, k, v string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return upsert(ctx, tx, s.db, "feed_meta", []string{"k", "v"}, 1, [][]any{{k, v}})
	})
}

// Meta reads a key, "" when absent.
func (s *Store) Meta(ctx context.Context, k string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT v FROM feed_meta WHERE k = ?`), k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Status summarizes what is loaded.
type Status struct {
	Advisories   map[string]int `json:"advisories"` // by source
	KEV          int            `json:"kev"`
	EPSS         int            `json:"epss"`
	LatestUpdate string         `json:"latest_advisory_update,omitempty"`
	Imports      []ImportRecord `json:"imports"`
	SnapshotUsed string         `json:"snapshot_imported,omitempty"`
}

// ImportRecord is one row of feed_imports.
type ImportRecord struct {
	Path        string `json:"path"`
	Format      string `json:"format"`
	Records     int    `json:"records"`
	SHA256      string `json:"sha256"`
	DatasetDate string `json:"dataset_date,omitempty"`
	Version     string `json:"version,omitempty"`
	ImportedAt  string `json:"imported_at"`
}

// Status reads counts and the import log.
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Advisories: map[string]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT source, COUNT(*), MAX(updated) FROM vuln_advisories GROUP BY source`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var src, upd string
		var n int
		if err := rows.Scan(&src, &n, &upd); err != nil {
			rows.Close()
			return st, err
		}
		st.Advisories[src] = n
		st.LatestUpdate = max(st.LatestUpdate, upd)
	}
	rows.Close()
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM feed_kev`).Scan(&st.KEV); err != nil {
		return st, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM feed_epss`).Scan(&st.EPSS); err != nil {
		return st, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT path, format, records, sha256, dataset_date, version, imported_at FROM feed_imports ORDER BY imported_at, path`)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var r ImportRecord
		if err := rows.Scan(&r.Path, &r.Format, &r.Records, &r.SHA256, &r.DatasetDate, &r.Version, &r.ImportedAt); err != nil {
			return st, err
		}
		st.Imports = append(st.Imports, r)
	}
	st.SnapshotUsed, err = s.Meta(ctx, "snapshot_date")
	return st, err
}

// Empty reports whether no advisory is loaded.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM vuln_advisories LIMIT 1) x`).Scan(&n)
	return n == 0, err
}

var _ vuln.Provider = (*Store)(nil)

// Advisories implements vuln.Provider.
func (s *Store) Advisories(ctx context.Context, fn func(*vuln.Advisory) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM vuln_advisories ORDER BY source, id`)
	if err != nil {
		return fmt.Errorf("read advisories: %w", err)
	}
	defer rows.Close()
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		var a vuln.Advisory
		if err := json.Unmarshal(doc, &a); err != nil {
			return fmt.Errorf("stored advisory is corrupt: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// KEV implements vuln.Provider.
func (s *Store) KEV(ctx context.Context, cves []string) (map[string]vuln.KEVEntry, error) {
	out := map[string]vuln.KEVEntry{}
	err := s.inChunks(ctx, `SELECT doc FROM feed_kev WHERE cve IN `, cves, func(rows *sql.Rows) error {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		var e vuln.KEVEntry
		if err := json.Unmarshal(doc, &e); err != nil {
			return err
		}
		out[e.CVE] = e
		return nil
	})
	return out, err
}

// EPSS implements vuln.Provider.
func (s *Store) EPSS(ctx context.Context, cves []string) (map[string]vuln.EPSSScore, error) {
	out := map[string]vuln.EPSSScore{}
	err := s.inChunks(ctx, `SELECT cve, epss, percentile, score_date, model FROM feed_epss WHERE cve IN `, cves, func(rows *sql.Rows) error {
		var e vuln.EPSSScore
		var date string
		if err := rows.Scan(&e.CVE, &e.EPSS, &e.Percentile, &date, &e.Model); err != nil {
			return err
		}
		e.Date, _ = time.Parse(time.RFC3339, date)
		out[e.CVE] = e
		return nil
	})
	return out, err
}

func (s *Store) inChunks(ctx context.Context, q string, keys []string, fn func(*sql.Rows) error) error {
	for len(keys) > 0 {
		n := min(len(keys), 500)
		chunk := keys[:n]
		keys = keys[n:]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := s.db.QueryContext(ctx, s.db.Rebind(q+"("+strings.TrimSuffix(strings.Repeat("?,", n), ",")+")"), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}
