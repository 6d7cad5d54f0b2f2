package watch

// Reorgs: remembering scanned ranges by block hash and marking the alerts
// whose logs a reorg removed.

import (
	"context"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// checkpoint is one scanned range as the watcher saw it: the hash of its
// last block stands for all of them, since a block's hash covers its
// ancestors. Hashes are always compared with hashes of headers the same
// way, never with a log's blockHash, so a chain whose headers go-ethereum
// hashes differently from the node cannot look like one reorg per poll.
type checkpoint struct {
	from, number uint64
	hash         common.Hash
	alerts       []Alert // firing alerts raised from the range's logs
}

// checkReorg compares the newest remembered block with the chain's block at
// that height. On a mismatch it walks back to the newest remembered block
// still in the chain, rewinds the scan (and the cursor) to just after it, and
// turns the alerts raised from the ranges above into orphans.
func (w *ChainWatcher) checkReorg(ctx context.Context, head uint64) error {
	if len(w.recent) == 0 {
		return nil
	}
	top := w.recent[len(w.recent)-1]
	if top.number > head {
		// The endpoint is below what was scanned: a node lagging behind a
		// load balancer, or a reorg onto a branch not yet as long. There is
		// nothing new to scan either way; look again once it is this high.
		return nil
	}
	keep := len(w.recent) // w.recent[:keep] is still in the chain
	for keep > 0 {
		cp := w.recent[keep-1]
		h, err := w.header(ctx, cp.number)
		if err != nil {
			return err
		}
		if h.Hash() == cp.hash {
			break
		}
		keep--
	}
	if keep == len(w.recent) {
		return nil
	}
	if w.orphans == nil {
		w.orphans = map[string]Alert{}
	}
	for _, cp := range w.recent[keep:] {
		for _, a := range cp.alerts {
			w.orphans[a.Fingerprint] = a
		}
	}
	w.rescanTo = max(w.rescanTo, top.number)
	// When even the oldest remembered range was replaced, the reorg is
	// deeper than ReorgDepth: that range is the earliest that can be
	// rescanned with alerts to compare.
	w.next = w.recent[keep].from
	w.recent = w.recent[:keep:keep]
	if w.next > 0 {
		if err := w.cursor.Save(w.cfg.Name, w.next-1); err != nil {
			return fmt.Errorf("watch: %s: saving cursor at block %d after a reorg: %w", w.cfg.Name, w.next-1, err)
		}
	}
	return nil
}

// settleOrphans sends, marked Reorged, the orphans the rescan did not find
// again, once it has passed the height scanned before the reorg.
func (w *ChainWatcher) settleOrphans(ctx context.Context, sink Sink) (int, error) {
	if len(w.orphans) == 0 || w.next <= w.rescanTo {
		return 0, nil
	}
	now := w.cfg.Now()
	gone := make([]Alert, 0, len(w.orphans))
	for _, a := range w.orphans {
		gone = append(gone, reorged(a, now))
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Fingerprint < gone[j].Fingerprint })
	if err := sink.Observe(ctx, gone); err != nil {
		return 0, fmt.Errorf("watch: %s: storing %d alerts a reorg removed: %w", w.cfg.Name, len(gone), err)
	}
	w.orphans = nil
	return len(gone), nil
}

// remember appends a scanned range, which is above the ones kept, and
// forgets those ending more than ReorgDepth below it.
func (w *ChainWatcher) remember(cp checkpoint) {
	w.recent = append(w.recent, cp)
	newest := cp.number
	drop := 0
	for drop < len(w.recent) && w.recent[drop].number+w.cfg.ReorgDepth < newest {
		drop++
	}
	if drop > 0 {
		w.recent = append(w.recent[:0:0], w.recent[drop:]...)
	}
}
