package sync

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/store"
)

// peerOn is st's peer row for url, as Peers reports it.
func peerOn(t *testing.T, st *store.Store, url string) store.Peer {
	t.Helper()
	ps, err := st.Peers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Enode == url {
			return p
		}
	}
	return store.Peer{}
}

func liveOn(t *testing.T, st *store.Store, url string) bool { return peerOn(t, st, url).Connected }

// A running node keeps an idle peer reading as connected by its heartbeat
// alone; a peer that stops stops counting; a node that stops marks its
// peers disconnected.
func TestPeerLiveness(t *testing.T) {
	w := newWorkspace(t, 51, 2)
	a, b := w.members[0], w.members[1]
	// a's store runs on a clock the test can move forward: only the
	// heartbeat can keep b connected across a jump past PeerStale.
	var skew atomic.Int64
	a.st.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	w.start()
	ctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	go func() { defer close(maintained); a.node.Maintain(ctx, 50*time.Millisecond) }()
	t.Cleanup(func() { stop(); <-maintained })
	w.link(0, 1)
	a.st.AddPeer(context.Background(), b.node.Self()) // a records what it dials, as peer add would
	waitFor(t, 30*time.Second, "b connected in a's peer table", func() bool { return liveOn(t, a.st, b.node.Self()) })

	// 1. Idle: no event moves, yet after a jump of more than PeerStale a
	// heartbeat stamps b again and b stays connected.
	before := peerOn(t, a.st, b.node.Self()).LastSeen
	skew.Store(int64(store.PeerStale + time.Second))
	waitFor(t, store.PeerHeartbeat+8*time.Second, "a heartbeat for idle b", func() bool {
		p := peerOn(t, a.st, b.node.Self())
		return p.Connected && p.LastSeen > before+store.PeerStale.Milliseconds()
	})

	// 2. b stops: its session ends and it stops counting.
	b.node.Stop()
	waitFor(t, 10*time.Second, "b shown disconnected after it stopped", func() bool { return !liveOn(t, a.st, b.node.Self()) })

	// 3. a's Maintain ends: every peer it recorded is marked disconnected
	// at once, not after PeerStale. b comes back on the same address.
	b.node = NewNode(Config{Key: b.key, ListenAddr: b.node.srv.ListenAddr, Store: b.st, Logger: testLogger(t)})
	if err := b.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.node.Stop)
	w.link(1, 0) // a's dialer holds back from a node it just lost; b dials
	waitFor(t, 30*time.Second, "the restarted b connected", func() bool { return liveOn(t, a.st, b.node.Self()) })
	stop()
	<-maintained
	if liveOn(t, a.st, b.node.Self()) {
		t.Fatal("b still shown connected after a's node stopped maintaining its peers")
	}
}
