package store

import (
	"context"
	"database/sql"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// IdentityState folds only the events that decide who may write
// (domain.IdentityKinds), with the store's forks. Its MayWrite answers as a
// full fold's would, read through a partial index in milliseconds whatever
// the log's size, so a plain append can refuse a key whose events would not
// count without paying for a fold. Nothing else in it is complete.
func (s *Store) IdentityState(ctx context.Context) (*domain.State, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	forks, err := forksTx(ctx, tx)
	if err != nil {
		return nil, err
	}
	evs, err := identityEvents(ctx, tx)
	if err != nil {
		return nil, err
	}
	return domain.Fold(evs, forks), nil
}

// identityEvents reads the events of domain.IdentityKinds. No ORDER BY:
// the fold sorts, and the partial index serves the query alone.
func identityEvents(ctx context.Context, tx *sql.Tx) ([]*domain.Event, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+rowCols+" FROM events WHERE "+identityKinds)
	var evs []*domain.Event
	err = eachRow(rows, err, func(r Row) error {
		evs = append(evs, r.Event)
		return nil
	})
	return evs, err
}

// standing is what a fold must start from: the forks and the cuts in force
// (domain.DecideCuts), both decided by few events, read in one transaction.
func standing(ctx context.Context, tx *sql.Tx) (map[common.Address]uint64, map[common.Address]domain.Cut, error) {
	forks, err := forksTx(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	evs, err := identityEvents(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	return forks, domain.DecideCuts(evs, forks), nil
}

// Cuts are the cuts in force now (domain.DecideCuts).
func (s *Store) Cuts(ctx context.Context) (map[common.Address]domain.Cut, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	_, cuts, err := standing(ctx, tx)
	return cuts, err
}
