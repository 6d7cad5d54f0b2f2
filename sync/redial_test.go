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
	ctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	go func() { defer close(maintained); a.node.Maintain(ctx, 50*time.Millisecond) }()
	t.Cleanup(func() { stop(); <-maintained })
	a.st.AddPeer(context.Background(), b.node.Self())
	waitFor(t, 30*time.Second, "b connected to a", func() bool { return liveOn(t, a.st, b.node.Self()) })

	addr := b.node.srv.ListenAddr
	b.node.Stop()
	waitFor(t, 10*time.Second, "a saw b go", func() bool { return len(a.node.Connected()) == 0 })
	b.node = NewNode(Config{Key: b.key, ListenAddr: addr, Store: b.st, Logger: testLogger(t)})
	if err := b.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.node.Stop)
	waitFor(t, 20*time.Second, "a redialed b", func() bool { return len(a.node.Connected()) == 1 })
}
