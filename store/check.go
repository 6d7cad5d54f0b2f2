package store

import (
	"context"
	"fmt"
	"runtime"

	"github.com/tminus-ir/tminus/domain"
)

// Checking is a batch whose signatures and bodies are being checked,
// ahead of IngestChecked storing it. A sync session starts checking one
// round while the writer still stores the previous one, so the cores do
// not wait for its commit.
type Checking struct {
	*checker
	cancel  context.CancelFunc
	used    bool
	untaken chan int // checker.runs as the writer reads it; nil once drained
}

// Check starts checking evs (from domain.Decode, as IngestEvents takes
// them) and returns at once. The batch must be passed to IngestChecked,
// once, which stores it or stops the checking.
func (s *Store) Check(ctx context.Context, evs []*domain.Event) *Checking {
	return check(ctx, len(evs), func(i int) (*domain.Event, error) { return evs[i], nil })
}

func check(ctx context.Context, n int, event func(i int) (*domain.Event, error)) *Checking {
	return checking(ctx, n, event, checkers(n))
}

// checking starts workers checker goroutines on n events; the writer
// checks what they leave (result).
func checking(ctx context.Context, n int, event func(i int) (*domain.Event, error), workers int) *Checking {
	ctx, cancel := context.WithCancel(ctx)
	c := newChecker(ctx, n, event)
	c.start(workers)
	return &Checking{checker: c, cancel: cancel, untaken: c.runs}
}

// result waits for event i's check. While it is not ready, the writer
// checks a run no checker has taken yet: it is the one goroutine that
// never waits for a core, and it only checks when it would wait.
func (c *Checking) result(ctx context.Context, i int) (verified, error) {
	for {
		select {
		case r := <-c.out[i]:
			return r, nil
		default:
		}
		select {
		case r := <-c.out[i]:
			return r, nil
		case lo, ok := <-c.untaken:
			if !ok {
				c.untaken = nil
				continue
			}
			c.check(lo, nil, nil)
		case <-ctx.Done():
			return verified{}, ctx.Err()
		}
	}
}

// checkers is how many goroutines check a batch of n besides its writer,
// which checks too whenever it would wait: leaving it a core of its own
// keeps it from waiting for one. Checked in batches, signatures cost less
// than the writer takes to store them, and on two cores a second checker
// only took the writer's time (catch-up 0.52 against 0.56-0.59).
func checkers(n int) int {
	procs := runtime.GOMAXPROCS(0)
	if n < 1024 || procs == 1 {
		return procs
	}
	return procs - 1
}

type verified struct {
	ev  *domain.Event
	err error
}

// checker gets and checks n events a run at a time; result i is
// delivered on out[i] so the inserter can consume in order. A run's
// signatures are checked in one batch (domain.VerifyEach): long enough
// runs make a batch cheap, short enough ones keep every checker busy and
// the inserter fed early.
type checker struct {
	ctx   context.Context
	n     int
	run   int
	event func(i int) (*domain.Event, error)
	out   []chan verified
	runs  chan int // the first index of each run not yet taken
}

// maxRun bounds a run: past two thousand signatures a batch gets little
// cheaper (import 0.78-0.80 at 2048, 0.69-0.73 at 1024, 0.76-0.78 at
// 4096), and the inserter waits for the whole first run.
const maxRun = 2048

func newChecker(ctx context.Context, n int, event func(i int) (*domain.Event, error)) *checker {
	c := &checker{ctx: ctx, n: n, event: event, out: make([]chan verified, n)}
	for i := range c.out {
		c.out[i] = make(chan verified, 1)
	}
	c.run = min(max(n/(2*runtime.GOMAXPROCS(0)), 1), maxRun)
	c.runs = make(chan int, n/c.run+1)
	for lo := 0; lo < n; lo += c.run {
		c.runs <- lo
	}
	close(c.runs)
	return c
}

// start runs workers goroutines that check runs until none is left.
func (c *checker) start(workers int) {
	for range workers {
		go func() {
			evs := make([]*domain.Event, c.run)
			errs := make([]error, c.run)
			for lo := range c.runs {
				c.check(lo, evs, errs)
			}
		}()
	}
}

// check checks the run from lo, in evs and errs if they are long enough.
func (c *checker) check(lo int, evs []*domain.Event, errs []error) {
	hi := min(lo+c.run, c.n)
	if c.ctx.Err() != nil {
		for i := lo; i < hi; i++ {
			c.out[i] <- verified{err: c.ctx.Err()}
		}
		return
	}
	if len(evs) < hi-lo {
		evs, errs = make([]*domain.Event, hi-lo), make([]error, hi-lo)
	}
	evs, errs = evs[:hi-lo], errs[:hi-lo]
	for i := range evs {
		evs[i], errs[i] = c.event(lo + i)
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
		c.out[lo+i] <- verified{ev, err}
	}
}
