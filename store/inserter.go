package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// inserter applies the integrity rules inside one write transaction.
//
// It remembers what the transaction has written (the events' chain facts
// and each author's head), so the common case, an event whose prev and
// deps arrived in the same batch, costs one INSERT and no look-ups: the
// single writer is what bounds a batch import once verification runs on
// every core.
type inserter struct {
	s   *Store
	ctx context.Context // cancellation, checked once per event
	// qctx runs the statements: without a Done channel, the driver does not
	// start a goroutine per statement to watch for cancellation.
	qctx    context.Context
	tx      *sql.Tx
	ws      domain.ID
	now     int64
	orphans int
	snapKey domain.Key // newest snapshot; an older event invalidates it
	hasSnap bool
	forked  bool
	stmts   map[string]*sql.Stmt
	links   map[domain.ID]link          // events inserted by this transaction
	heads   map[common.Address]*headRow // authors' heads, read once, written by flush
}

// link is what the chain rule needs of a stored event.
type link struct {
	author       common.Address
	seq, lamport uint64
}

type headRow struct {
	seq, lamport uint64
	id           domain.ID
	dirty        bool
}

func (s *Store) newInserter(ctx context.Context, tx *sql.Tx) (*inserter, error) {
	in := &inserter{s: s, ctx: ctx, qctx: context.WithoutCancel(ctx), tx: tx, now: s.Now().UnixMilli(),
		stmts: map[string]*sql.Stmt{}, links: map[domain.ID]link{}, heads: map[common.Address]*headRow{}}
	var ws []byte
	switch err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'ws'").Scan(&ws); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		copy(in.ws[:], ws)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM orphans").Scan(&in.orphans); err != nil {
		return nil, err
	}
	var id []byte
	err := tx.QueryRowContext(ctx, "SELECT lamport, id FROM snapshots ORDER BY lamport DESC, id DESC LIMIT 1").Scan(&in.snapKey.Lamport, &id)
	if err == nil {
		copy(in.snapKey.ID[:], id)
		in.hasSnap = true
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return in, nil
}

func (in *inserter) stmt(q string) (*sql.Stmt, error) {
	if st, ok := in.stmts[q]; ok {
		return st, nil
	}
	st, err := in.tx.PrepareContext(in.qctx, q)
	if err != nil {
		return nil, err
	}
	in.stmts[q] = st
	return st, nil
}

func (in *inserter) close() {
	for _, st := range in.stmts {
		st.Close()
	}
}

func (in *inserter) exec(q string, args ...any) error {
	st, err := in.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(in.qctx, args...)
	return err
}

// row returns sql.ErrNoRows through Scan when nothing matches.
func (in *inserter) row(q string, args ...any) *sql.Row {
	st, err := in.stmt(q)
	if err != nil {
		return in.tx.QueryRowContext(in.qctx, "SELECT raise(ABORT, ?)", err.Error())
	}
	return st.QueryRowContext(in.qctx, args...)
}

