package soak

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// A bulk is a long chain by one member, the archivist, imported into one
// node while the three-way partition holds: when it heals, the smallest
// group has several Events messages (MaxEventsBytes each) of one author to
// pull, rounds the harness can kill a node between. The writers' few
// hundred short events fit in one round, so without it "kill -9 during an
// import" would land after the import.
const (
	bulkNotes    = 3000
	bulkNoteSize = 1000 // bytes of text: ~3.5 MB of raw events in all
	// bulkWait bounds how long the heal waits for the import (1-2 s on a
	// quiet machine, 7 s seen under load).
	bulkWait = 60 * time.Second
)

// prepareBulk signs bulkNotes notes as the archivist in its own home (no
// process runs there) and exports them as a bundle, before the run: the
// run only imports it.
func (r *run) prepareBulk(ctx context.Context) error {
	last, err := r.signBulk(ctx)
	if err != nil {
		return fmt.Errorf("bulk: sign %d notes as %s: %w", bulkNotes, r.archivist.handle, err)
	}
	f := filepath.Join(r.dir, "bulk.jsonl")
	if _, err := r.cli.run(ctx, r.archivist.env, r.archivist.home, "bundle", "export", f); err != nil {
		return fmt.Errorf("bulk: export: %w", err)
	}
	r.bulkFile, r.bulkHead = f, last.String()
	return nil
}

// bulk imports the archivist's bundle into node to with the CLI, as a
// responder carrying a laptop's log would. The chain's last event is an
// acknowledged write: every node must end up holding it, and with it (no
// gaps in a chain) every note before it.
func (r *run) bulk(ctx context.Context, to int) {
	defer close(r.bulkDone)
	n := r.nodes[to]
	started := time.Now()
	if _, err := r.cli.run(ctx, n.env, n.home, "bundle", "import", r.bulkFile); err != nil {
		if ctx.Err() == nil {
			r.problem("bulk: import into %s: %v", n.handle, err)
		}
		return
	}
	r.logf("bulk: %d notes by %s imported into %s in %v", bulkNotes, r.archivist.handle, n.handle, time.Since(started).Round(time.Millisecond))
	r.ack(write{node: to, op: "bulk import", event: r.bulkHead, started: started})
}

func (r *run) signBulk(ctx context.Context) (domain.ID, error) {
	a := r.archivist
	key, err := store.UnlockKey(filepath.Join(a.home, "key.json"), []byte(passphrase))
	if err != nil {
		return domain.ID{}, err
	}
	inc, err := domain.ParseID(r.incident)
	if err != nil {
		return domain.ID{}, err
	}
	st, err := store.Open(ctx, filepath.Join(a.home, "tminus.db"))
	if err != nil {
		return domain.ID{}, err
	}
	defer st.Close()
	const line = "eth_getLogs 0x5f3ca1 Transfer(bridge, drainer) confirmed; "
	filler := strings.Repeat(line, bulkNoteSize/len(line)+1)[:bulkNoteSize]
	bodies := make([]domain.Body, bulkNotes)
	for k := range bodies {
		bodies[k] = &domain.Note{Incident: inc, Text: fmt.Sprintf("archive %d: %s", k, filler)}
	}
	evs, err := st.AppendMany(ctx, domain.KeySigner{Key: key}, bodies)
	if err != nil {
		return domain.ID{}, err
	}
	return evs[len(evs)-1].ID, nil
}

// seqOf is the highest seq of author's chain that node i stores.
func (s *spread) seqOf(ctx context.Context, i int, author common.Address) int64 {
	var seq int64
	if err := s.dbs[i].QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM events WHERE author = ?", author[:]).Scan(&seq); err != nil {
		return -1
	}
	return seq
}
