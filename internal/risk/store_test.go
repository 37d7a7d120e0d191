package risk

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := OpenStore(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenStore(ctx, d); err != nil { // migrating twice is a no-op
			t.Fatal(err)
		}
		c1 := Control{ActionID: "restrict_access-01", Kind: KindRestrict, Service: "smb", Findings: []string{"a|X", "b|X"}, AppliedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Note: "CHG-1"}
		c2 := Control{ActionID: "disable_service-02", Kind: KindDisable, Service: "telnet", Findings: []string{"c|Y"}, AppliedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
		for _, c := range []Control{c2, c1} {
			if err := s.Apply(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		c1.Note = "CHG-1 redone"
		if err := s.Apply(ctx, c1); err != nil {
			t.Fatal(err)
		}
		got, err := s.Controls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Control{c1, c2}, got); diff != "" {
			t.Errorf("controls (-want +got):\n%s", diff)
		}
		if err := s.Apply(ctx, Control{ActionID: "x", Kind: "pray", Findings: []string{"a"}}); err == nil {
			t.Error("unknown kind accepted")
		}
		if err := s.Apply(ctx, Control{ActionID: "x", Kind: KindDisable}); err == nil {
			t.Error("control without findings accepted")
		}
		if err := s.Apply(ctx, Control{ActionID: "x", Kind: KindRestrict, Findings: []string{"a"}}); err == nil {
			t.Error("restrict control without a service accepted")
		}
		ok, err := s.Remove(ctx, c1.ActionID)
		if err != nil || !ok {
			t.Fatalf("remove: %v %v", ok, err)
		}
		if ok, _ := s.Remove(ctx, c1.ActionID); ok {
			t.Error("removed twice")
		}
		if got, _ := s.Controls(ctx); len(got) != 1 || got[0].ActionID != c2.ActionID {
			t.Errorf("after remove: %+v", got)
		}
	})
}
