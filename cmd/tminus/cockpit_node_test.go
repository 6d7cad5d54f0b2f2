package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/tminus-ir/tminus/domain"
)

// cockpitBackend is the screen's backend over app a's home, as cockpit builds it.
func cockpitBackend(t *testing.T, a *app) *storeBackend {
	t.Helper()
	ctx := context.Background()
	b, err := newStoreBackend(ctx, a.home, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The cockpit runs a node while it is open: a member can sync with it as with
// a serve. The node admits by the screen's view, not a fold of its own: a
// member the store holds but the screen has not refreshed to is refused. A
// second node on a taken address (a serve already running for the home) is
// skipped, not an error: that process carries sync.
func TestCockpitRunsANode(t *testing.T) {
	alice, inc := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &app{home: &workspace.Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	b := cockpitBackend(t, a) // the screen folds before bob is a member
	must(t, alice, "member", "add", id.Address, "--handle", "bob", "--role", "triage")
	must(t, alice, "note", inc, "seen from the cockpit's node")
	n, err := a.cockpitNode(ctx, "127.0.0.1:0", b)
	if err != nil {
		t.Fatalf("the cockpit started no node: %v", err)
	}
	defer n.Stop()
	defer maintain(ctx, n)()

	taken := n.Self()[strings.LastIndex(n.Self(), "@")+1:]
	other := &app{home: &workspace.Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer other.home.Close()
	if n2, err := other.cockpitNode(ctx, taken, b); err == nil {
		n2.Stop()
		t.Fatalf("a second node started on the taken address %s", taken)
	}

	if _, _, code := tminus(t, bob, "sync", "--timeout", "10s", n.Self()); code == 0 {
		t.Fatal("the cockpit's node admitted bob before the screen's view knew him")
	}
	if _, err := b.Refresh(ctx); err != nil { // the screen's next poll
		t.Fatal(err)
	}
	must(t, bob, "sync", n.Self())
	if got, want := must(t, bob, "state-hash"), must(t, alice, "state-hash"); got != want {
		t.Fatalf("after syncing with the cockpit's node: bob %s, alice %s", got, want)
	}
}

// The node reads the screen's view from its own goroutines while the screen
// refreshes it, folding new events into the same state: run with -race.
func TestCockpitNodeReadsWhileTheScreenRefreshes(t *testing.T) {
	alice, _ := newWorkspace(t)
	ctx := context.Background()
	a := &app{home: &workspace.Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	b := cockpitBackend(t, a)

	stop, done := make(chan struct{}), make(chan struct{})
	var reads atomic.Int64
	go func() { // the node: admission and the dial list
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b.readState(func(st *domain.State) error {
				for _, m := range st.Members {
					_ = m.Active && m.Enode != ""
				}
				for _, inc := range st.Incidents {
					_ = inc.Title
				}
				_, _ = st.Count, st.Last
				return nil
			})
			reads.Add(1)
		}
	}()
	// The Update goroutine: events arrive, Refresh folds them in place, the
	// panes read the state without a lock.
	for i := range 40 {
		if _, err := b.Do(ctx, &domain.IncidentDeclare{Title: fmt.Sprintf("incident %d", i), Severity: "P3"}); err != nil {
			t.Fatal(err)
		}
		if changed, err := b.Refresh(ctx); err != nil || !changed {
			t.Fatalf("refresh after an append: changed %v, err %v", changed, err)
		}
		_ = len(b.State().Incidents)
		_ = b.Me()
	}
	close(stop)
	<-done
	if got := len(b.State().Incidents); got != 41 {
		t.Fatalf("the screen's state holds %d incidents, want 41", got)
	}
	if reads.Load() == 0 {
		t.Fatal("the node's reader never ran")
	}
}
