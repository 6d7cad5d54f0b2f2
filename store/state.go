package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	gosync "sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// SnapshotEvery is how many events a fold may replay past the newest
// snapshot before it saves a new one; keepSnapshots bounds the table.
// At 10,000 events a snapshot costs one JSON encode of the state (a few
// ms at 100,000 events) and bounds a cold start to decoding one snapshot
// plus folding at most 10,000 events (see BENCHMARKS.md).
const (
	SnapshotEvery = 10_000
	keepSnapshots = 4
)

// snapshotEvery is SnapshotEvery; tests lower it to exercise snapshots
// on small stores.
var snapshotEvery = SnapshotEvery

// State folds the stored events: the newest snapshot plus the events after
// it. The result is the same as folding every event from the start.
func (s *Store) State(ctx context.Context) (*domain.State, error) {
	st, _, err := s.fold(ctx)
	return st, err
}

// Folds is how many times this store has folded its events from a
// snapshot or the start (State, NewView, a View's re-fold), the cost that
// grows with the store; a View's incremental Refresh does not count. A
// command should fold once: its tests count.
func (s *Store) Folds() int64 { return s.folds.Load() }

func (s *Store) fold(ctx context.Context) (*domain.State, int64, error) {
	s.folds.Add(1)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var arrival int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(ins), 0) FROM events").Scan(&arrival); err != nil {
		return nil, 0, err
	}
	forks, cuts, err := standing(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	st, err := latestSnapshot(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	if st != nil && (!maps.Equal(st.Forked, forks) || !maps.Equal(st.Cuts, cuts)) {
		// A revocation applied since the snapshot may void events before
		// it (domain/cuts.go): fold from the start. The new snapshot this
		// fold saves is the newest, so the next fold starts there.
		st = nil
	}
	if st == nil {
		st = domain.FoldFrom(forks, cuts)
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+rowCols+" FROM events WHERE (lamport, id) > (?, ?) AND ins <= ? ORDER BY lamport, id",
		st.Last.Lamport, st.Last.ID[:], arrival)
	if err != nil {
		return nil, 0, err
	}
	tail := 0
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		st.Apply(r.Event)
		tail++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	tx.Rollback()
	if tail >= snapshotEvery {
		// Best effort: a busy writer or a late event only means no snapshot now.
		_ = s.saveSnapshot(ctx, st, arrival)
	}
	return st, arrival, nil
}

func latestSnapshot(ctx context.Context, tx *sql.Tx) (*domain.State, error) {
	var key domain.Key
	var id []byte
	err := tx.QueryRowContext(ctx, "SELECT lamport, id FROM snapshots ORDER BY lamport DESC, id DESC LIMIT 1").Scan(&key.Lamport, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	copy(key.ID[:], id)
	rows, err := tx.QueryContext(ctx, "SELECT field, data FROM snapshot_parts WHERE lamport = ? AND id = ? ORDER BY n", key.Lamport, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dec := domain.NewStateDecoder()
	if err := decodeParts(rows, dec); err != nil {
		return nil, fmt.Errorf("snapshot at %d/%s: %w", key.Lamport, key.ID.Short(), err)
	}
	if st := dec.State(); st.Last != key {
		return nil, fmt.Errorf("snapshot at %d/%s restores a state folded to %d/%s", key.Lamport, key.ID.Short(), st.Last.Lamport, st.Last.ID.Short())
	}
	return dec.State(), nil
}

// decodeParts decodes a snapshot's parts on all cores and merges them in
// the order they were written. At a million events a snapshot is 63 MB of
// JSON: decoded on one core, it was most of a cockpit's start. At most a
// few parts are held at once, in buffers reused from part to part.
func decodeParts(rows *sql.Rows, dec *domain.StateDecoder) error {
	type decoded struct {
		x   domain.DecodedPart
		buf *[]byte
		err error
	}
	type job struct {
		p   domain.Part
		buf *[]byte
		out chan decoded
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, workers)
	order := make(chan chan decoded, 2*workers) // for the merger, in part order
	var pool gosync.Pool
	for range workers {
		go func() {
			for j := range jobs {
				x, err := dec.Decode(j.p)
				j.out <- decoded{x, j.buf, err}
			}
		}()
	}
	merged := make(chan error, 1)
	go func() {
		var first error
		for c := range order {
			r := <-c
			if first == nil {
				if first = r.err; first == nil {
					first = dec.Merge(r.x) // a small field's part is decoded here, from buf
				}
			}
			pool.Put(r.buf)
		}
		merged <- first
	}()
	var err error
	for rows.Next() {
		var field string
		var data sql.RawBytes
		if err = rows.Scan(&field, &data); err != nil {
			break
		}
		buf, _ := pool.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		*buf = append((*buf)[:0], data...)
		out := make(chan decoded, 1)
		order <- out
		jobs <- job{domain.Part{Field: field, Data: *buf}, buf, out}
	}
	close(jobs)
	close(order)
	if mergeErr := <-merged; err == nil {
		err = mergeErr
	}
	if err == nil {
		err = rows.Err()
	}
	return err
}

func forksTx(ctx context.Context, tx *sql.Tx) (map[common.Address]uint64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT author, min(seq) FROM forks GROUP BY author")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[common.Address]uint64{}
	for rows.Next() {
		var a []byte
		var seq uint64
		if err := rows.Scan(&a, &seq); err != nil {
			return nil, err
		}
		out[common.BytesToAddress(a)] = seq
	}
	return out, rows.Err()
}

// snapshotPart is the size of a snapshot's parts: large enough that a
// part costs little, small enough that none is a burden to hold.
const snapshotPart = 256 << 10

// saveSnapshot stores st, folded from the events that had arrived up to
// arrival, unless an event that arrived since sorts before st.Last: then
// st no longer reflects every event up to its key. The state is encoded
// into the transaction part by part: holding the whole encoding was most
// of the peak memory of a fold at a million events.
func (s *Store) saveSnapshot(ctx context.Context, st *domain.State, arrival int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var late int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events WHERE ins > ?
			AND (lamport < ? OR (lamport = ? AND id <= ?)) LIMIT 1)`,
			arrival, st.Last.Lamport, st.Last.Lamport, st.Last.ID[:]).Scan(&late)
		if err != nil || late > 0 {
			return err
		}
		forks, cuts, err := standing(ctx, tx)
		if err != nil {
			return err
		}
		if !maps.Equal(forks, st.Forked) || !maps.Equal(cuts, st.Cuts) {
			return nil
		}
		key := []any{st.Last.Lamport, st.Last.ID[:]}
		if _, err := tx.ExecContext(ctx, "DELETE FROM snapshots WHERE lamport = ? AND id = ?", key...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO snapshots (lamport, id, count) VALUES (?, ?, ?)", append(key, st.Count)...); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, "INSERT INTO snapshot_parts (lamport, id, n, field, data) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		n := 0
		err = st.EncodeParts(snapshotPart, func(p domain.Part) error {
			n++
			_, err := ins.ExecContext(ctx, st.Last.Lamport, st.Last.ID[:], n, p.Field, p.Data)
			return err
		})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM snapshots WHERE (lamport, id) NOT IN
			(SELECT lamport, id FROM snapshots ORDER BY lamport DESC, id DESC LIMIT ?)`, keepSnapshots)
		return err
	})
}

