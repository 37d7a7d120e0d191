// Package auth keeps Ward's tenancy: organizations (an ISO's customers) own
// sites, sites own sensors; API tokens (stored only as SHA-256 hashes) carry a
// role within one organization; browser sessions wrap a token with a CSRF
// secret; every change is written to an audit log; and the sensor batch ledger
// makes uploads apply exactly once.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/db"
)

// Role is what a token may do inside its organization.
type Role string

// Roles, most powerful first.
const (
	Admin   Role = "admin"   // everything in the organization, incl. sites, tokens and the audit log
	Analyst Role = "analyst" // read everything, change analysis state
	Viewer  Role = "viewer"  // read everything but the audit log
	Sensor  Role = "sensor"  // upload observations for its one site, nothing else
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case Admin, Analyst, Viewer, Sensor:
		return true
	}
	return false
}

// CanRead reports whether r may read inventory, findings and plans.
func (r Role) CanRead() bool { return r == Admin || r == Analyst || r == Viewer }

// Errors.
var (
	ErrUnauthenticated = errors.New("missing, unknown or revoked credentials")
	ErrNotFound        = errors.New("not found")
	ErrExists          = errors.New("already exists")
	ErrInvalid         = errors.New("invalid")
)

// Principal is an authenticated caller.
type Principal struct {
	TokenID string `json:"token_id"`
	Name    string `json:"name"`
	Org     string `json:"organization"`
	Role    Role   `json:"role"`
	Site    string `json:"site,omitempty"` // sensor tokens: the one site they feed
}

// Actor names the principal in the audit log.
func (p Principal) Actor() string {
	if p.Name != "" {
		return p.Name + " (" + p.TokenID + ")"
	}
	return p.TokenID
}

// Org is an organization.
type Org struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Site is a place sensors observe. Its ID is unique across organizations
// because the inventory keys devices by site.
type Site struct {
	ID      string    `json:"id"`
	Org     string    `json:"organization"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Token is a stored API token (never its secret).
type Token struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Org      string     `json:"organization"`
	Role     Role       `json:"role"`
	Site     string     `json:"site,omitempty"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

// AuditEntry is one change.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Org    string    `json:"organization"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// Component is the migration component name.
const Component = "auth"

// Migrations are the auth tables.
var Migrations = []db.Migration{{
	SQLite: `
CREATE TABLE auth_orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE auth_sites (id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE INDEX auth_sites_org ON auth_sites(org);
CREATE TABLE auth_tokens (
	id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, org TEXT NOT NULL, role TEXT NOT NULL,
	site TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL,
	last_used BIGINT, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE auth_sessions (hash TEXT PRIMARY KEY, token_id TEXT NOT NULL, csrf TEXT NOT NULL, expires BIGINT NOT NULL);
CREATE TABLE auth_audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL, org TEXT NOT NULL, actor TEXT NOT NULL,
	action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_audit_org ON auth_audit(org, id);
CREATE TABLE auth_sensors (
	org TEXT NOT NULL, site TEXT NOT NULL, name TEXT NOT NULL, last_upload BIGINT NOT NULL,
	batches BIGINT NOT NULL DEFAULT 0, observations BIGINT NOT NULL DEFAULT 0,
	spool_backlog BIGINT NOT NULL DEFAULT 0, dropped BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (site, name)
);
CREATE TABLE auth_batches (
	batch_id TEXT PRIMARY KEY, site TEXT NOT NULL, sensor TEXT NOT NULL, at BIGINT NOT NULL,
	observations INTEGER NOT NULL, applied INTEGER NOT NULL
);`,
	Postgres: `
CREATE TABLE auth_orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE auth_sites (id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE INDEX auth_sites_org ON auth_sites(org);
CREATE TABLE auth_tokens (
	id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, org TEXT NOT NULL, role TEXT NOT NULL,
	site TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL,
	last_used BIGINT, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE auth_sessions (hash TEXT PRIMARY KEY, token_id TEXT NOT NULL, csrf TEXT NOT NULL, expires BIGINT NOT NULL);
CREATE TABLE auth_audit (
	id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, org TEXT NOT NULL, actor TEXT NOT NULL,
	action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_audit_org ON auth_audit(org, id);
CREATE TABLE auth_sensors (
	org TEXT NOT NULL, site TEXT NOT NULL, name TEXT NOT NULL, last_upload BIGINT NOT NULL,
	batches BIGINT NOT NULL DEFAULT 0, observations BIGINT NOT NULL DEFAULT 0,
	spool_backlog BIGINT NOT NULL DEFAULT 0, dropped BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (site, name)
);
CREATE TABLE auth_batches (
	batch_id TEXT PRIMARY KEY, site TEXT NOT NULL, sensor TEXT NOT NULL, at BIGINT NOT NULL,
	observations INTEGER NOT NULL, applied INTEGER NOT NULL
);`,
}}

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// Store is the tenancy store. Safe for concurrent use.
type Store struct {
	db  *db.DB
	now func() time.Time
}

// Open migrates the auth tables and returns the store. now may be nil (time.Now).
func Open(ctx context.Context, d *db.DB, now func() time.Time) (*Store, error) {
	if err := d.Migrate(ctx, Component, Migrations); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: d, now: now}, nil
}

