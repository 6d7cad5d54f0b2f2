package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/store"
)

// inboundRow is st's peer row for key's node recorded at port 0, if any.
func inboundRow(t *testing.T, st *store.Store, self string) (store.Peer, bool) {
	t.Helper()
	id := enode.MustParse(self).ID()
	ps, err := st.Peers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if n, err := enode.ParseV4(p.Enode); err == nil && n.ID() == id && n.TCP() == 0 {
			return p, true
		}
	}
	return store.Peer{}, false
}

// A peer that dialed in, and that neither the roster nor peer add gives an
// address for, is shown connected in peer list and the cockpit's count
// (a laptop that dials an always-on serve), under a URL with port 0 that
// no node dials; a real address for it replaces that row.
func TestInboundPeerIsShown(t *testing.T) {
	w := newWorkspace(t, 73, 2)
	a, b := w.members[0], w.members[1]
	w.start()
	ctx, stop := context.WithCancel(context.Background())
	var done []chan struct{}
	for _, m := range w.members {
		c := make(chan struct{})
		done = append(done, c)
		go func() { defer close(c); m.node.Maintain(ctx, 50*time.Millisecond) }()
	}
	t.Cleanup(func() {
		stop()
		for _, c := range done {
			<-c
		}
	})
	if err := a.st.AddPeer(context.Background(), b.node.Self()); err != nil { // only a knows where to dial
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a, which dialed in, connected in b's peer list", func() bool {
		p, ok := inboundRow(t, b.st, a.node.Self())
		return ok && p.Connected
	})
	if p, _ := inboundRow(t, b.st, a.node.Self()); !strings.HasSuffix(p.Enode, "@127.0.0.1:0") {
		t.Errorf("inbound row %q: want a's key at 127.0.0.1:0", p.Enode)
	}

	// a leaves: b shows it gone without waiting for the row to go stale.
	a.node.Stop()
	waitFor(t, store.PeerStale-time.Second, "a disconnected in b's peer list", func() bool {
		p, ok := inboundRow(t, b.st, a.node.Self())
		return ok && !p.Connected
	})

	// b learns where a listens: the port-0 row goes.
	if err := b.st.SeePeers(context.Background(), []store.Peer{{Enode: a.node.Self()}}); err != nil {
		t.Fatal(err)
	}
	if p, ok := inboundRow(t, b.st, a.node.Self()); ok {
		t.Fatalf("b still lists %s once a's address is known", p.Enode)
	}
}
