package sync

import (
	"context"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// countingViews is a node's store that counts the Views folded from it.
type countingViews struct {
	*store.Store
	views atomic.Int32
}

func (c *countingViews) NewView(ctx context.Context) (*store.View, error) {
	c.views.Add(1)
	return c.Store.NewView(ctx)
}

// lent is a folded state its owner refreshes and lends to a node, as the
// cockpit lends its screen's.
type lent struct {
	mu   gosync.RWMutex
	view *store.View
}

func (l *lent) read(f func(*domain.State) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return f(l.view.State())
}

func (l *lent) refresh(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.view.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A node lent a state admits and refuses peers by that state, not by its
// store, and folds no View of its own. The lent state lags the store here
// on purpose: the store already holds m1's removal.
func TestNodeAdmitsByALentState(t *testing.T) {
	ctx := context.Background()
	w := newWorkspace(t, 31, 2)
	a, b := w.members[0], w.members[1]
	v, err := a.st.NewView(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := &lent{view: v}
	if _, err := a.st.Append(ctx, a.signer, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "m1"}}); err != nil {
		t.Fatal(err)
	}
	cs := &countingViews{Store: a.st}
	a.node = NewNode(Config{Key: a.key, ListenAddr: "127.0.0.1:0", Store: cs, Logger: testLogger(t), State: l.read})
	b.node = NewNode(Config{Key: b.key, ListenAddr: "127.0.0.1:0", Store: b.st, Logger: testLogger(t)})
	for _, m := range []*member{a, b} {
		if err := m.node.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.node.Stop)
	}
	w.link(1, 0)
	waitFor(t, 10*time.Second, "m1 admitted by the lent state, which still lists m1", func() bool { return len(a.node.Connected()) == 1 })

	l.refresh(t) // the owner folds the removal
	waitFor(t, 15*time.Second, "m1 disconnected once the lent state shows the removal", func() bool { return len(a.node.Connected()) == 0 })
	if n := cs.views.Load(); n != 0 {
		t.Fatalf("a node lent a state folded %d views of its own", n)
	}
}