// idRE is compiled on first use: the {0,63} repetition makes it costly to
// compile, which every ward command paid at package initialisation.
var idRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidID reports whether s can name an organization, site or sensor.
func ValidID(s string) bool { return idRE().MatchString(s) }

func (s *Store) q(query string) string { return s.db.Rebind(query) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how tokens and session ids are stored: a hash of a 32-byte
// random secret needs no salt or slow KDF, nothing can be guessed from it.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// EnsureOrg creates the organization if it does not exist.
func (s *Store) EnsureOrg(ctx context.Context, actor, id, name string) (Org, error) {
	if !ValidID(id) {
		return Org{}, fmt.Errorf("%w organization id %q: use 1-64 letters, digits, '.', '_' or '-'", ErrInvalid, id)
	}
	if name == "" {
		name = id
	}
	o := Org{ID: id, Name: name, Created: s.now().UTC()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM auth_orgs WHERE id = ?`), id).Scan(&have)
		if err == nil {
			o.Name = have
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_orgs(id, name, created) VALUES (?, ?, ?)`), id, name, o.Created.UnixNano()); err != nil {
			return err
		}
		return s.audit(ctx, tx, id, actor, "org.create", id, name)
	})
	if err != nil {
		return Org{}, fmt.Errorf("create organization %s: %w", id, err)
	}
	return o, nil
}

// CreateSite adds a site to org. Site ids are global (the inventory keys by them).
func (s *Store) CreateSite(ctx context.Context, actor, org, id, name string) (Site, error) {
	if !ValidID(id) {
		return Site{}, fmt.Errorf("%w site id %q: use 1-64 letters, digits, '.', '_' or '-'", ErrInvalid, id)
	}
	if name == "" {
		name = id
	}
	st := Site{ID: id, Org: org, Name: name, Created: s.now().UTC()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM auth_orgs WHERE id = ?`), org).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("organization %q: %w", org, ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM auth_sites WHERE id = ?`), id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("site %q: %w", id, ErrExists)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_sites(id, org, name, created) VALUES (?, ?, ?, ?)`),
			id, org, name, st.Created.UnixNano()); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, actor, "site.create", id, name)
	})
	if err != nil {
		return Site{}, err
	}
	return st, nil
}

// Sites lists the sites of org by id.
func (s *Store) Sites(ctx context.Context, org string) ([]Site, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, org, name, created FROM auth_sites WHERE org = ? ORDER BY id`), org)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	out := []Site{}
	for rows.Next() {
		var st Site
		var c int64
		if err := rows.Scan(&st.ID, &st.Org, &st.Name, &c); err != nil {
			return nil, err
		}
		st.Created = time.Unix(0, c).UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

// SiteOrg returns the organization owning site, ErrNotFound if none.
func (s *Store) SiteOrg(ctx context.Context, site string) (string, error) {
	var org string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT org FROM auth_sites WHERE id = ?`), site).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("site %q: %w", site, ErrNotFound)
	}
	return org, err
}

// TokenPrefix starts every Ward API token, so leaked tokens are recognisable.
const TokenPrefix = "ward_"

// CreateToken issues a token and returns its secret, which is never stored
// and cannot be shown again. A sensor token must name a site of org.
func (s *Store) CreateToken(ctx context.Context, actor, org string, role Role, site, name string) (string, Token, error) {
	if !role.Valid() {
		return "", Token{}, fmt.Errorf("%w role %q: want admin, analyst, viewer or sensor", ErrInvalid, role)
	}
	if role == Sensor && site == "" {
		return "", Token{}, fmt.Errorf("%w: a sensor token needs a site", ErrInvalid)
	}
	if site != "" {
		so, err := s.SiteOrg(ctx, site)
		if err != nil {
			return "", Token{}, err
		}
		if so != org {
			return "", Token{}, fmt.Errorf("site %q belongs to another organization: %w", site, ErrInvalid)
		}
	}
	secret := TokenPrefix + randomString(32)
	t := Token{ID: "tok_" + randomString(9), Name: name, Org: org, Role: role, Site: site, Created: s.now().UTC()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_tokens(id, hash, org, role, site, name, created) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			t.ID, hashSecret(secret), org, string(role), site, name, t.Created.UnixNano()); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, actor, "token.create", t.ID, fmt.Sprintf("role=%s site=%s name=%s", role, site, name))
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// RevokeToken revokes a token of org.
func (s *Store) RevokeToken(ctx context.Context, actor, org, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE auth_tokens SET revoked = 1 WHERE id = ? AND org = ?`), id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM auth_sessions WHERE token_id = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, actor, "token.revoke", id, "")
	})
}

