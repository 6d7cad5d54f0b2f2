package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tminus-ir/tminus/domain"
)

// Report says what a batch did to the store.
type Report struct {
	Added      []domain.ID // newly stored, in insertion order (orphans released included)
	Duplicates int
	Orphaned   int      // parked until their prev or deps arrive
	Forks      int      // new equivocations found
	Skewed     int      // stored but dated more than MaxSkew ahead
	Dropped    []string // parked events that broke their chain once it arrived
}

// BatchError names the event of a batch that broke an integrity rule; the
// whole batch was refused.
type BatchError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("event %d of the batch: %v", e.Index+1, e.Err)
}
func (e *BatchError) Unwrap() error { return e.Err }

// Ingest verifies raw events and stores them in one transaction, all or
// nothing: one event that breaks rules 1-4 (shape, signature, workspace,
// chain and lamport) refuses the batch. Signatures are checked on all
// cores while the writer inserts the events already verified, in order.
func (s *Store) Ingest(ctx context.Context, raws [][]byte) (Report, error) {
	return s.IngestChecked(ctx, check(ctx, len(raws), func(i int) (*domain.Event, error) { return domain.Decode(raws[i]) }))
}

// IngestEvents is Ingest for events the caller has decoded (a sync session
// reads authors and lamports to order a batch). They must come from
// domain.Decode, which ties every field to the signed bytes; signatures
// and bodies are checked here as Ingest checks them.
func (s *Store) IngestEvents(ctx context.Context, evs []*domain.Event) (Report, error) {
	return s.IngestChecked(ctx, s.Check(ctx, evs))
}

// IngestChecked stores a batch that Check started as IngestEvents stores
// one: all or nothing, every rule checked.
func (s *Store) IngestChecked(ctx context.Context, c *Checking) (Report, error) {
	defer c.cancel()
	if c.used {
		return Report{}, errors.New("store: a checked batch is stored once")
	}
	c.used = true
	n := len(c.out)
	if n == 0 {
		return Report{}, nil
	}
	var rep Report
	err := s.write(ctx, func(tx *sql.Tx) error {
		rep = Report{}
		in, err := s.newInserter(ctx, tx)
		if err != nil {
			return err
		}
		defer in.close()
		for i := range n {
			r, err := c.result(ctx, i)
			if err != nil {
				return err
			}
			if r.err != nil {
				return &BatchError{i, r.err}
			}
			if err := in.insert(r.ev, &rep, false); err != nil {
				return &BatchError{i, err}
			}
		}
		return in.finish()
	})
	if err != nil {
		return Report{}, err
	}
	if s.Workspace().IsZero() {
		if err := s.loadWS(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
