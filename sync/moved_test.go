package sync

import (
	"context"
	"testing"
	"time"
)

// A member's node that comes back on another port is reached there once
// its new address is added (peer add, or the peer table through
// Maintain): devp2p's dialer would keep dialing the old one.
func TestMovedNodeIsDialedAtItsNewAddress(t *testing.T) {
	w := newWorkspace(t, 53, 2)
	a, b := w.members[0], w.members[1]
	w.start()
	maintain(t, a)

	if err := a.st.AddPeer(context.Background(), b.node.Self()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "b connected at its first address", func() bool { return liveOn(t, a.st, b.node.Self()) })

	b.node.Stop()
	restart(t, b, "127.0.0.1:0")
	moved := b.node.Self()
	if err := a.st.AddPeer(context.Background(), moved); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a dialing b's new address", func() bool {
		a.node.mu.Lock()
		defer a.node.mu.Unlock()
		for _, n := range a.node.dialed {
			if n.URLv4() == moved {
				return len(a.node.dialed) == 1
			}
		}
		return false
	})
	// Only a dials: b never learns a's address here. devp2p holds back
	// from a node id it failed to reach for 35 s (dialHistoryExpiration),
	// and a failed at b's old address when b stopped.
	waitFor(t, 50*time.Second, "b connected at its new address", func() bool { return liveOn(t, a.st, moved) })
}