// Authenticate resolves a token secret.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Principal{}, ErrUnauthenticated
	}
	return s.byHash(ctx, hashSecret(secret))
}

func (s *Store) byHash(ctx context.Context, hash string) (Principal, error) {
	var p Principal
	var role string
	var revoked int
	var last sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, org, role, site, revoked, last_used FROM auth_tokens WHERE hash = ?`), hash).
		Scan(&p.TokenID, &p.Name, &p.Org, &role, &p.Site, &revoked, &last)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked != 0) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	p.Role = Role(role)
	// Record use at most once a minute: a write per request would make
	// every read a write.
	if now := s.now(); !last.Valid || now.Sub(time.Unix(0, last.Int64)) > time.Minute {
		_, _ = s.db.ExecContext(ctx, s.q(`UPDATE auth_tokens SET last_used = ? WHERE id = ?`), now.UnixNano(), p.TokenID)
	}
	return p, nil
}

func (s *Store) byID(ctx context.Context, id string) (Principal, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT hash FROM auth_tokens WHERE id = ?`), id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	return s.byHash(ctx, hash)
}

// Login checks a token secret and opens a browser session. It returns the
// session secret (the cookie value) and the CSRF token the UI must echo.
func (s *Store) Login(ctx context.Context, secret string) (session, csrf string, p Principal, err error) {
	p, err = s.Authenticate(ctx, secret)
	if err != nil {
		return "", "", Principal{}, err
	}
	session, csrf = randomString(32), randomString(24)
	exp := s.now().Add(SessionTTL).UnixNano()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM auth_sessions WHERE expires < ?`), s.now().UnixNano()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_sessions(hash, token_id, csrf, expires) VALUES (?, ?, ?, ?)`),
			hashSecret(session), p.TokenID, csrf, exp); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Org, p.Actor(), "session.login", p.TokenID, "")
	})
	if err != nil {
		return "", "", Principal{}, fmt.Errorf("login: %w", err)
	}
	return session, csrf, p, nil
}

// Session resolves a session cookie value to its principal and CSRF token.
func (s *Store) Session(ctx context.Context, session string) (Principal, string, error) {
	if session == "" || len(session) > 128 {
		return Principal{}, "", ErrUnauthenticated
	}
	var tokenID, csrf string
	var exp int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT token_id, csrf, expires FROM auth_sessions WHERE hash = ?`), hashSecret(session)).
		Scan(&tokenID, &csrf, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && exp < s.now().UnixNano()) {
		return Principal{}, "", ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, "", fmt.Errorf("session: %w", err)
	}
	p, err := s.byID(ctx, tokenID)
	return p, csrf, err
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, session string) error {
	p, _, err := s.Session(ctx, session)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM auth_sessions WHERE hash = ?`), hashSecret(session)); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Org, p.Actor(), "session.logout", p.TokenID, "")
	})
}

// CSRFEqual compares CSRF tokens in constant time.
func CSRFEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (s *Store) audit(ctx context.Context, tx *sql.Tx, org, actor, action, target, detail string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO auth_audit(at, org, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		s.now().UnixNano(), org, actor, action, target, detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Audit records a change made elsewhere (outside this store's transactions).
func (s *Store) Audit(ctx context.Context, org, actor, action, target, detail string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, org, actor, action, target, detail) })
}

// AuditLog lists org's audit entries, newest first, and the total.
func (s *Store) AuditLog(ctx context.Context, org string, limit, offset int) ([]AuditEntry, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM auth_audit WHERE org = ?`), org).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, org, actor, action, target, detail FROM auth_audit
		WHERE org = ? ORDER BY id DESC LIMIT ? OFFSET ?`), org, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Org, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, 0, err
		}
		e.Time = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Tokens lists org's tokens that are not revoked (never their secrets).
func (s *Store) Tokens(ctx context.Context, org string) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, name, org, role, site, created, last_used FROM auth_tokens
		WHERE org = ? AND revoked = 0 ORDER BY created, id`), org)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var role string
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Org, &role, &t.Site, &created, &last); err != nil {
			return nil, err
		}
		t.Role, t.Created = Role(role), time.Unix(0, created).UTC()
		if last.Valid {
			lu := time.Unix(0, last.Int64).UTC()
			t.LastUsed = &lu
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
