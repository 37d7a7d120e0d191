package cmms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
)

func testOutboxConfig(conns ...ConnectorConfig) Config {
	return Config{Outbox: OutboxConfig{MaxAttempts: 50, Backoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Timeout: 150 * time.Millisecond, Interval: 5 * time.Millisecond, Concurrency: 4, GapExpiry: time.Minute}, Connectors: conns}
}

// drain feeds and delivers until nothing is pending.
func drain(t *testing.T, ob *Outbox) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := ob.Feed(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ob.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := ob.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(3 * time.Millisecond)
	}
	t.Fatal("outbox did not drain")
}

func wantKeys(inv *memInventory, conn string, types []inventory.EventType) map[string]bool {
	out := map[string]bool{}
	for _, e := range inv.evs {
		for _, t := range types {
			if e.Type == t {
				out[IdempotencyKey(e.ID, conn)] = true
			}
		}
	}
	return out
}

func webhookParser(secret []byte) func(*http.Request) ([]change, error) {
	return func(req *http.Request) ([]change, error) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		if !Verify(secret, body, req.Header.Get(HeaderSignature)) {
			return nil, fmt.Errorf("bad signature")
		}
		var b WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, err
		}
		if b.IdempotencyKey != req.Header.Get(HeaderIdempotency) || b.Device["id"] != b.DeviceID || b.Device["mac"] == "" {
			return nil, fmt.Errorf("inconsistent body %s", body)
		}
		return []change{{b.IdempotencyKey, b.DeviceID, b.Event.ID}}, nil
	}
}

func TestWebhookDeliveryUnreliableReceiver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		inv := fixture(6, 5)
		secret := []byte("s3cret")
		rcv := newReceiver()
		rcv.fail, rcv.slow, rcv.drop, rcv.delay = 3, 7, 11, 300*time.Millisecond
		srv := rcv.serve(t, webhookParser(secret))
		cc := ConnectorConfig{Name: "hook", Type: TypeWebhook, URL: srv.URL + "/ward", Secret: string(secret)}
		cfg := testOutboxConfig(cc)
		ob, err := Open(context.Background(), d, inv, Options{Config: cfg, Connectors: []Connector{NewWebhook(cc, srv.Client())}})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, ob)
		rcv.check(t, wantKeys(inv, "hook", DefaultEvents))
		if rcv.dupes == 0 {
			t.Error("slow answers should have caused replays the receiver deduped")
		}
		// New events after the first drain are picked up by the cursor.
		inv.add(inventory.Event{ID: 31, Site: "default", DeviceID: "dev-002", Type: inventory.EventMoved, Attribute: "switch_port", Before: "a", After: "b", Time: time.Now()})
		drain(t, ob)
		rcv.check(t, wantKeys(inv, "hook", DefaultEvents))
		dl, err := ob.List(context.Background(), Filter{Status: StatusDelivered, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(dl) != len(wantKeys(inv, "hook", DefaultEvents)) {
			t.Errorf("delivered rows = %d", len(dl))
		}
	})
}

func TestDeadLetterAndRetry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		inv := fixture(1, 2)
		down := true
		rcv := newReceiver()
		srv := rcv.serve(t, func(req *http.Request) ([]change, error) {
			if down {
				return nil, nil
			}
			return webhookParser([]byte("k"))(req)
		})
		// While "down" the receiver answers 500 through this wrapper.
		client := doerFunc(func(r *http.Request) (*http.Response, error) {
			if down {
				return &http.Response{StatusCode: 502, Status: "502 Bad Gateway", Body: io.NopCloser(http.NoBody), Request: r}, nil
			}
			return srv.Client().Do(r)
		})
		cc := ConnectorConfig{Name: "hook", Type: TypeWebhook, URL: srv.URL, Secret: "k"}
		cfg := testOutboxConfig(cc)
		cfg.Outbox.MaxAttempts = 3
		ctx := context.Background()
		ob, err := Open(ctx, d, inv, Options{Config: cfg, Connectors: []Connector{NewWebhook(cc, client)}})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, ob) // everything dead-letters: pending reaches 0
		dead, err := ob.List(ctx, Filter{Status: StatusDead})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 2 {
			t.Fatalf("dead letters = %d, want 2", len(dead))
		}
		for _, dl := range dead {
			if dl.Attempts != 3 || dl.LastError == "" {
				t.Errorf("dead letter %+v", dl)
			}
		}
		down = false
		for _, dl := range dead {
			if err := ob.Retry(ctx, dl.ID); err != nil {
				t.Fatal(err)
			}
		}
		drain(t, ob)
		rcv.check(t, wantKeys(inv, "hook", DefaultEvents))
		if err := ob.Retry(ctx, dead[0].ID); err == nil {
			t.Error("retrying a delivered row should fail")
		}
		if err := ob.Retry(ctx, 9999); err == nil {
			t.Error("retrying an unknown row should fail")
		}
	})
}

