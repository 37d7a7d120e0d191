package threat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

// TestSaveManyBaselines saves more baselines than one statement carries,
// twice (the second time as updates), and reads them back.
func TestSaveManyBaselines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := OpenStore(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var bs []*Baseline
		var ids []string
		for i := range 250 {
			id := fmt.Sprintf("dev-%03d", i)
			bs = append(bs, newBaseline("s1", id, t0, time.Hour))
			ids = append(ids, id)
		}
		for round := int64(1); round <= 2; round++ {
			for _, b := range bs {
				b.Observations = round
			}
			if err := st.Save(ctx, bs, nil); err != nil {
				t.Fatal(err)
			}
			got, err := st.LoadBaselines(ctx, "s1", ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ids) {
				t.Fatalf("round %d: %d baselines, want %d", round, len(got), len(ids))
			}
			for _, id := range ids {
				if b := got[id]; b == nil || b.Observations != round || !b.Until.Equal(t0.Add(time.Hour)) {
					t.Fatalf("round %d: baseline %s: %+v", round, id, b)
				}
			}
		}
	})
}
