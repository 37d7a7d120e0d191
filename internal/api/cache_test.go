package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
)

func TestCacheOnceAndTTL(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newCache(10*time.Second, clock)
	var fills atomic.Int64
	fill := func() (any, error) {
		fills.Add(1)
		time.Sleep(20 * time.Millisecond)
		return "v", nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.get(siteKey("dashboard", []string{"a1", "a2"}), fill); err != nil || v != "v" {
				t.Errorf("get = %v, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if fills.Load() != 1 {
		t.Fatalf("%d fills for 20 concurrent viewers, want 1", fills.Load())
	}
	c.get(siteKey("dashboard", []string{"a1", "a2"}), fill)
	if fills.Load() != 1 {
		t.Fatal("cached value recomputed within the TTL")
	}
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	c.get(siteKey("dashboard", []string{"a1", "a2"}), fill)
	if fills.Load() != 2 {
		t.Fatal("expired entry served")
	}
}

// BenchmarkDevicesPage measures one page of the device list through the
// handler (auth, scope, inventory query on SQLite, JSON) over 5,000 devices.
func BenchmarkDevicesPage(b *testing.B) {
	f := newFixture(b, dbtest.SQLite(b))
	ctx := context.Background()
	at := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	obs := make([]observe.Observation, 0, 5000)
	for i := 0; i < 5000; i++ {
		obs = append(obs, dhcp(fmt.Sprintf("10.3.%d.%d", i/250, i%250+1), fmt.Sprintf("00:09:fb:02:%02x:%02x", i/256, i%256), fmt.Sprintf("bench-%d", i), at))
	}
	inv := f.api.cfg.Inventory.(*inventory.Service)
	if _, err := inv.Ingest(ctx, "a1", obs); err != nil {
		b.Fatal(err)
	}
	tok := f.tokens["acme/viewer"]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("GET", fmt.Sprintf("/api/v1/devices?site=a1&sort=-last_seen&limit=50&offset=%d", (i%50)*50), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}