// insert applies the integrity rules of DESIGN.md to one verified event,
// in order:
//  3. the workspace is this one (a genesis founds it in an empty store);
//  5. a known id is a duplicate and is ignored;
//  4. prev is the author's seq-1 and every dep is known, else the event
//     waits in orphans; lamport is 1 + the highest of prev and deps;
//  6. a second event for the same (author, seq) is an equivocation: both
//     are kept and the pair is recorded in forks;
//  7. a time more than MaxSkew ahead is kept and flagged.
func (in *inserter) insert(e *domain.Event, rep *Report, fromOrphans bool) error {
	if e.Kind == domain.KindGenesis {
		if in.ws.IsZero() {
			in.ws = e.ID
			if err := in.exec("INSERT INTO meta (key, value) VALUES ('ws', ?)", e.ID[:]); err != nil {
				return err
			}
		} else if e.ID != in.ws {
			return fmt.Errorf("%w: genesis %s founds another workspace than %s", ErrWorkspace, e.ID.Short(), in.ws.Short())
		}
	} else if in.ws.IsZero() {
		// A fresh replica pulls each author's chain separately, so
		// another author's events may come before the genesis: they
		// wait for it like any other missing prev.
		return in.park(e, e.WS, rep, fromOrphans)
	} else if e.WS != in.ws {
		return fmt.Errorf("%w: event %s belongs to workspace %s, this is %s", ErrWorkspace, e.ID.Short(), e.WS.Short(), in.ws.Short())
	}

	if err := in.ctx.Err(); err != nil {
		return err
	}
	head, err := in.head(e.Author)
	if err != nil {
		return err
	}
	// A stored chain has no gaps, so an event past its author's head is
	// neither known nor a twin; only one at or below it needs the look-ups.
	var twin []byte
	if e.Seq <= head.seq {
		var one int
		switch err := in.row("SELECT 1 FROM events WHERE id = ?", e.ID[:]).Scan(&one); {
		case err == nil:
			rep.Duplicates++
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		switch err := in.row("SELECT id FROM events WHERE author = ? AND seq = ? LIMIT 1", e.Author[:], e.Seq).Scan(&twin); {
		case err == nil:
		case errors.Is(err, sql.ErrNoRows):
			twin = nil
		default:
			return err
		}
	}

	want, missing, err := in.chain(e)
	if err != nil {
		return err
	}
	if !missing.IsZero() {
		return in.park(e, missing, rep, fromOrphans)
	}
	if e.Lamport != want {
		return fmt.Errorf("%w: event %s has lamport %d, want %d (1 + the highest of its prev and deps)",
			ErrLamport, e.ID.Short(), e.Lamport, want)
	}

	if twin != nil {
		if err := in.exec("INSERT OR IGNORE INTO forks (author, seq, a, b) VALUES (?, ?, ?, ?)", e.Author[:], e.Seq, twin, e.ID[:]); err != nil {
			return err
		}
		rep.Forks++
		in.forked = true
	}

	skewed := int64(e.Time) > in.now+MaxSkew.Milliseconds()
	if skewed {
		rep.Skewed++
	}
	subject, err := subjectKey(e)
	if err != nil {
		return err
	}
	if err := in.exec(`INSERT INTO events (id, author, seq, lamport, time, kind, body, raw, skewed, subject)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID[:], e.Author[:], e.Seq, e.Lamport, int64(e.Time), e.Kind, e.Body, e.Raw, skewed, subject); err != nil {
		return err
	}
	if err := in.wantBlob(e); err != nil {
		return err
	}
	in.links[e.ID] = link{e.Author, e.Seq, e.Lamport}
	if e.Seq > head.seq {
		*head = headRow{seq: e.Seq, lamport: e.Lamport, id: e.ID, dirty: true}
	}
	// A snapshot must reflect every event up to its key: one that an
	// older event arrives under is no longer true.
	if in.hasSnap && e.Key().Less(in.snapKey) {
		if err := in.exec("DELETE FROM snapshots WHERE lamport > ? OR (lamport = ? AND id > ?)", e.Lamport, e.Lamport, e.ID[:]); err != nil {
			return err
		}
		in.hasSnap = false
		var id []byte
		if err := in.row("SELECT lamport, id FROM snapshots ORDER BY lamport DESC, id DESC LIMIT 1").Scan(&in.snapKey.Lamport, &id); err == nil {
			copy(in.snapKey.ID[:], id)
			in.hasSnap = true
		}
	}
	rep.Added = append(rep.Added, e.ID)
	return in.release(e.ID, rep)
}

// chain checks prev and deps. It returns the lamport the event must have,
// or the first id it still waits for.
func (in *inserter) chain(e *domain.Event) (want uint64, missing domain.ID, err error) {
	var max uint64
	if e.Seq > 1 {
		l, ok, err := in.link(e.Prev)
		switch {
		case err != nil:
			return 0, missing, err
		case !ok:
			return 0, e.Prev, nil
		case l.author != e.Author || l.seq != e.Seq-1:
			return 0, missing, fmt.Errorf("%w: event %s seq %d: prev %s is not the author's seq %d",
				ErrBrokenChain, e.ID.Short(), e.Seq, e.Prev.Short(), e.Seq-1)
		}
		max = l.lamport
	}
	for _, d := range e.Deps {
		l, ok, err := in.link(d)
		switch {
		case err != nil:
			return 0, missing, err
		case !ok:
			return 0, d, nil
		}
		if l.lamport > max {
			max = l.lamport
		}
	}
	return max + 1, missing, nil
}

// link finds a stored event's chain facts, in this transaction's memory
// first.
func (in *inserter) link(id domain.ID) (link, bool, error) {
	if l, ok := in.links[id]; ok {
		return l, true, nil
	}
	var l link
	var author []byte
	switch err := in.row("SELECT author, seq, lamport FROM events WHERE id = ?", id[:]).Scan(&author, &l.seq, &l.lamport); {
	case errors.Is(err, sql.ErrNoRows):
		return l, false, nil
	case err != nil:
		return l, false, err
	}
	copy(l.author[:], author)
	return l, true, nil
}

// head returns author's head as this transaction sees it; seq 0 for an
// author with no events.
func (in *inserter) head(author common.Address) (*headRow, error) {
	if h, ok := in.heads[author]; ok {
		return h, nil
	}
	h := &headRow{}
	var id []byte
	switch err := in.row("SELECT seq, id, lamport FROM heads WHERE author = ?", author[:]).Scan(&h.seq, &id, &h.lamport); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		copy(h.id[:], id)
	}
	in.heads[author] = h
	return h, nil
}

// flush writes the heads this transaction moved.
func (in *inserter) flush() error {
	for a, h := range in.heads {
		if !h.dirty {
			continue
		}
		if err := in.exec(`INSERT INTO heads (author, seq, id, lamport) VALUES (?, ?, ?, ?)
			ON CONFLICT (author) DO UPDATE SET seq = excluded.seq, id = excluded.id, lamport = excluded.lamport`,
			a[:], h.seq, h.id[:], h.lamport); err != nil {
			return err
		}
		h.dirty = false
	}
	return nil
}

func (in *inserter) park(e *domain.Event, missing domain.ID, rep *Report, fromOrphans bool) error {
	if !fromOrphans {
		if in.orphans >= MaxOrphans {
			return fmt.Errorf("%w: %d events already wait for their chain", ErrTooManyOrphs, in.orphans)
		}
		rep.Orphaned++
	}
	// Counted again when re-parked: release took it off the count, and a
	// count of zero makes release skip the events this one now waits for.
	in.orphans++
	return in.exec(`INSERT INTO orphans (id, needs, raw, received) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET needs = excluded.needs`, e.ID[:], missing[:], e.Raw, in.now)
}

// release retries the orphans that waited for id, depth first.
func (in *inserter) release(id domain.ID, rep *Report) error {
	if in.orphans == 0 {
		return nil
	}
	st, err := in.stmt("SELECT raw FROM orphans WHERE needs = ?")
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(in.qctx, id[:])
	if err != nil {
		return err
	}
	var waiting [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return err
		}
		waiting = append(waiting, raw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, raw := range waiting {
		e, err := domain.Decode(raw) // verified when it was parked
		if err != nil {
			return err
		}
		if err := in.exec("DELETE FROM orphans WHERE id = ?", e.ID[:]); err != nil {
			return err
		}
		in.orphans--
		// A parked event that turns out to break its chain is dropped
		// alone: it must not refuse the good event that released it.
		if err := in.insert(e, rep, true); err != nil {
			if !errors.Is(err, ErrBrokenChain) && !errors.Is(err, ErrLamport) {
				return err
			}
			rep.Dropped = append(rep.Dropped, fmt.Sprintf("orphan %s: %v", e.ID.Short(), err))
		}
	}
	return nil
}

// finish drops snapshots a new fork makes untrue: the fold must forget the
// equivocating author's events from the fork on.
func (in *inserter) finish() error {
	if err := in.flush(); err != nil {
		return err
	}
	if in.forked {
		return in.exec("DELETE FROM snapshots")
	}
	return nil
}
