package main

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// A store busy with another writer (SQLite's busy timeout ran out) made the simulated
// teammates' goroutine return, and for the rest of the demo the header read "peers 0/3
// · offline" with nothing more arriving. A failed write is now tried again at the next
// beat; only writes that keep failing stop the teammates, saying why.
func TestDemoPeersOutlastABusyStore(t *testing.T) {
	ctx := context.Background()
	d := seededDemo(t)
	busy := errors.New("database is locked (5) (SQLITE_BUSY)")
	var calls, stored atomic.Int64
	d.write = func(ctx context.Context, who string, b domain.Body) error {
		if calls.Add(1) <= 2 {
			return busy
		}
		if _, err := d.st.Append(ctx, d.signers[who], b); err != nil {
			return err
		}
		stored.Add(1)
		return nil
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.simulate(sctx, 20*time.Millisecond) }()
	deadline := time.Now().Add(30 * time.Second)
	for stored.Load() < 3 && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the teammates stopped after a busy store: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if stored.Load() < 3 {
		t.Fatalf("%d events after the store was busy twice, want the teammates to go on", stored.Load())
	}
	// The first step (carol's watcher sees the bridge outflow: 3/3) was tried again, not
	// skipped.
	for _, a := range mustView(t, d).Alerts {
		if a.Fingerprint == fpBridge && len(a.Observers) != 3 {
			t.Errorf("bridge alert seen by %d members, want carol's retried observation too", len(a.Observers))
		}
	}
}

// Writes that keep failing stop the teammates with the reason, rather than a loop that
// retries a broken store in silence forever (demo --peers-only exits with it).
func TestDemoPeersStopOnAStoreThatStaysBroken(t *testing.T) {
	ctx := context.Background()
	d := seededDemo(t)
	d.write = func(context.Context, string, domain.Body) error { return errors.New("disk I/O error") }
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := d.simulate(sctx, 20*time.Millisecond)
	if err == nil || sctx.Err() != nil {
		t.Fatalf("simulate returned %v (context %v), want it to stop with the store's error", err, sctx.Err())
	}
	if !errors.Is(err, errDemoWrites) {
		t.Errorf("error %q does not say the teammates stopped", err)
	}
}

func mustView(t *testing.T, d *demo) *domain.State {
	t.Helper()
	v, err := d.st.NewView(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v.State()
}

// seededDemo is a demo workspace, seeded, opened as demo opens it; its store
// closes at the test's end.
func seededDemo(t *testing.T) *demo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	must(t, dir, "demo", "--seed-only", dir)
	d, err := openDemo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.st.Close() })
	return d
}
