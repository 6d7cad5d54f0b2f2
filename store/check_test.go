package store

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// uncheckedBatch is a Checking with no checker goroutine: only the writer,
// checking each run while it waits for it, can get its results.
func uncheckedBatch(ctx context.Context, raws [][]byte) *Checking {
	return checking(ctx, len(raws), func(i int) (*domain.Event, error) { return domain.Decode(raws[i]) }, 0)
}

// The writer checks what no checker took: a batch whose checkers are all
// busy elsewhere (here: none were started) is still checked whole, a bad
// event in it still named, and stored.
func TestWriterChecksUntakenRuns(t *testing.T) {
	evs, err := domaintest.Linear(37, 2, 1500)
	if err != nil {
		t.Fatal(err)
	}
	raws := domaintest.Raws(evs)
	s := newStore(t)

	bad := append([][]byte(nil), raws...)
	bad[1400] = resign(t, raws[1400], highS(evs[1400].Sig))
	_, err = s.IngestChecked(bg, uncheckedBatch(bg, bad))
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 1400 || !errors.Is(err, domain.ErrHighS) {
		t.Fatalf("IngestChecked = %v, want event 1401 refused for its high S", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("%d events stored from a refused batch", n)
	}

	ctx, cancel := context.WithCancel(bg)
	c := uncheckedBatch(ctx, raws)
	cancel()
	if _, err := s.IngestChecked(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("IngestChecked after cancel = %v", err)
	}

	rep, err := s.IngestChecked(bg, uncheckedBatch(bg, raws))
	if err != nil || len(rep.Added) != len(raws) {
		t.Fatalf("%d of %d added: %v", len(rep.Added), len(raws), err)
	}
}

func TestCheckersLeaveTheWriterACore(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	large := max(procs-1, 1)
	for _, c := range []struct{ n, want int }{{1, procs}, {1023, procs}, {1024, large}, {100000, large}} {
		if got := checkers(c.n); got != c.want {
			t.Errorf("checkers(%d) = %d on %d cores, want %d", c.n, got, procs, c.want)
		}
	}
}
