package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/workspace"
)

// The cockpit reads the acked alerts' firings on every refresh that folded something
// (storeBackend.Firings), keeping what it read for alerts whose own events did not
// change: an alert that fired again, seen through an in-place refresh, is read again
// and is unacked; the other alert's firing is the one read before.
func TestCockpitFiringsAcrossRefresh(t *testing.T) {
	home, _ := newWorkspace(t)
	refire := must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire")
	steady := must(t, home, "alert", "raise", "--title", "Disk full", "--fingerprint", "steady")
	must(t, home, "alert", "ack", refire)
	must(t, home, "alert", "ack", steady)
	ctx := context.Background()
	a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	b, err := a.openBackend(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]domain.ID{}
	for _, ref := range []string{refire, steady} {
		id, err := domain.ParseID(ref)
		if err != nil {
			t.Fatal(err)
		}
		ids[ref] = id
	}
	before, err := b.Firings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for ref, id := range ids {
		if got := before[id].Ackers(); len(got) != 1 || got[0] != "alice" {
			t.Fatalf("alert %s: this firing acked by %v, want [alice]", ref[:8], got)
		}
	}
	must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire", "--resolved")
	must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire")
	st := b.State()
	if changed, err := b.Refresh(ctx); err != nil || !changed {
		t.Fatalf("refresh: changed %v, %v", changed, err)
	}
	if b.State() != st {
		t.Fatal("the refresh re-folded; this test wants the in-place fold")
	}
	after, err := b.Firings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := after[ids[refire]]; f == nil || len(f.Acks) != 0 || f.Refired == 0 {
		t.Errorf("the re-fired alert's firing %+v, want no acks and a refired time", f)
	}
	if after[ids[steady]] != before[ids[steady]] {
		t.Errorf("the unchanged alert's firing was read again, want the one read before")
	}
}
