package watch

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// A reorg on go-ethereum's simulated chain takes out the block whose Paused
// log raised an alert: the watcher notices the block hash changed, rescans,
// and sends the same fingerprint again resolved and marked Reorged; the
// firing record is not taken back.
func TestSimReorgRemovesLog(t *testing.T) {
	c := newSimChain(t, false)
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	sink := &recordingSink{}
	w := c.watcher(c.Client, &memCursor{}, c.pausedRule(), func(cfg *ChainConfig) { cfg.Now = func() time.Time { return now } })
	poll(t, w, sink)
	r := c.Call("pause")
	c.Sim.Commit() // the log is not at the tip: the reorg is two blocks deep
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("pause raised %d alerts, want 1", n)
	}
	c.ForkOut(r)
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("the poll after the reorg sent %d alerts, want 1 (the reorged one)", n)
	}
	_, alerts := sink.stored()
	fire, gone := alerts[0], alerts[1]
	if fire.Fingerprint != wantFingerprint(r) || fire.Status != StatusFiring || fire.Reorged {
		t.Errorf("first alert %+v, want firing %s", fire, wantFingerprint(r))
	}
	if gone.Fingerprint != fire.Fingerprint || gone.Status != StatusResolved || !gone.Reorged ||
		gone.Labels["reorged"] != "true" || !gone.EndsAt.Equal(now) || gone.Severity != "P1" {
		t.Errorf("reorged alert %+v, want the same fingerprint resolved, reorged, ended at %v", gone, now)
	}
	if gone.Labels["block_hash"] != fire.Labels["block_hash"] || fire.Labels["reorged"] != "" {
		t.Errorf("labels changed in place: fired %v, reorged %v", fire.Labels, gone.Labels)
	}
	if n := poll(t, w, sink); n != 0 {
		t.Errorf("a later poll sent %d more alerts", n)
	}
	if c.Sim.Commit(); poll(t, w, sink) != 0 {
		t.Error("a new block after the reorg raised alerts")
	}
}

// A reorg that mines the same transaction again in a replacement block
// moves the log but keeps its fingerprint (txhash:logIndex): the alert is
// observed again with the new block hash and is not marked reorged.
func TestSimReorgReincludesLog(t *testing.T) {
	c := newSimChain(t, false)
	sink := &recordingSink{}
	w := c.watcher(c.Client, &memCursor{}, c.pausedRule(), nil)
	poll(t, w, sink)
	r := c.Call("pause")
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("pause raised %d alerts, want 1", n)
	}
	block, err := c.Client.HeaderByNumber(context.Background(), r.BlockNumber)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sim.Fork(block.ParentHash); err != nil {
		t.Fatal(err)
	}
	c.Sim.Commit() // the pool gives the reorged transaction back: same block height, new block
	c.Sim.Commit()
	again, err := c.Client.TransactionReceipt(context.Background(), r.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if again.BlockHash == r.BlockHash {
		t.Fatal("the replacement block has the old hash; the fork did not happen")
	}
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("the poll after the reorg sent %d alerts, want 1 (the same log observed again)", n)
	}
	_, alerts := sink.stored()
	a := alerts[1]
	if a.Fingerprint != wantFingerprint(r) || a.Reorged || a.Status != StatusFiring ||
		a.Labels["block_hash"] != lowerHex(again.BlockHash) {
		t.Errorf("alert after the reorg %+v, want %s firing in block %s", a, wantFingerprint(r), again.BlockHash.Hex())
	}
	if n := poll(t, w, sink); n != 0 {
		t.Errorf("a later poll sent %d more alerts", n)
	}
}

// reorgDuringLogs calls fork once, just before the first eth_getLogs answer.
type reorgDuringLogs struct {
	*fakeChain
	fork func()
}

func (r *reorgDuringLogs) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if r.fork != nil {
		r.mu.Lock()
		r.fork()
		r.mu.Unlock()
		r.fork = nil
	}
	return r.fakeChain.FilterLogs(ctx, q)
}

func lowerHex(h common.Hash) string { return "0x" + common.Bytes2Hex(h[:]) }

