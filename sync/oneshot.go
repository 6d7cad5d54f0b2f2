package sync

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/domain"
)

// dialTimeout bounds the TCP connect of a one-shot sync; the RLPx
// handshake that follows has its own deadlines.
const dialTimeout = 10 * time.Second

// ErrAlreadyConnected is a peer's answer to a second connection from one
// key: devp2p keeps one per node id. With this home's serve (or cockpit)
// connected to the peer, a one-shot sync with the same device key is
// turned away; the running node already replicates with it.
var ErrAlreadyConnected = errors.New("it already has a connection from this device's key")

// SyncOnce dials one peer, runs one round of pull and push, and returns
// what moved once both sides are idle.
func (n *Node) SyncOnce(ctx context.Context, url string) (Stats, error) {
	return n.syncOnce(ctx, url, nil)
}

// syncOnce dials the peer itself rather than through devp2p's dialer:
// that dialer retries an unreachable or refusing node silently, so a
// closed port or a peer that turned us away at the handshake used to
// read as a two-minute wait ending in "context deadline exceeded".
func (n *Node) syncOnce(ctx context.Context, url string, want []string) (Stats, error) {
	node, err := enode.ParseV4(url)
	if err != nil {
		return Stats{}, fmt.Errorf("peer %q: %w", url, err)
	}
	addr, ok := node.TCPEndpoint()
	if !ok {
		return Stats{}, fmt.Errorf("peer %s has no TCP address to dial", url)
	}
	done := make(chan result, 1)
	n.mu.Lock()
	n.once[node.ID()] = oneShotWait{done: done, want: want}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.once, node.ID())
		n.mu.Unlock()
	}()
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return Stats{}, fmt.Errorf("sync with %s: %w (is tminus serve running there?)", n.name(node), err)
	}
	// SetupConn closes conn when the handshake or a check fails; flags 0
	// is an outbound connection of no dial kind, as redial's.
	if err := n.srv.SetupConn(conn, 0, node); err != nil {
		switch {
		case errors.Is(err, p2p.DiscAlreadyConnected):
			err = ErrAlreadyConnected
		case errors.Is(err, p2p.DiscSelf):
			err = errors.New("that is this device's own node")
		}
		return Stats{}, fmt.Errorf("sync with %s: %w", n.name(node), err)
	}
	defer n.disconnect(node.ID())
	select {
	case r := <-done:
		return r.stats, r.err
	case <-ctx.Done():
		// What the session stored is kept; its count comes back once the
		// connection is down, which takes a moment at most.
		n.disconnect(node.ID())
		var stats Stats
		select {
		case r := <-done:
			stats = r.stats
		case <-time.After(statsWait):
		}
		return stats, fmt.Errorf("sync with %s: %w (is tminus serve running there, and is this device a member?)", n.name(node), ctx.Err())
	}
}

// statsWait bounds how long a one-shot cut off by its context waits for
// its session's count of what it moved.
const statsWait = 5 * time.Second

// disconnect drops the one-shot's connection. Not RemovePeer: the node
// never put the peer on its dial list, and a maintained node may want it
// there.
func (n *Node) disconnect(id enode.ID) {
	for _, p := range n.srv.Peers() {
		if p.ID() == id {
			p.Disconnect(p2p.DiscRequested)
		}
	}
}

// PeerName names the peer at url as this node's messages do (name), or
// gives url back when it is no enode URL.
func (n *Node) PeerName(url string) string {
	node, err := enode.ParseV4(url)
	if err != nil {
		return url
	}
	return n.name(node)
}

// name is how messages name a peer: by the address the user typed or
// the roster holds (enode://KEY…@HOST:PORT), and by member handle when this
// store knows the key; devp2p's short id (fd29ddcfa8a33ea8) is neither.
func (n *Node) name(node *enode.Node) string {
	pub := node.Pubkey()
	if pub == nil {
		return node.ID().TerminalString()
	}
	s := "enode://" + hex.EncodeToString(crypto.FromECDSAPub(pub)[1:5]) + "…"
	if addr, ok := node.TCPEndpoint(); ok {
		s += "@" + addr.String()
	}
	if n.cfg.Store.Workspace().IsZero() {
		return s
	}
	var handle string
	n.withState(context.Background(), func(st *domain.State) error {
		if m := st.MemberByKey(crypto.PubkeyToAddress(*pub)); m != nil {
			handle = m.Handle
		}
		return nil
	})
	if handle == "" {
		return s
	}
	return handle + " (" + s + ")"
}

// logName names a peer in a log record only if the record is written:
// naming by handle reads the folded state.
type logName struct {
	n    *Node
	node *enode.Node
}

func (l logName) LogValue() slog.Value { return slog.StringValue(l.n.name(l.node)) }
