package store

import (
	"context"
	"database/sql"

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
	// No ORDER BY: Fold sorts, and the partial index serves the query alone.
	rows, err := tx.QueryContext(ctx, "SELECT "+rowCols+" FROM events WHERE "+identityKinds)
	var evs []*domain.Event
	err = eachRow(rows, err, func(r Row) error {
		evs = append(evs, r.Event)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return domain.Fold(evs, forks), nil
}
