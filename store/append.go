package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tminus-ir/tminus/domain"
)

// Append signs body as the next event of signer's chain and stores it. The
// seq, prev, deps and lamport are read and the event inserted in one write
// transaction, so two processes on one store never sign the same seq.
func (s *Store) Append(ctx context.Context, signer domain.Signer, body domain.Body) (*domain.Event, error) {
	data, err := domain.EncodeBody(body)
	if err != nil {
		return nil, err
	}
	var ev *domain.Event
	err = s.write(ctx, func(tx *sql.Tx) error {
		in, err := s.newInserter(ctx, tx)
		if err != nil {
			return err
		}
		defer in.close()
		h := domain.Header{WS: in.ws, Kind: body.Kind(), Time: uint64(s.Now().UnixMilli())}
		if body.Kind() == domain.KindGenesis {
			if !in.ws.IsZero() {
				return fmt.Errorf("this store already holds workspace %s", in.ws.Short())
			}
			h.WS = domain.ZeroID
		} else if in.ws.IsZero() {
			return fmt.Errorf("%w: run tminus init, or sync or import a bundle from a member first", ErrNoWorkspace)
		}
		me := signer.Address()
		var prev []byte
		var prevLamport uint64
		switch err := tx.QueryRowContext(ctx, "SELECT seq, id, lamport FROM heads WHERE author = ?", me[:]).Scan(&h.Seq, &prev, &prevLamport); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			copy(h.Prev[:], prev)
		}
		h.Seq++
		h.Lamport = prevLamport + 1
		deps, err := unreferenced(ctx, tx, me)
		if err != nil {
			return err
		}
		for _, d := range deps {
			h.Deps = append(h.Deps, d.ID)
			if d.Lamport+1 > h.Lamport {
				h.Lamport = d.Lamport + 1
			}
		}
		e, err := domain.Seal(h, data, signer)
		if err != nil {
			return err
		}
		if err := e.Verify(); err != nil {
			return err
		}
		var rep Report
		if err := in.insert(e, &rep, false); err != nil {
			return err
		}
		if len(rep.Added) == 0 {
			return fmt.Errorf("event %s was not stored (its chain is incomplete: %d orphaned)", e.ID.Short(), rep.Orphaned)
		}
		for _, d := range deps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO refs (signer, author, seq) VALUES (?, ?, ?)
				ON CONFLICT DO UPDATE SET seq = excluded.seq`, me[:], d.Author[:], d.Seq); err != nil {
				return err
			}
		}
		ev = e
		return in.finish()
	})
	if err != nil {
		return nil, err
	}
	if body.Kind() == domain.KindGenesis {
		if err := s.loadWS(ctx); err != nil {
			return nil, err
		}
	}
	return ev, nil
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
