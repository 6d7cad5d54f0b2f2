package sync

// Serving blobs: each session answers its peer's GetBlobs on a goroutine of
// its own, in order, and every session of the process draws on one budget
// of blob bytes. Served on the session's goroutine, a 15 MiB blob was read
// whole, encoded and framed (three copies or more) per peer at once: four
// such blobs to two peers peaked at 366 MB resident, on jump hosts that may
// have 1 GB. Now a blob waits its turn for the budget, held once (it is
// framed as it is, not copied) until written, and the session meanwhile
// goes on reading and answering the peer's other messages.

import (
	"context"
	"errors"
	gosync "sync"
	"time"

	"github.com/tminus-ir/tminus/store"
)

// serveBudget is the blob bytes a process holds at once to answer its
// peers, across every session: three of the largest blobs. A blob's bytes
// count from before it is read until its answer is written, twice while
// it is read (the store's driver copies it once more: readCopies).
const serveBudget = 3 * MaxBlobBytes

// readCopies is how many times a blob's size the store holds while
// reading it: the driver's copy and the one database/sql hands back.
const readCopies = 2

// serveQueue is how many asked-for hashes a session queues before it stops
// reading its peer's messages, as it did when it served them in line.
const serveQueue = 1024

// processBudget is shared by the sessions that name no budget of their own.
var processBudget = newBlobBudget(serveBudget, readCopies*MaxBlobBytes)

// blobBudget is a count of bytes handed out first come, first served.
type blobBudget struct {
	limit int64 // bytes held at most
	most  int64 // held for a blob while it is read, before its size is known

	mu      gosync.Mutex
	used    int64
	peak    int64 // the most ever held, for tests
	waiting []*budgetWait
}

type budgetWait struct {
	n     int64
	ready chan struct{}
}

func newBlobBudget(limit, most int64) *blobBudget {
	return &blobBudget{limit: limit, most: min(most, limit)}
}

// acquire takes n bytes (at most limit, so that any blob can be served),
// waiting behind earlier takers until they fit or ctx ends.
func (b *blobBudget) acquire(ctx context.Context, n int64) error {
	n = min(n, b.limit)
	b.mu.Lock()
	if len(b.waiting) == 0 && b.used+n <= b.limit {
		b.take(n)
		b.mu.Unlock()
		return nil
	}
	w := &budgetWait{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, o := range b.waiting {
			if o == w {
				b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
				b.grant() // those behind it may fit now
				return ctx.Err()
			}
		}
		// Granted meanwhile: give it back.
		b.used -= n
		b.grant()
		return ctx.Err()
	}
}

// release gives n bytes back and lets waiters in, in order.
func (b *blobBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= min(n, b.limit)
	b.grant()
}

func (b *blobBudget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// grant hands bytes to the waiters at the head of the line that fit.
func (b *blobBudget) grant() {
	for len(b.waiting) > 0 && b.used+b.waiting[0].n <= b.limit {
		w := b.waiting[0]
		b.waiting = b.waiting[1:]
		b.take(w.n)
		close(w.ready)
	}
}

// state is the bytes held, the most ever held and the takers waiting.
func (b *blobBudget) state() (used, peak int64, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak, len(b.waiting)
}

// startServing starts the goroutine that answers the peer's GetBlobs; it
// ends with ctx. It is not waited for: a write to a peer that stopped
// reading ends only when the caller closes the stream, after Run.
func (s *Session) startServing(ctx context.Context) {
	if s.budget == nil {
		s.budget = processBudget
	}
	s.serveQ = make(chan string, serveQueue)
	s.serveErr = make(chan error, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case h := <-s.serveQ:
				err := s.serveBlob(ctx, h)
				s.servedAt.Store(time.Now().UnixNano())
				s.serving.Add(-1)
				if err != nil {
					if ctx.Err() == nil {
						s.serveErr <- err
					}
					return
				}
			}
		}
	}()
}

// queueBlobs hands the peer's asks to the serving goroutine, waiting for
// room only when a peer asked for more than serveQueue at once.
func (s *Session) queueBlobs(ctx context.Context, hashes []string) error {
	for _, h := range hashes {
		s.serving.Add(1)
		select {
		case s.serveQ <- h:
		case <-ctx.Done():
			s.serving.Add(-1)
			return ctx.Err()
		}
	}
	return nil
}

// serveIdle says whether every blob asked of this side is written, and
// when the last was.
func (s *Session) serveIdle() (bool, time.Time) {
	return s.serving.Load() == 0, time.Unix(0, s.servedAt.Load())
}

// serveBlob answers one ask: the blob, or an empty entry when this store
// lacks it.
func (s *Session) serveBlob(ctx context.Context, hash string) error {
	held := s.budget.most // its size is known once it is read
	if err := s.budget.acquire(ctx, held); err != nil {
		return err
	}
	data, err := s.St.Blob(ctx, hash)
	if errors.Is(err, store.ErrNotFound) || len(data) > MaxBlobBytes {
		data, err = nil, nil // an empty entry says "not here"
	}
	if err != nil {
		s.budget.release(held)
		return err
	}
	if n := int64(len(data)); n < held {
		s.budget.release(held - n)
		held = n
	}
	// A write to a peer that stopped reading may outlive the session (it
	// ends when the caller closes the stream): its bytes go back to the
	// budget when the session ends, so that it cannot hold up the other
	// sessions' blobs for good.
	var once gosync.Once
	free := func() { once.Do(func() { s.budget.release(held) }) }
	stop := context.AfterFunc(ctx, free)
	err = s.RW.WriteMsg(blobsMsg(data))
	stop()
	free()
	return err
}
