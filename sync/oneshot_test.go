package sync

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"net"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/domain"
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
	for _, want := range []string{"connection refused", urlName(url)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// urlName is how errors name the node at url when its key is not a known
// member's: the URL's scheme, the key's first 8 hex digits, host:port.
func urlName(url string) string {
	key, rest, _ := strings.Cut(strings.TrimPrefix(url, "enode://"), "@")
	hostPort, _, _ := strings.Cut(rest, "?")
	return "enode://" + key[:8] + "…@" + hostPort
}

// stranger is a node of a fresh key on an empty store: no workspace, so it
// admits its first peer, as a newly joined device does.
func stranger(t *testing.T, logger *slog.Logger) (*Node, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	x := NewNode(Config{Key: k, ListenAddr: "127.0.0.1:0", Store: openStore(t, "stranger"), Logger: logger})
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Stop)
	return x, k
}

// A device that is not a member is told so by the peer it syncs with,
// rather than seeing the connection close under it ("EOF").
func TestSyncOnceNonMemberIsToldWhy(t *testing.T) {
	w := newWorkspace(t, 32, 1)
	w.start()
	x, k := stranger(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := x.SyncOnce(ctx, w.members[0].node.Self())
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Reason != RefusedNotMember {
		t.Fatalf("sync as a non-member: %v, want a refusal as not a member", err)
	}
	addr := crypto.PubkeyToAddress(k.PublicKey).Hex()
	name := urlName(w.members[0].node.Self())
	for _, want := range []string{name + " refused this device", "not a member of its workspace roster", addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// A member syncing with a node whose key is not on its own roster refuses
// it, and says so at once rather than at the deadline.
func TestSyncOnceRefusingThePeerSaysSo(t *testing.T) {
	w := newWorkspace(t, 33, 1)
	w.start()
	x, _ := stranger(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := w.members[0].node.SyncOnce(ctx, x.Self())
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "this device refuses "+urlName(x.Self())) {
		t.Fatalf("sync with a non-member's node: %v, want this device's refusal", err)
	}
}

// A member removed while connected is told why its session ended: its
// node warns once that the peer refused it.
func TestRemovedMemberIsToldWhy(t *testing.T) {
	w := newWorkspace(t, 34, 2)
	a, b := w.members[0], w.members[1]
	var log syncBuf
	a.node = NewNode(Config{Key: a.key, ListenAddr: "127.0.0.1:0", Store: a.st})
	b.node = NewNode(Config{Key: b.key, ListenAddr: "127.0.0.1:0", Store: b.st,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	for _, m := range w.members {
		if err := m.node.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.node.Stop)
	}
	w.link(1, 0)
	waitFor(t, 10*time.Second, "a session", func() bool { return len(a.node.Connected()) == 1 })
	if _, err := a.st.Append(context.Background(), a.signer, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "m1"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the removed member's warning", func() bool {
		// b knows a as member m0: named by handle and address
		return strings.Contains(log.String(), "m0 ("+urlName(a.node.Self())+") refused this device: not a member")
	})
	if n := strings.Count(log.String(), "refused this device"); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, log.String())
	}
}

// syncBuf is a bytes.Buffer safe for a logger and a test to share.
type syncBuf struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// A peer already connected to a node of this device's key refuses a
// second connection from it; the one-shot says so at once.
func TestSyncOnceBesideASessionOfTheSameKey(t *testing.T) {
	w := newWorkspace(t, 36, 2)
	w.start()
	w.link(1, 0)
	a, b := w.members[0], w.members[1]
	waitFor(t, 10*time.Second, "a session", func() bool { return len(a.node.Connected()) == 1 })
	twin := NewNode(Config{Key: b.key, Store: openStore(t, "twin")})
	if err := twin.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(twin.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := twin.SyncOnce(ctx, a.node.Self())
	if !errors.Is(err, ErrAlreadyConnected) || ctx.Err() != nil {
		t.Fatalf("second connection of one key: %v, want ErrAlreadyConnected", err)
	}
	if _, err := a.node.SyncOnce(ctx, a.node.Self()); err == nil || !strings.Contains(err.Error(), "this device's own node") {
		t.Fatalf("sync with itself: %v", err)
	}
}

// A Refused message ends the session with the reason it names; one that is
// not valid RLP is misbehaviour, like any other malformed message.
func TestRefusedMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payload  []byte // raw RLP; nil: encode Refused{reason}
		reason   uint64
		want     string
		misbehav bool
	}{
		{name: "not a member", reason: RefusedNotMember, want: "refused this device: not a member of its workspace roster"},
		{name: "backed off", reason: RefusedBackedOff, want: "refused this device for now"},
		{name: "unknown reason", reason: 99, want: "reason 99, unknown to this version"},
		{name: "malformed", payload: []byte{0xff, 0x01}, want: "not valid RLP", misbehav: true},
		{name: "oversized", payload: bytes.Repeat([]byte{0x80}, maxSmallMsg+1), want: "over the", misbehav: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBad(t, 0)
			var err error
			if tc.payload != nil {
				err = b.hp.sendRaw(RefusedMsg, tc.payload)
			} else {
				err = b.hp.send(RefusedMsg, &Refused{Reason: tc.reason})
			}
			if err != nil {
				t.Fatal(err)
			}
			err = waitErr(t, b.errc, 10*time.Second)
			var refused *RefusedError
			if tc.misbehav != errors.Is(err, ErrMisbehaved) || tc.misbehav == errors.As(err, &refused) {
				t.Fatalf("session ended with %v (misbehaved %v, refused %v)", err, errors.Is(err, ErrMisbehaved), refused != nil)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("session ended with %q, want %q", err, tc.want)
			}
			b.nothingStored(t)
		})
	}
}

// PeerName names a member's node by handle and short URL, a stranger's by
// short URL alone, and gives back what is no enode URL.
func TestPeerName(t *testing.T) {
	w := newWorkspace(t, 34, 2)
	w.start()
	x, _ := stranger(t, nil)
	a, b := w.members[0].node, w.members[1].node
	for _, c := range []struct{ url, want string }{
		{b.Self(), "m1 (" + urlName(b.Self()) + ")"},
		{x.Self(), urlName(x.Self())},
		{"not-an-enode", "not-an-enode"},
	} {
		if got := a.PeerName(c.url); got != c.want {
			t.Errorf("PeerName(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}
