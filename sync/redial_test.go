package sync

import (
	"context"
	"testing"
	"time"
)

// A maintained node reconnects to a peer that came back without waiting
// for devp2p's dialer, which dials a node id at most every 35 s: b
// restarts on the same address and dials nobody, so only a's own redial
// can bring it back. The wait is an upper bound for a loaded machine, well
// under the 35 s the dialer alone would take.
func TestMaintainRedialsAPeerThatCameBack(t *testing.T) {
	w := newWorkspace(t, 61, 2)
	a, b := w.members[0], w.members[1]
	w.start()
	maintain(t, a)
	a.st.AddPeer(context.Background(), b.node.Self())
	waitFor(t, 30*time.Second, "b connected to a", func() bool { return liveOn(t, a.st, b.node.Self()) })

	addr := b.node.srv.ListenAddr
	b.node.Stop()
	waitFor(t, 10*time.Second, "a saw b go", func() bool { return len(a.node.Connected()) == 0 })
	restart(t, b, addr)
	waitFor(t, 20*time.Second, "a redialed b", func() bool { return len(a.node.Connected()) == 1 })
}

// maintain runs m's Maintain every 50 ms until the test's Cleanup.
func maintain(t *testing.T, m *member) {
	ctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	go func() { defer close(maintained); m.node.Maintain(ctx, 50*time.Millisecond) }()
	t.Cleanup(func() { stop(); <-maintained })
}

// restart gives m a new node on addr ("127.0.0.1:0" for a new port), stopped
// at the test's Cleanup; the caller has stopped the old one.
func restart(t *testing.T, m *member, addr string) {
	t.Helper()
	m.node = NewNode(Config{Key: m.key, ListenAddr: addr, Store: m.st, Logger: testLogger(t)})
	if err := m.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.node.Stop)
}
