package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"

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

// Checking is a batch whose signatures and bodies are being checked on all
// cores, ahead of IngestChecked storing it. A sync session starts checking
// one round while the writer still stores the previous one, so the cores
// do not wait for its commit.
type Checking struct {
	results []chan verified
	cancel  context.CancelFunc
	used    bool
}

// Check starts checking evs (from domain.Decode, as IngestEvents takes
// them) on all cores and returns at once. The batch must be passed to
// IngestChecked, once, which stores it or stops the checking.
func (s *Store) Check(ctx context.Context, evs []*domain.Event) *Checking {
	return check(ctx, len(evs), func(i int) (*domain.Event, error) { return evs[i], nil })
}

func check(ctx context.Context, n int, event func(i int) (*domain.Event, error)) *Checking {
	ctx, cancel := context.WithCancel(ctx)
	return &Checking{results: verifyAll(ctx, n, checkers(n), event), cancel: cancel}
}

// IngestChecked stores a batch that Check started as IngestEvents stores
// one: all or nothing, every rule checked.
func (s *Store) IngestChecked(ctx context.Context, c *Checking) (Report, error) {
	defer c.cancel()
	if c.used {
		return Report{}, errors.New("store: a checked batch is stored once")
	}
	c.used = true
	n := len(c.results)
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
			var r verified
			select {
			case r = <-c.results[i]:
			case <-ctx.Done():
				return ctx.Err()
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

type verified struct {
	ev  *domain.Event
	err error
}

// checkers is how many goroutines check a batch of n that the writer
// stores: a large one leaves a core to the writer. Batched signatures
// cost less to check than the writer takes to store them, and on two
// cores a second checker only took the writer's time (catch-up, 0.52
// against 0.56-0.59 in back-to-back runs).
func checkers(n int) int {
	procs := runtime.GOMAXPROCS(0)
	if n < 1024 || procs == 1 {
		return procs
	}
	return procs - 1
}

// verifyAll gets and checks n events on the given number of goroutines;
// result i is delivered on channel i so the inserter can consume in order.
// Each takes a run of events at a time, whose signatures domain.VerifyEach
// checks in one batch: long enough runs make a batch cheap, short enough
// ones keep every checker busy and the inserter fed early.
func verifyAll(ctx context.Context, n, workers int, event func(i int) (*domain.Event, error)) []chan verified {
	out := make([]chan verified, n)
	for i := range out {
		out[i] = make(chan verified, 1)
	}
	run := min(max(n/(2*workers), 1), maxRun)
	next := make(chan int, n/run+1)
	for lo := 0; lo < n; lo += run {
		next <- lo
	}
	close(next)
	for range workers {
		go func() {
			evs := make([]*domain.Event, run)
			errs := make([]error, run)
			for lo := range next {
				hi := min(lo+run, n)
				if ctx.Err() != nil {
					for i := lo; i < hi; i++ {
						out[i] <- verified{err: ctx.Err()}
					}
					continue
				}
				evs, errs := evs[:hi-lo], errs[:hi-lo]
				for i := range evs {
					evs[i], errs[i] = event(lo + i)
					if errs[i] != nil {
						evs[i] = nil
					}
				}
				domain.VerifyEach(evs, errs)
				for i, ev := range evs {
					err := errs[i]
					if err == nil && ev.Redacted {
						err = fmt.Errorf("event %s is redacted: only full events can be stored", ev.ID.Short())
					}
					if err == nil {
						_, err = ev.CheckBody()
					}
					out[lo+i] <- verified{ev, err}
				}
			}
		}()
	}
	return out
}

// maxRun bounds a core's run of events: past a thousand signatures a batch
// gets little cheaper, and the inserter waits for the whole first run.
const maxRun = 1024
