package sync

import (
	"context"
	"errors"
	"io"
	gosync "sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
)

// The budget hands bytes out in order: a taker that does not fit waits, and
// so does every later one, even one that would fit (no large blob starves);
// a taker that gives up makes way; no taker asks for more than the limit.
func TestBlobBudgetOrder(t *testing.T) {
	ctx := context.Background()
	b := newBlobBudget(100, 100)
	if err := b.acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	granted := make(chan int64, 4)
	take := func(ctx context.Context, n int64) {
		if err := b.acquire(ctx, n); err == nil {
			granted <- n
		} else {
			granted <- -n
		}
	}
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, _, w := b.state(); w == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("never %d waiting", n)
			}
		}
	}
	big, cancelBig := context.WithCancel(ctx)
	go take(big, 70) // does not fit beside 60
	waitFor(1)
	go take(ctx, 30) // would fit, but waits its turn
	waitFor(2)
	cancelBig()
	if n := <-granted; n != -70 {
		t.Fatalf("the cancelled taker got %d", n)
	}
	if n := <-granted; n != 30 {
		t.Fatalf("after the cancel, %d was granted, want 30", n)
	}
	go take(ctx, 1000) // clipped to the limit: waits for everything
	waitFor(1)
	b.release(60)
	b.release(30)
	if n := <-granted; n != 1000 {
		t.Fatalf("granted %d, want the clipped 1000", n)
	}
	b.release(1000)
	if used, peak, waiting := b.state(); used != 0 || peak != 100 || waiting != 0 {
		t.Fatalf("budget used %d, peak %d, %d waiting; want 0, 100, 0", used, peak, waiting)
	}
}

// Several sessions serving blobs at once hold at most the budget between
// them: with room for three blobs, three peers that do not read their
// answers hold three, the fourth peer's blob waits, and meanwhile that
// peer's session still answers its other requests. Once the peers read,
// every answer comes and the budget is whole again.
func TestBlobBudgetAcrossSessions(t *testing.T) {
	w := newWorkspace(t, 95, 1)
	st := w.members[0].st
	const size = 80 << 10
	hashes := bigBlobs(t, st, 2, size)
	budget := newBlobBudget(3*size, size)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	type peer struct {
		fr   *Framed // reads the session's answers, writes its requests
		done chan error
	}
	var peers []*peer
	var wg gosync.WaitGroup
	// waitBudget polls until the budget holds used bytes with waiting
	// takers in line, checking on the way that it never held more.
	waitBudget := func(wantUsed int64, wantWaiting int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			used, peak, waiting := budget.state()
			if peak > budget.limit {
				t.Fatalf("%d bytes held, over the %d-byte budget", peak, budget.limit)
			}
			if used == wantUsed && waiting == wantWaiting {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("budget: %d of %d bytes held, %d waiting; want %d held, %d waiting", used, budget.limit, waiting, wantUsed, wantWaiting)
			}
		}
	}
	for i := range 4 {
		r1, w1 := io.Pipe() // peer -> session
		r2, w2 := io.Pipe() // session -> peer
		s := &Session{St: st, RW: NewFramed(r1, w2, w2), budget: budget}
		p := &peer{fr: NewFramed(r2, w1, w1), done: make(chan error, 1)}
		peers = append(peers, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.done <- s.Run(ctx)
			w2.Close()
		}()
		t.Cleanup(func() { w1.Close(); r2.Close() })
		expectMsg(t, p.fr, StatusMsg)
		if err := send(p.fr, StatusMsg, &Status{WS: st.Workspace()}); err != nil {
			t.Fatal(err)
		}
		if err := send(p.fr, GetBlobsMsg, &GetBlobs{Hashes: hashes}); err != nil {
			t.Fatal(err)
		}
		// Nobody reads yet: each of the first three sessions holds a
		// blob, blocked writing it; the fourth waits for room.
		if i < 3 {
			waitBudget(int64(i+1)*size, 0)
		} else {
			waitBudget(budget.limit, 1)
		}
	}
	// The fourth session answers a range request while its blob waits:
	// the next message its peer reads is the range, not the blob.
	last := peers[3]
	if err := send(last.fr, GetEventsMsg, &GetEvents{Author: w.members[0].signer.Address(), From: 1, Max: 1}); err != nil {
		t.Fatal(err)
	}
	m, err := last.fr.ReadMsg()
	if err != nil || m.Code != EventsMsg {
		t.Fatalf("the waiting session's next message: code %d, %v; want its events (%d)", m.Code, err, EventsMsg)
	}
	var evs Events
	if err := decode(m, &evs); err != nil || len(evs.Raws) != 1 {
		t.Fatalf("events: %d, %v", len(evs.Raws), err)
	}
	waitBudget(budget.limit, 1)
	// Now every peer reads all its answers.
	var rg gosync.WaitGroup
	for _, p := range peers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for range hashes {
				m := expectMsg(t, p.fr, BlobsMsg)
				if got, err := decodeBlobs(*m); err != nil || len(got) != 1 || len(got[0]) != size {
					t.Errorf("answer: %d blobs, %v", len(got), err)
				}
			}
		}()
	}
	rg.Wait()
	cancel()
	wg.Wait()
	for _, p := range peers {
		if err := <-p.done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("session: %v", err)
		}
	}
	if used, peak, waiting := budget.state(); used != 0 || peak > budget.limit || waiting != 0 {
		t.Fatalf("after the answers: %d bytes held, peak %d of %d, %d waiting", used, peak, budget.limit, waiting)
	}
}

// expectMsg reads fr until a message of code, skipping others.
func expectMsg(t *testing.T, fr *Framed, code uint64) *p2p.Msg {
	t.Helper()
	for {
		m, err := fr.ReadMsg()
		if err != nil {
			t.Errorf("waiting for message %d: %v", code, err)
			return nil
		}
		if m.Code == code {
			return &m
		}
		m.Discard()
	}
}

// A blob write blocked on a peer that stopped reading gives its bytes back
// once the session ends, though the write goes on until the stream is
// closed: one stuck peer must not hold up every other session's blobs.
func TestBlobBudgetFreedWhenTheSessionEnds(t *testing.T) {
	w := newWorkspace(t, 97, 1)
	st := w.members[0].st
	const size = 80 << 10
	hashes := bigBlobs(t, st, 1, size)
	budget := newBlobBudget(2*size, size)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	defer w1.Close()
	s := &Session{St: st, RW: NewFramed(r1, w2, w2), budget: budget}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	fr := NewFramed(r2, w1, w1)
	expectMsg(t, fr, StatusMsg)
	if err := send(fr, StatusMsg, &Status{WS: st.Workspace()}); err != nil {
		t.Fatal(err)
	}
	if err := send(fr, GetBlobsMsg, &GetBlobs{Hashes: hashes}); err != nil {
		t.Fatal(err)
	}
	poll := func(want int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if used, _, _ := budget.state(); used == want {
				return
			}
			if time.Now().After(deadline) {
				used, _, _ := budget.state()
				t.Fatalf("budget holds %d bytes, want %d", used, want)
			}
		}
	}
	poll(size) // the blob's write is blocked: nobody reads
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("session: %v", err)
	}
	poll(0)
	r2.Close() // the blocked write fails and its goroutine ends
}
