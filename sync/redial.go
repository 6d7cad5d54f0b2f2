package sync

import (
	"net"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// redialEvery is how often a maintained node dials, itself, a peer it
// wants and is not connected to. devp2p's dialer dials a node id at most
// once every 35 s (dialHistoryExpiration), so two nodes cut apart by a
// network split, a restart or a full disk stayed apart for up to 35 s after
// the cause was gone; the soak measured 18-31 s to converge after such
// heals on four nodes. Three seconds costs a refused connection attempt
// per missing peer every three seconds.
const redialEvery = 3 * time.Second

// redialTimeout bounds one own dial; the RLPx handshake has its own.
const redialTimeout = 5 * time.Second

// redial dials each peer of want that has no session, is not backed off,
// was not dialed within redialEvery and has no own dial in flight, and
// hands the connection to devp2p as its dialer would (SetupConn). A peer
// that is already connected by then is refused by devp2p's own checks.
func (n *Node) redial(want map[enode.ID]*enode.Node) {
	now := time.Now()
	n.mu.Lock()
	var dial []*enode.Node
	for id, node := range want {
		if _, up := n.sessions[id]; up || n.redialing[id] || now.Sub(n.redialed[id]) < redialEvery {
			continue
		}
		if b, bad := n.bad[id]; bad && now.Before(b.until) {
			continue
		}
		if _, ok := node.TCPEndpoint(); !ok {
			continue
		}
		n.redialing[id], n.redialed[id] = true, now
		dial = append(dial, node)
	}
	n.mu.Unlock()
	for _, node := range dial {
		go func() {
			defer func() {
				n.mu.Lock()
				delete(n.redialing, node.ID())
				n.mu.Unlock()
			}()
			addr, _ := node.TCPEndpoint()
			conn, err := net.DialTimeout("tcp", addr.String(), redialTimeout)
			if err != nil {
				return
			}
			// SetupConn closes the connection when a check or a handshake
			// fails; flags 0 is an outbound connection of no dial kind.
			if err := n.srv.SetupConn(conn, 0, node); err != nil {
				n.cfg.Logger.Debug("redial", "peer", node.ID().TerminalString(), "err", err)
			}
		}()
	}
}