func TestPermanentErrorDeadLettersAtOnce(t *testing.T) {
	inv := fixture(1, 1)
	client := doerFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Body: io.NopCloser(http.NoBody), Request: r}, nil
	})
	cc := ConnectorConfig{Name: "hook", Type: TypeWebhook, URL: "http://127.0.0.1:1/", Secret: "k"}
	ob, err := Open(context.Background(), dbtest.SQLite(t), inv, Options{Config: testOutboxConfig(cc), Connectors: []Connector{NewWebhook(cc, client)}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ob)
	dead, _ := ob.List(context.Background(), Filter{Status: StatusDead})
	if len(dead) != 1 || dead[0].Attempts != 1 {
		t.Fatalf("dead = %+v", dead)
	}
}

// A PostgreSQL sequence can hand out id 5 to a transaction that commits after
// the one holding id 6: the feed must still queue event 5 once it appears.
func TestFeedLateCommittedEvent(t *testing.T) {
	inv := &memInventory{devs: map[string]*inventory.Device{"a": {ID: "a", Site: "default"}}}
	t0 := time.Now()
	for _, id := range []int64{1, 2, 3, 4, 6} {
		inv.add(inventory.Event{ID: id, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
	}
	cc := ConnectorConfig{Name: "x", Type: TypeCSV, Path: t.TempDir() + "/x.csv"}
	ctx := context.Background()
	ob, err := Open(ctx, dbtest.SQLite(t), inv, Options{Config: testOutboxConfig(cc)})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ob.Feed(ctx); err != nil || n != 5 {
		t.Fatalf("feed = %d, %v", n, err)
	}
	inv.add(inventory.Event{ID: 5, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
	inv.add(inventory.Event{ID: 7, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
	if n, err := ob.Feed(ctx); err != nil || n != 2 {
		t.Fatalf("second feed = %d, %v; want the late event 5 and the new 7", n, err)
	}
	if n, err := ob.Feed(ctx); err != nil || n != 0 {
		t.Fatalf("third feed = %d, %v; want nothing", n, err)
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// A gap far below the cursor (more than a page of events since) still fills.
func TestFeedLateEventBehindManyPages(t *testing.T) {
	inv := &memInventory{devs: map[string]*inventory.Device{"a": {ID: "a", Site: "default"}}}
	t0 := time.Now()
	for id := int64(1); id <= 1300; id++ {
		if id != 5 {
			inv.add(inventory.Event{ID: id, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
		}
	}
	cc := ConnectorConfig{Name: "x", Type: TypeCSV, Path: t.TempDir() + "/x.csv"}
	ctx := context.Background()
	ob, err := Open(ctx, dbtest.SQLite(t), inv, Options{Config: testOutboxConfig(cc)})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ob.Feed(ctx); err != nil || n != 1299 {
		t.Fatalf("feed = %d, %v", n, err)
	}
	inv.add(inventory.Event{ID: 5, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
	if n, err := ob.Feed(ctx); err != nil || n != 1 {
		t.Fatalf("late feed = %d, %v", n, err)
	}
	if n, err := ob.Feed(ctx); err != nil || n != 0 {
		t.Fatalf("third feed = %d, %v", n, err)
	}
	// Once expired, a gap is no longer waited for.
	ob.now = func() time.Time { return time.Now().Add(time.Hour) }
	inv.add(inventory.Event{ID: 1302, Site: "default", DeviceID: "a", Type: inventory.EventMoved, Time: t0})
	if _, err := ob.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	ob.now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	if _, err := ob.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	if g, _ := ob.gaps(ctx); len(g) != 0 {
		t.Errorf("gaps left: %v", g)
	}
}

func TestPrune(t *testing.T) {
	inv := fixture(2, 2)
	conn := &nopConnector{}
	cfg := testOutboxConfig(ConnectorConfig{Name: "nop", Type: TypeCSV, Path: "unused"})
	ctx := context.Background()
	ob, err := Open(ctx, dbtest.SQLite(t), inv, Options{Config: cfg, Connectors: []Connector{conn}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ob)
	if n, err := ob.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("recent rows pruned: %d %v", n, err)
	}
	if n, err := ob.Prune(ctx, time.Now().Add(time.Second)); err != nil || n != 4 {
		t.Fatalf("prune = %d %v", n, err)
	}
	// Pruned events are not queued again: the cursor, not the rows, decides.
	if n, err := ob.Feed(ctx); err != nil || n != 0 {
		t.Fatalf("feed after prune = %d %v", n, err)
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("cmms:\n  outbox: {max_attempts: 3}\n  connectors:\n    - {name: a, type: csv, path: x}\n"))
	f.Add([]byte("locations: []\ncmms:\n  connectors:\n    - {name: h, type: webhook, url: http://x, secret: s, events: [new]}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg, err := LoadConfig(bytes.NewReader(in))
		if err == nil && cfg.Validate() != nil {
			t.Fatalf("LoadConfig accepted an invalid config: %v", cfg.Validate())
		}
	})
}

func TestBackoff(t *testing.T) {
	o := &Outbox{cfg: Config{Outbox: OutboxConfig{Backoff: time.Second, MaxBackoff: 10 * time.Second}}}
	for _, tt := range []struct {
		attempts int
		base     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {30, 10 * time.Second}} {
		for range 20 {
			got := o.backoff(tt.attempts)
			if got < tt.base || got > tt.base+tt.base/5 {
				t.Errorf("backoff(%d) = %v, want %v plus at most 20%%", tt.attempts, got, tt.base)
			}
		}
	}
}
