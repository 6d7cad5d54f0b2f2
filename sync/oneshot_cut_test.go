package sync

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// gateStore stores the first round it is handed, then holds the next one
// until release closes and stores nothing of it: a sync cut off mid-pull.
type gateStore struct {
	NodeStore
	rounds  atomic.Int32
	held    chan struct{} // closed when the second round arrives
	release chan struct{}
}

func (g *gateStore) IngestChecked(ctx context.Context, c *store.Checking) (store.Report, error) {
	if g.rounds.Add(1) == 1 {
		return g.NodeStore.IngestChecked(ctx, c)
	}
	if g.rounds.Load() == 2 {
		close(g.held)
	}
	<-g.release
	return store.Report{}, errors.New("held by the test")
}

// A one-shot sync cut off by its context mid-pull reports what it pulled
// and kept, not nothing.
func TestSyncOnceCutOffReportsWhatItKept(t *testing.T) {
	w := newWorkspace(t, 35, 2)
	ctx := context.Background()
	src := w.members[1]
	text := strings.Repeat("relayer log line ", 100) // ~1.7 KB a note: a few rounds of MaxEventsBytes
	for range 1500 {
		if _, err := src.st.Append(ctx, src.signer, &domain.Note{Incident: w.inc, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	gate := &gateStore{NodeStore: w.members[0].st, held: make(chan struct{}), release: make(chan struct{})}
	before, err := w.members[0].st.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := NewNode(Config{Key: w.members[0].key, ListenAddr: "127.0.0.1:0", Store: gate, Logger: testLogger(t)})
	b := NewNode(Config{Key: src.key, ListenAddr: "127.0.0.1:0", Store: src.st, Logger: testLogger(t)})
	for _, n := range []*Node{a, b} {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-gate.held
		cancel()
		close(gate.release)
	}()
	stats, err := a.SyncOnce(cctx, b.Self())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("sync cut off: %v", err)
	}
	after, cerr := w.members[0].st.Count(ctx)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if kept := int(after - before); stats.Pulled == 0 || stats.Pulled != kept {
		t.Errorf("reported pulled %d, kept %d", stats.Pulled, kept)
	}
}
