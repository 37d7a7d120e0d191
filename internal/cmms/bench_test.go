package cmms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
)

type nopConnector struct{ n int }

func (c *nopConnector) Name() string  { return "nop" }
func (c *nopConnector) MaxBatch() int { return 100 }
func (c *nopConnector) Send(_ context.Context, b []Message) error {
	c.n += len(b)
	return nil
}

// BenchmarkOutbox1000: feed 1000 new events (200 devices) and deliver them
// through a connector that accepts everything, on SQLite; one op = 1000 events.
func BenchmarkOutbox1000(b *testing.B) {
	inv := fixture(200, 1)
	conn := &nopConnector{}
	cfg := testOutboxConfig(ConnectorConfig{Name: "nop", Type: TypeCSV, Path: "unused"})
	ctx := context.Background()
	ob, err := Open(ctx, dbtest.SQLite(b), inv, Options{Config: cfg, Connectors: []Connector{conn}})
	if err != nil {
		b.Fatal(err)
	}
	next := int64(len(inv.evs))
	b.ReportAllocs()
	for b.Loop() {
		for i := range 1000 {
			next++
			inv.add(inventory.Event{ID: next, Site: "default", DeviceID: fmt.Sprintf("dev-%03d", i%200), Type: inventory.EventMoved, Time: time.Now()})
		}
		if _, err := ob.Feed(ctx); err != nil {
			b.Fatal(err)
		}
		for {
			n, _, err := ob.RunOnce(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	if p, _ := ob.Pending(ctx); p != 0 {
		b.Fatalf("%d pending", p)
	}
}