// Reorg detection on a scripted endpoint, for the cases the simulated chain
// cannot stage on demand.
func TestChainReorgCases(t *testing.T) {
	paused := func(block uint64, tx byte, f *fakeChain) types.Log {
		l := pausedLog(block, tx, 0)
		l.BlockHash = f.header(block).Hash()
		return l
	}
	t.Run("1 endpoint behind the scanned blocks: no reorg, nothing sent", func(t *testing.T) {
		f := &fakeChain{chainID: 1, head: 6}
		f.logs = []types.Log{paused(5, 1, f)}
		w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{Start: 1})
		sink := &recordingSink{}
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("first poll: %d, %v", n, err)
		}
		f.head = 3 // a lagging node behind a load balancer
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 0 {
			t.Fatalf("poll on a lagging node: %d, %v", n, err)
		}
		f.head = 7
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 0 {
			t.Fatalf("poll once caught up: %d, %v", n, err)
		}
	})
	t.Run("2 replaced block: rescan from the last block still in the chain", func(t *testing.T) {
		f := &fakeChain{chainID: 1, head: 6}
		f.logs = []types.Log{paused(5, 1, f)}
		cursor := &memCursor{}
		w := newFakeWatcher(t, f, cursor, ChainConfig{Start: 1, MaxRange: 2})
		sink := &recordingSink{}
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("first poll: %d, %v", n, err)
		}
		f.forks = map[uint64]byte{5: 1, 6: 1, 7: 1}
		f.logs, f.head, f.queries = nil, 7, nil
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("poll after the reorg: %d, %v", n, err)
		}
		// Ranges ended at 2, 4 and 6: 4 is the newest still in the chain.
		if want := [][2]uint64{{5, 6}, {7, 7}}; !slices.Equal(f.queries, want) {
			t.Errorf("rescanned %v, want %v", f.queries, want)
		}
		if _, alerts := sink.stored(); !alerts[1].Reorged || cursor.last["vault"] != 7 {
			t.Errorf("alerts %+v, cursor %d", alerts, cursor.last["vault"])
		}
	})
	t.Run("3 deeper than ReorgDepth: rescan from the oldest remembered block", func(t *testing.T) {
		f := &fakeChain{chainID: 1, head: 10}
		f.logs = []types.Log{paused(9, 1, f)}
		w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{Start: 1, MaxRange: 1, ReorgDepth: 3})
		sink := &recordingSink{}
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("first poll: %d, %v", n, err)
		}
		f.forks = map[uint64]byte{}
		for b := uint64(1); b <= 11; b++ {
			f.forks[b] = 1
		}
		f.logs, f.head, f.queries = nil, 11, nil
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("poll after the reorg: %d, %v", n, err)
		}
		if f.queries[0] != [2]uint64{7, 7} {
			t.Errorf("rescan started with %v, want block 7 (10 minus ReorgDepth 3)", f.queries)
		}
	})
	t.Run("4 reorg between the header and the logs: rescanned, nothing marked", func(t *testing.T) {
		f := &fakeChain{chainID: 1, head: 6}
		f.logs = []types.Log{paused(6, 1, f)}
		// The node switches branch after answering for block 6's header and
		// before the logs: the log comes from the new block 6.
		racy := &reorgDuringLogs{fakeChain: f, fork: func() {
			f.forks = map[uint64]byte{6: 1}
			f.logs = []types.Log{paused(6, 1, f)}
		}}
		w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{Start: 1})
		w.backend = racy
		sink := &recordingSink{}
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("first poll: %d, %v", n, err)
		}
		f.head, f.queries = 7, nil
		if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
			t.Fatalf("second poll: %d, %v", n, err)
		}
		if want := [][2]uint64{{1, 7}}; !slices.Equal(f.queries, want) {
			t.Errorf("queries %v, want the range rescanned with the new block: %v", f.queries, want)
		}
		if _, alerts := sink.stored(); alerts[1].Fingerprint != alerts[0].Fingerprint || alerts[1].Reorged {
			t.Errorf("alerts %+v, want the log observed again and not marked", alerts)
		}
	})
}
