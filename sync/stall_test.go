package sync

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/store"
)

// stallStore stops the session that uses it, as SIGSTOP or a laptop's
// sleep would, inside its next Arrived (read on every tick) while stop is set.
type stallStore struct {
	*store.Store
	stop    atomic.Bool
	stopped chan struct{} // closed once the session is stopped
	resume  chan struct{}
}

func (s *stallStore) Arrived(ctx context.Context) (int64, error) {
	if s.stop.CompareAndSwap(true, false) {
		close(s.stopped)
		<-s.resume
	}
	return s.Store.Arrived(ctx)
}

// A node that was stopped for a while reads at once every announce its
// peer sent meanwhile: that backlog is not a flood, and the peer is not
// cut off and backed off for it.
func TestAnnounceBacklogAfterAStallIsNoFlood(t *testing.T) {
	w := newWorkspace(t, 74, 2)
	st := &stallStore{Store: w.members[0].st, stopped: make(chan struct{}), resume: make(chan struct{})}
	end1, end2 := p2p.MsgPipe()
	t.Cleanup(func() { end1.Close() })
	hp := newHandPeer(t, end2)
	_, errc := runSession(t, st, end1)
	hp.expect(StatusMsg)

	st.stop.Store(true)
	<-st.stopped
	sent := make(chan error, 1)
	go func() {
		for range 3 * maxAnnouncePS {
			if err := hp.send(AnnounceMsg, &Announce{}); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	time.Sleep(stallGap + 500*time.Millisecond) // the stop: longer than stallGap
	close(st.resume)
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("the session stopped reading the backlog: %v", err)
		}
	case err := <-errc:
		t.Fatalf("session ended on the backlog: %v", err)
	}
	// Answered after the backlog, in order: the session read all of it and is up.
	if err := hp.send(GetEventsMsg, &GetEvents{Author: w.members[0].signer.Address(), From: 1, Max: 1}); err != nil {
		t.Fatalf("session ended: %v", waitErr(t, errc, 5*time.Second))
	}
	var ev Events
	if err := rlp.DecodeBytes(hp.expect(EventsMsg).data, &ev); err != nil || len(ev.Raws) != 1 {
		t.Fatalf("reply after the backlog: %d events, %v", len(ev.Raws), err)
	}
	select {
	case err := <-errc:
		t.Fatalf("session ended: %v", err)
	default:
	}
}

// The allowance after a stall is for that window only: a peer that keeps
// announcing beyond the limit afterwards is still a flood.
func TestFloodCheck(t *testing.T) {
	now := time.Unix(1000, 0)
	f := floodCheck{now: func() time.Time { return now }}
	f.reset(0)
	tick := func(d time.Duration) {
		now = now.Add(d)
		f.ticked()
	}
	count := func(n int) (ok int) {
		for range n {
			if f.announce() {
				ok++
			}
		}
		return ok
	}
	if got := count(maxAnnouncePS + 1); got != maxAnnouncePS {
		t.Fatalf("without a stall %d of %d announces in a second pass, want %d", got, maxAnnouncePS+1, maxAnnouncePS)
	}
	tick(1100 * time.Millisecond) // next window
	tick(10 * time.Second)        // stopped for 10 s
	backlog := 10*announceRate + announceBurst
	if got := count(backlog); got != backlog {
		t.Fatalf("after a 10 s stall %d of a %d-announce backlog pass", got, backlog)
	}
	for range 100 { // 2.5 s of ticks: the stall's window is over
		tick(announceEvery)
	}
	if got := count(maxAnnouncePS + 1); got != maxAnnouncePS {
		t.Fatalf("after the stall's window %d of %d announces in a second pass, want %d", got, maxAnnouncePS+1, maxAnnouncePS)
	}
}
