package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tminus-ir/tminus/domain"
)

// Append signs body as the next event of signer's chain and stores it. The
// seq, prev, deps and lamport are read and the event inserted in one write
// transaction, so two processes on one store never sign the same seq.
func (s *Store) Append(ctx context.Context, signer domain.Signer, body domain.Body) (*domain.Event, error) {
	evs, err := s.AppendMany(ctx, signer, []domain.Body{body})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// AppendMany appends several events in one transaction: all or none. A
// webhook delivering 100 alerts pays for one commit, not 100.
func (s *Store) AppendMany(ctx context.Context, signer domain.Signer, bodies []domain.Body) ([]*domain.Event, error) {
	datas := make([][]byte, len(bodies))
	for i, b := range bodies {
		d, err := domain.EncodeBody(b)
		if err != nil {
			return nil, err
		}
		datas[i] = d
	}
	var evs []*domain.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		evs = evs[:0]
		in, err := s.newInserter(ctx, tx)
		if err != nil {
			return err
		}
		defer in.close()
		for i, b := range bodies {
			e, err := s.appendTx(ctx, tx, in, signer, b.Kind(), datas[i])
			if err != nil {
				return err
			}
			evs = append(evs, e)
		}
		return in.finish()
	})
	if err != nil {
		return nil, err
	}
	if len(bodies) > 0 && bodies[0].Kind() == domain.KindGenesis {
		if err := s.loadWS(ctx); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, in *inserter, signer domain.Signer, kind string, data []byte) (*domain.Event, error) {
	h := domain.Header{WS: in.ws, Kind: kind, Time: uint64(s.Now().UnixMilli())}
	if kind == domain.KindGenesis {
		if !in.ws.IsZero() {
			return nil, fmt.Errorf("this store already holds workspace %s", in.ws.Short())
		}
		h.WS = domain.ZeroID
	} else if in.ws.IsZero() {
		return nil, fmt.Errorf("%w: run tminus init, or sync or import a bundle from a member first", ErrNoWorkspace)
	}
	me := signer.Address()
	head, err := in.head(me)
	if err != nil {
		return nil, err
	}
	h.Seq, h.Prev, h.Lamport = head.seq+1, head.id, head.lamport+1
	// unreferenced reads the heads table: it must see this transaction's
	// earlier events.
	if err := in.flush(); err != nil {
		return nil, err
	}
	deps, err := unreferenced(ctx, tx, me)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		h.Deps = append(h.Deps, d.ID)
		if d.Lamport+1 > h.Lamport {
			h.Lamport = d.Lamport + 1
		}
	}
	e, err := domain.Seal(h, data, signer)
	if err != nil {
		return nil, err
	}
	if err := e.Verify(); err != nil {
		return nil, err
	}
	var rep Report
	if err := in.insert(e, &rep, false); err != nil {
		return nil, err
	}
	if len(rep.Added) == 0 {
		return nil, fmt.Errorf("event %s was not stored (its chain is incomplete: %d orphaned)", e.ID.Short(), rep.Orphaned)
	}
	for _, d := range deps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refs (signer, author, seq) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET seq = excluded.seq`, me[:], d.Author[:], d.Seq); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// unreferenced returns the heads of other authors that signer has not yet
// named in a dep, newest first, at most MaxDeps: the newest ones set the
// lamport, so an event always orders after everything its author saw.
func unreferenced(ctx context.Context, tx *sql.Tx, me [20]byte) ([]Head, error) {
	rows, err := tx.QueryContext(ctx, `SELECT h.author, h.seq, h.id, h.lamport FROM heads h
		LEFT JOIN refs r ON r.signer = ? AND r.author = h.author
		WHERE h.author != ? AND h.seq > coalesce(r.seq, 0)
		ORDER BY h.lamport DESC, h.id LIMIT ?`, me[:], me[:], domain.MaxDeps)
	if err != nil {
		return nil, err
	}
	return scanHeads(rows)
}
