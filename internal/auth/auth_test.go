package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

func TestTokensSessionsAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		s, err := Open(ctx, d, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnsureOrg(ctx, "cli", "acme", "Acme Health"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnsureOrg(ctx, "cli", "acme", "ignored"); err != nil {
			t.Fatalf("EnsureOrg is idempotent: %v", err)
		}
		if _, err := s.EnsureOrg(ctx, "cli", "bad id!", ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad org id: %v", err)
		}
		if _, err := s.CreateSite(ctx, "cli", "acme", "icu", "ICU"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSite(ctx, "cli", "acme", "icu", ""); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate site: %v", err)
		}
		if _, err := s.CreateSite(ctx, "cli", "nobody", "x", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("site of unknown org: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, "cli", "acme", Sensor, "", "s1"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("sensor token without site: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, "cli", "acme", "root", "", ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad role: %v", err)
		}
		secret, tok, err := s.CreateToken(ctx, "cli", "acme", Admin, "", "first admin")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < 40 {
			t.Fatalf("secret %q", secret)
		}
		// Only the hash is stored.
		var n int
		if err := d.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM auth_tokens WHERE hash = ? OR id = ?`), secret, secret).Scan(&n); err != nil || n != 0 {
			t.Fatalf("plaintext token stored (n=%d, err=%v)", n, err)
		}
		p, err := s.Authenticate(ctx, secret)
		if err != nil || p.Org != "acme" || p.Role != Admin || p.TokenID != tok.ID {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		if ts, err := s.Tokens(ctx, "acme"); err != nil || len(ts) != 1 || ts[0].LastUsed == nil || !ts[0].LastUsed.Equal(now) {
			t.Fatalf("Tokens after use = %+v, %v", ts, err)
		}
		if ts, _ := s.Tokens(ctx, "other"); len(ts) != 0 {
			t.Fatalf("tokens leak across orgs: %+v", ts)
		}
		if _, err := s.Authenticate(ctx, secret+"x"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("wrong secret: %v", err)
		}
		sess, csrf, _, err := s.Login(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		sp, scsrf, err := s.Session(ctx, sess)
		if err != nil || sp.TokenID != tok.ID || scsrf != csrf || !CSRFEqual(csrf, scsrf) || CSRFEqual("", "") {
			t.Fatalf("Session = %+v %q %v", sp, scsrf, err)
		}
		now = now.Add(SessionTTL + time.Minute)
		if _, _, err := s.Session(ctx, sess); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("expired session accepted: %v", err)
		}
		sess2, _, _, err := s.Login(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "cli", "other", tok.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke across orgs: %v", err)
		}
		if err := s.RevokeToken(ctx, "cli", "acme", tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("revoked token accepted: %v", err)
		}
		if _, _, err := s.Session(ctx, sess2); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("session of revoked token accepted: %v", err)
		}
		log, total, err := s.AuditLog(ctx, "acme", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		want := "token.revoke session.login session.login token.create site.create org.create"
		if got := strings.Join(actions, " "); got != want || total != 6 {
			t.Fatalf("audit actions = %q (total %d), want %q", got, total, want)
		}
	})
}

func TestRecordUploadOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := Open(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := Principal{TokenID: "tok_1", Org: "acme", Role: Sensor, Site: "icu"}
		u := Upload{BatchID: "b1", Sensor: "s1", Site: "icu", Observations: 10, Applied: true, SpoolBacklog: 3}
		fresh, err := s.RecordUpload(ctx, p, u)
		if err != nil || !fresh {
			t.Fatalf("first: %v %v", fresh, err)
		}
		u.SpoolBacklog, u.Dropped = 0, 2
		fresh, err = s.RecordUpload(ctx, p, u)
		if err != nil || fresh {
			t.Fatalf("duplicate: %v %v", fresh, err)
		}
		seen, err := s.BatchSeen(ctx, "b1")
		if err != nil || !seen {
			t.Fatalf("BatchSeen: %v %v", seen, err)
		}
		ss, err := s.Sensors(ctx, "acme", "")
		if err != nil || len(ss) != 1 {
			t.Fatalf("Sensors: %v %v", ss, err)
		}
		if got := ss[0]; got.Batches != 1 || got.Observations != 10 || got.SpoolBacklog != 0 || got.Dropped != 2 {
			t.Fatalf("sensor stats %+v", got)
		}
		if other, _ := s.Sensors(ctx, "other", ""); len(other) != 0 {
			t.Fatalf("sensors leak across orgs: %v", other)
		}
	})
}
