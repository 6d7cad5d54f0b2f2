package sync

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// closedPort returns a loopback address that nothing listens on.
func closedPort(t *testing.T) *net.TCPAddr {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	return addr
}

// A one-shot sync to a port nobody listens on fails at once with the dial
// error, not after the caller's deadline: devp2p's dialer used to retry it
// silently until then.
func TestSyncOnceClosedPortFailsFast(t *testing.T) {
	w := newWorkspace(t, 31, 2)
	w.start()
	addr := closedPort(t)
	url := enode.NewV4(&w.members[1].key.PublicKey, addr.IP, addr.Port, 0).URLv4()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := w.members[0].node.SyncOnce(ctx, url)
	if err == nil {
		t.Fatal("sync with a closed port succeeded")
	}
	if ctx.Err() != nil {
		t.Fatalf("sync waited for the deadline: %v", err)
	}
	for _, want := range []string{"connection refused", addr.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
