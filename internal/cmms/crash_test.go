package cmms

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

const childEnv = "WARD_CMMS_CRASH_CHILD"

// TestDelivererChild is the deliverer the crash test runs in a child process.
func TestDelivererChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestKillDelivererMidRun")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d, err := db.Open(ctx, os.Getenv("WARD_CMMS_DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cc := ConnectorConfig{Name: "hook", Type: TypeWebhook, URL: os.Getenv("WARD_CMMS_URL"), Secret: "crash"}
	cfg := testOutboxConfig(cc)
	cfg.Outbox.Concurrency = 2
	ob, err := Open(ctx, d, fixture(20, 10), Options{Config: cfg, Connectors: []Connector{NewWebhook(cc, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	_ = ob.Run(ctx)
}

// TestKillDelivererMidRun SIGKILLs a deliverer while it is sending, restarts
// it on the same database, and checks the receiver got every event, in
// order per device, none applied twice.
func TestKillDelivererMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Run("sqlite", func(t *testing.T) { killDeliverer(t, filepath.Join(t.TempDir(), "ward.db")) })
	t.Run("postgres", func(t *testing.T) {
		_, dsn := dbtest.PostgresDSN(t)
		killDeliverer(t, dsn)
	})
}

func killDeliverer(t *testing.T, dbPath string) {
	inv := fixture(20, 10)
	want := wantKeys(inv, "hook", DefaultEvents)
	rcv := newReceiver()
	rcv.fail, rcv.slow, rcv.delay = 9, 13, 200*time.Millisecond
	srv := rcv.serve(t, webhookParser([]byte("crash")))
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDelivererChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", "WARD_CMMS_DB="+dbPath, "WARD_CMMS_URL="+srv.URL)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	applied := func() int {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.applied)
	}
	waitFor := func(n int) bool {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if applied() >= n {
				return true
			}
			time.Sleep(2 * time.Millisecond)
		}
		return false
	}
	kills := 0
	for _, frac := range []int{4, 2} { // kill at ~25% and ~50% delivered
		cmd := start()
		if !waitFor(len(want) / frac) {
			_ = cmd.Process.Kill()
			t.Fatalf("child made no progress: %d of %d", applied(), len(want))
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		kills++
	}
	got := applied()
	if got >= len(want) {
		t.Fatalf("all %d delivered before the last kill; the test did not interrupt anything", got)
	}
	cmd := start()
	ok := waitFor(len(want))
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	if !ok {
		t.Fatalf("after %d kills only %d of %d delivered", kills, applied(), len(want))
	}
	rcv.check(t, want)
	t.Logf("%d events, %d requests, %d replays deduped, %d kills", len(want), rcv.requests, rcv.dupes, kills)

	d, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ob, err := Open(context.Background(), d, inv, Options{Config: testOutboxConfig(ConnectorConfig{Name: "hook", Type: TypeWebhook})})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ob.List(context.Background(), Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Errorf("outbox rows = %d, want one per event: %d", len(rows), len(want))
	}
}
