package watch

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The endpoint goes away and comes back serving another chain (a node
// restarted on another network, a provider failing over to the wrong one).
// The chain id was asked once per Run, so the watcher went on scanning the
// other chain with this one's cursor: alerts from the wrong chain, or none
// at all. A failed poll now asks again before the next scan.
func TestChainRechecksChainAfterOutage(t *testing.T) {
	ctx := context.Background()
	f := &fakeChain{chainID: 1, head: 5}
	sink := &recordingSink{}
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{})
	if _, err := w.Poll(ctx, sink); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.failures = 1 // gone
	f.mu.Unlock()
	if _, err := w.Poll(ctx, sink); err == nil {
		t.Fatal("a poll of a failing endpoint succeeded")
	}
	f.mu.Lock()
	f.chainID, f.head = 137, 9 // back, as another chain
	f.logs = append(f.logs, pausedLog(7, 1, 0))
	f.mu.Unlock()
	_, err := w.Poll(ctx, sink)
	if !errors.Is(err, ErrWrongChain) || !strings.Contains(err.Error(), "137") {
		t.Fatalf("got %v, want ErrWrongChain naming chain 137", err)
	}
	if _, alerts := sink.stored(); len(alerts) != 0 {
		t.Fatalf("alerts raised from the other chain: %+v", alerts)
	}
}