// View keeps a folded state up to date as events arrive, from this process
// or any other, folding only what is new.
type View struct {
	s       *Store
	st      *domain.State
	arrival int64
}

// NewView folds the store once.
func (s *Store) NewView(ctx context.Context) (*View, error) {
	st, arrival, err := s.fold(ctx)
	if err != nil {
		return nil, err
	}
	return &View{s: s, st: st, arrival: arrival}, nil
}

// State is the view's current state. Callers must not modify it.
func (v *View) State() *domain.State { return v.st }

// Refresh folds events that arrived since the last call. Events that sort
// before what is already folded, or a new fork, re-fold from the newest
// snapshot (which the store keeps true).
func (v *View) Refresh(ctx context.Context) (bool, error) {
	n, err := v.s.Arrived(ctx)
	if err != nil || n == v.arrival {
		return false, err
	}
	var fresh []*domain.Event
	last := v.arrival
	err = v.s.Arrivals(ctx, v.arrival, func(r Row) error {
		fresh = append(fresh, r.Event)
		last = r.Arrival
		return nil
	})
	if err != nil {
		return false, err
	}
	forks, err := v.s.Forks(ctx)
	if err != nil {
		return false, err
	}
	cutsMoved, err := v.cutsMoved(ctx, fresh)
	if err != nil {
		return false, err
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].Key().Less(fresh[j].Key()) })
	if !maps.Equal(forks, v.st.Forked) || cutsMoved || (len(fresh) > 0 && fresh[0].Key().Less(v.st.Last)) {
		st, arrival, err := v.s.fold(ctx)
		if err != nil {
			return false, err
		}
		v.st, v.arrival = st, arrival
		return true, nil
	}
	for _, e := range fresh {
		v.st.Apply(e)
	}
	v.arrival = last
	return true, nil
}

// cutsMoved says whether fresh events change the cuts in force: only an
// identity event can, so a note costs nothing here.
func (v *View) cutsMoved(ctx context.Context, fresh []*domain.Event) (bool, error) {
	if !slices.ContainsFunc(fresh, func(e *domain.Event) bool { return domain.IsIdentityKind(e.Kind) }) {
		return false, nil
	}
	cuts, err := v.s.Cuts(ctx)
	return err == nil && !maps.Equal(cuts, v.st.Cuts), err
}
