package sync

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// NodeStore adds what a running node needs beyond a session's Store.
type NodeStore interface {
	Store
	NewView(ctx context.Context) (*store.View, error)
	Peers(ctx context.Context) ([]store.Peer, error)
	SeePeers(ctx context.Context, ps []store.Peer) error
	ClearStalePeers(ctx context.Context) (int64, error)
}

// Config configures a Node.
type Config struct {
	Key        *ecdsa.PrivateKey // the device's signing key is its node key
	ListenAddr string            // "" dials only
	Store      NodeStore
	Backoff    time.Duration // first back-off after misbehaviour (default 30s), doubling
	Logger     *slog.Logger

	// State, when set, lends the node a folded state that someone else keeps
	// current (the cockpit's screen): it runs f with that state held still,
	// and the node then never folds the store nor keeps a View of its own. f
	// must not keep the state. Admission and the dial list are then as fresh
	// as the owner keeps it. Unset (serve, sync), the node keeps its own View.
	State func(f func(*domain.State) error) error
}

// Node is a devp2p node speaking tminus/1 with the workspace's members.
// devp2p has no allow-list hook, so admission happens in Protocol.Run, and
// the static and trusted node lists are kept in step with the roster.
type Node struct {
	cfg Config
	srv *p2p.Server

	mu       gosync.Mutex
	sessions map[enode.ID]*peerState
	bad      map[enode.ID]badness
	once     map[enode.ID]oneShotWait // one-shot syncs waiting for a peer
	dialed   map[enode.ID]*enode.Node
	// this node's own dials of wanted peers (redial.go)
	redialed  map[enode.ID]time.Time
	redialing map[enode.ID]bool
	refusedBy map[enode.ID]bool // peers that refused this device, warned of once
	// inbound: the peer rows written for peers that dialed in and that
	// this node has no address for (inboundURL), by node id.
	inbound map[enode.ID]string

	// view is the folded state admission and the dial list read, kept
	// current incrementally: re-folding a large store every few seconds
	// per peer cost a tenth of a catch-up's CPU. Unused when Config.State
	// lends a state.
	viewMu gosync.Mutex
	view   *store.View

	claims Claims // what the sessions are pulling, one peer per chain
}

type peerState struct {
	url      string
	since    time.Time
	lastSeen time.Time
	behind   int64
	sess     *Session
}

type oneShotWait struct {
	done chan result
	want []string // blobs to ask for
}

// report hands the one-shot its result. The first session with the peer
// answers; another that ran meanwhile (the peer dialed in too) must not
// block on a wait nobody reads.
func (w oneShotWait) report(r result) {
	select {
	case w.done <- r:
	default:
	}
}

type result struct {
	stats Stats
	err   error
}

type badness struct {
	until time.Time
	wait  time.Duration
}

// NewNode makes a node; Start opens it.
func NewNode(cfg Config) *Node {
	if cfg.Backoff == 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, sessions: map[enode.ID]*peerState{}, bad: map[enode.ID]badness{},
		once: map[enode.ID]oneShotWait{}, dialed: map[enode.ID]*enode.Node{},
		redialed: map[enode.ID]time.Time{}, redialing: map[enode.ID]bool{},
		refusedBy: map[enode.ID]bool{}, inbound: map[enode.ID]string{}}
	n.srv = &p2p.Server{Config: p2p.Config{
		PrivateKey:  cfg.Key,
		MaxPeers:    64,
		NoDiscovery: true, // peers come from the roster and peer add, never from the internet
		ListenAddr:  cfg.ListenAddr,
		Name:        "tminus/1",
		Logger:      log.NewLogger(slog.DiscardHandler),
		Protocols: []p2p.Protocol{{
			Name: "tminus", Version: 1, Length: NumMsgs,
			Run: n.run,
		}},
	}}
	return n
}

// Start folds the store once (unless Config.State lends a folded state), so
// that admitting the first peers does not wait on it, and starts listening.
func (n *Node) Start() error {
	if !n.cfg.Store.Workspace().IsZero() {
		if err := n.withState(context.Background(), func(*domain.State) error { return nil }); err != nil {
			return err
		}
	}
	return n.srv.Start()
}

func (n *Node) Stop() { n.srv.Stop() }

// Self is this node's enode URL.
func (n *Node) Self() string { return n.srv.Self().URLv4() }

// AddPeer dials a node URL and keeps the connection up.
func (n *Node) AddPeer(url string) error {
	node, err := enode.ParseV4(url)
	if err != nil {
		return fmt.Errorf("peer %q: %w", url, err)
	}
	n.mu.Lock()
	old := n.dialed[node.ID()]
	n.mu.Unlock()
	// devp2p's dialer keeps the first address it was given for a node id:
	// a member whose node moved (a new port, a new host) is forgotten at
	// the old address before it is dialed at the new one.
	if old != nil && old.URLv4() != node.URLv4() {
		n.RemovePeer(old)
	}
	n.mu.Lock()
	n.dialed[node.ID()] = node
	n.redialed[node.ID()] = time.Now() // devp2p dials it now; redial only if that fails
	n.mu.Unlock()
	n.srv.AddTrustedPeer(node)
	n.srv.AddPeer(node)
	return nil
}

// RemovePeer stops dialing a node and drops its connection.
func (n *Node) RemovePeer(node *enode.Node) {
	n.mu.Lock()
	delete(n.dialed, node.ID())
	n.mu.Unlock()
	n.srv.RemoveTrustedPeer(node)
	n.srv.RemovePeer(node)
}

// admit refuses keys that are not an active member's device, and peers in
// back-off. A store with no workspace yet admits its first peer so that a
// newly joined member can pull the workspace; it only reads from it.
func (n *Node) admit(id enode.ID, pub *ecdsa.PublicKey) error {
	n.mu.Lock()
	b, ok := n.bad[id]
	n.mu.Unlock()
	if ok && time.Now().Before(b.until) {
		return fmt.Errorf("peer %s is backed off until %s", id.TerminalString(), b.until.Format(time.TimeOnly))
	}
	if n.cfg.Store.Workspace().IsZero() {
		return nil
	}
	addr := crypto.PubkeyToAddress(*pub)
	return n.withState(context.Background(), func(st *domain.State) error {
		if m := st.MemberByKey(addr); m == nil || !m.Active {
			return fmt.Errorf("node %s (%s) is not a member's device", id.TerminalString(), addr.Hex())
		}
		// The roster still names a rotated-out key's member, for display; the
		// key, perhaps on a lost laptop, no longer reads the workspace.
		if r := st.RotatedKey(addr); r != nil {
			return fmt.Errorf("node %s (%s) holds %s's rotated-out key (replaced by %s)", id.TerminalString(), addr.Hex(), r.Member, r.New.Hex())
		}
		// A member removed and added back with a new key is active again; the
		// revoked key (a stolen laptop's) reads nothing more.
		if c, ok := st.Revoked(addr); ok {
			return fmt.Errorf("node %s (%s) holds a key of %s revoked at seq %d (roster proposal %s)", id.TerminalString(), addr.Hex(), st.Handle(addr), c.Seq, c.By.Short())
		}
		return nil
	})
}

// withState runs f on the current folded state; f must not keep it.
func (n *Node) withState(ctx context.Context, f func(*domain.State) error) error {
	if n.cfg.State != nil {
		return n.cfg.State(f)
	}
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	if n.view == nil {
		v, err := n.cfg.Store.NewView(ctx)
		if err != nil {
			return err
		}
		n.view = v
	} else if _, err := n.view.Refresh(ctx); err != nil {
		return err
	}
	return f(n.view.State())
}

func (n *Node) run(p *p2p.Peer, rw p2p.MsgReadWriter) error {
	id, pub := p.ID(), p.Node().Pubkey()
	n.mu.Lock()
	once, oneShot := n.once[id]
	n.mu.Unlock()
	if err := n.admit(id, pub); err != nil {
		n.cfg.Logger.Info("refused peer", "err", err)
		refuse(rw, n.refusal(id))
		if oneShot {
			once.report(result{err: fmt.Errorf("this device refuses %s: %w", n.name(p.Node()), err)})
		}
		return err
	}
	n.mu.Lock()
	ps := &peerState{url: p.Node().URLv4(), since: time.Now(), lastSeen: time.Now()}
	sess := &Session{St: n.cfg.Store, RW: rw, OneShot: oneShot, Want: once.want, asks: make(chan []string, 4),
		Admit:  func() error { return n.admit(id, pub) },
		Behind: func(b int64) { n.mu.Lock(); ps.behind, ps.lastSeen = b, time.Now(); n.mu.Unlock() }}
	ps.sess = sess
	if !oneShot {
		// A one-shot sync pulls what its peer has, whoever else is
		// pulling it: the command waits on that peer alone.
		sess.Claims = &n.claims
	}
	n.sessions[id] = ps
	n.mu.Unlock()
	err := sess.Run(context.Background())
	n.mu.Lock()
	delete(n.sessions, id)
	if errors.Is(err, ErrMisbehaved) {
		b := n.bad[id]
		if b.wait == 0 {
			b.wait = n.cfg.Backoff
		} else {
			b.wait *= 2
		}
		b.until = time.Now().Add(b.wait)
		n.bad[id] = b
	}
	n.mu.Unlock()
	var refused *RefusedError
	if errors.As(err, &refused) {
		refused.Peer, refused.Device = n.name(p.Node()), crypto.PubkeyToAddress(n.cfg.Key.PublicKey)
		if !oneShot { // a one-shot's command reports it
			n.warnRefused(id, err)
		}
	}
	if oneShot {
		once.report(result{sess.Stats, err})
	}
	if err != nil {
		n.cfg.Logger.Info("peer session ended", "peer", logName{n, p.Node()}, "err", err)
	}
	return err
}

// PeerInfo is what the node knows about one connected peer.
type PeerInfo struct {
	Enode    string    `json:"enode"`
	Since    time.Time `json:"since"`
	LastSeen time.Time `json:"last_seen"`
	Behind   int64     `json:"behind"`
}

// Connected lists the peers with a running session.
func (n *Node) Connected() []PeerInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]PeerInfo, 0, len(n.sessions))
	for _, ps := range n.sessions {
		out = append(out, PeerInfo{Enode: ps.url, Since: ps.since, LastSeen: ps.lastSeen, Behind: ps.behind})
	}
	return out
}

// Maintain keeps the dial list in step with the roster's enode hints and
// the peers recorded with peer add, and writes each peer's state to the
// store for peer list and the cockpit, every interval until ctx ends.
//
// Liveness (store.PeerHeartbeat, store.PeerStale): the store's peer rows
// are this node's to keep. On start it clears the connected flags a node
// that died left behind; while running it rewrites the rows whenever they
// change and at least every heartbeat, which is what keeps a connected
// peer reading as connected; when ctx ends it marks every peer
// disconnected, so a clean stop is visible at once rather than after
// PeerStale.
func (n *Node) Maintain(ctx context.Context, interval time.Duration) {
	if _, err := n.cfg.Store.ClearStalePeers(ctx); err != nil {
		n.cfg.Logger.Warn("clear stale peer flags", "err", err)
	}
	t := time.NewTicker(min(interval, store.PeerHeartbeat))
	defer t.Stop()
	var last []store.Peer
	var beat time.Time
	for {
		rows := n.maintain(ctx)
		if !slices.Equal(rows, last) || time.Since(beat) >= store.PeerHeartbeat {
			if err := n.cfg.Store.SeePeers(ctx, rows); err != nil {
				if ctx.Err() == nil {
					n.cfg.Logger.Warn("record peers", "err", err)
				}
			} else {
				last, beat = rows, time.Now()
			}
		}
		select {
		case <-ctx.Done():
			n.leave(last)
			return
		case <-t.C:
		}
	}
}

// leave records that this node no longer speaks for its peers.
func (n *Node) leave(rows []store.Peer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for i := range rows {
		rows[i].Connected, rows[i].Behind = false, 0
	}
	if err := n.cfg.Store.SeePeers(ctx, rows); err != nil {
		n.cfg.Logger.Warn("record peers on stop", "err", err)
	}
}

// maintain adjusts the dial list and returns the rows to record, in a
// stable order so that an unchanged view is seen as unchanged.
func (n *Node) maintain(ctx context.Context) []store.Peer {
	self := n.srv.Self().ID()
	want := map[enode.ID]*enode.Node{}
	if !n.cfg.Store.Workspace().IsZero() {
		err := n.withState(ctx, func(st *domain.State) error {
			for _, m := range st.Members {
				if node, err := enode.ParseV4(m.Enode); err == nil && m.Active && node.ID() != self {
					want[node.ID()] = node
				}
			}
			return nil
		})
		if err != nil {
			n.cfg.Logger.Warn("read the roster for the dial list", "err", err)
		}
	}
	// An address added by hand (peer add) overrides the roster's hint, and
	// of two for one node the newer wins: the node moved.
	peers, _ := n.cfg.Store.Peers(ctx)
	added := map[enode.ID]int64{}
	for _, p := range peers {
		node, err := enode.ParseV4(p.Enode)
		if err != nil || node.ID() == self || node.TCP() == 0 {
			continue // port 0: a peer that dialed in (inboundURL), not one to dial
		}
		if at, seen := added[node.ID()]; !seen || p.Added >= at {
			want[node.ID()], added[node.ID()] = node, p.Added
		}
	}
	n.mu.Lock()
	var drop, add []*enode.Node
	for id, node := range n.dialed {
		if want[id] == nil {
			drop = append(drop, node)
		}
	}
	for id, node := range want {
		if d := n.dialed[id]; d == nil || d.URLv4() != node.URLv4() {
			add = append(add, node) // AddPeer forgets a moved node's old address
		}
	}
	connected := map[enode.ID]peerState{}
	for id, ps := range n.sessions {
		connected[id] = *ps
	}
	// A peer that dialed in and that neither the roster nor peer add
	// gives an address for is still a connected peer: peer list and the
	// cockpit's count show it, under a URL no node dials.
	var inbound []store.Peer
	for id, ps := range n.sessions {
		if want[id] == nil && n.inbound[id] == "" {
			n.inbound[id] = inboundURL(ps.url)
		}
	}
	for id, url := range n.inbound {
		if want[id] != nil || url == "" {
			continue
		}
		sp := store.Peer{Enode: url}
		if ps, ok := connected[id]; ok {
			sp.Connected, sp.Behind = true, ps.behind
		}
		inbound = append(inbound, sp)
	}
	n.mu.Unlock()
	for _, node := range add {
		n.AddPeer(node.URLv4())
	}
	for _, node := range drop {
		n.RemovePeer(node)
	}
	n.redial(want)
	rows := make([]store.Peer, 0, len(want))
	for id, node := range want {
		sp := store.Peer{Enode: node.URLv4()}
		if ps, ok := connected[id]; ok {
			// The store stamps last_seen with its clock: the heartbeat.
			sp.Connected, sp.Behind = true, ps.behind
		}
		rows = append(rows, sp)
	}
	rows = append(rows, inbound...)
	slices.SortFunc(rows, func(a, b store.Peer) int { return strings.Compare(a.Enode, b.Enode) })
	return rows
}

// inboundURL names a peer that dialed in: its key and address with port 0,
// since the port it dialed from is not one it listens on.
func inboundURL(url string) string {
	node, err := enode.ParseV4(url)
	if err != nil {
		return ""
	}
	return enode.NewV4(node.Pubkey(), node.IP(), 0, 0).URLv4()
}

// Fetch asks peers for blobs this store lacks (evidence a command needs
// now): first every connected peer's session, then each of urls that is not
// connected, one round at a time, until every blob is stored or ctx ends.
// It returns the hashes still missing.
func (n *Node) Fetch(ctx context.Context, hashes, urls []string) ([]string, error) {
	missing, err := n.missing(ctx, hashes)
	if err != nil || len(missing) == 0 {
		return missing, err
	}
	n.mu.Lock()
	asked := 0
	connected := map[enode.ID]bool{}
	for id, ps := range n.sessions {
		connected[id] = true
		if ps.sess.Ask(missing) {
			asked++
		}
	}
	n.mu.Unlock()
	if asked > 0 {
		// A connected peer answers within a round trip; give it a moment.
		wait := time.NewTimer(fetchWait)
		defer wait.Stop()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
	poll:
		for {
			select {
			case <-ctx.Done():
				break poll
			case <-wait.C:
				break poll
			case <-tick.C:
				if missing, err = n.missing(ctx, missing); err != nil || len(missing) == 0 {
					return missing, err
				}
			}
		}
	}
	for _, u := range urls {
		if ctx.Err() != nil {
			break
		}
		node, err := enode.ParseV4(u)
		if err != nil || connected[node.ID()] {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, fetchPeerTimeout)
		_, err = n.syncOnce(pctx, u, missing)
		cancel()
		if err != nil {
			n.cfg.Logger.Info("fetch", "peer", logName{n, node}, "err", err)
		}
		if missing, err = n.missing(ctx, missing); err != nil || len(missing) == 0 {
			return missing, err
		}
	}
	return n.missing(ctx, missing)
}

// fetchWait is how long Fetch waits on connected peers before dialing
// others; fetchPeerTimeout bounds one dialed peer (devp2p dials an
// unreachable peer silently, so only a deadline ends the wait).
const (
	fetchWait        = 3 * time.Second
	fetchPeerTimeout = 8 * time.Second
)

func (n *Node) missing(ctx context.Context, hashes []string) ([]string, error) {
	// A local read, answered even once the caller's deadline passed: what
	// arrived before it counts.
	ctx = context.WithoutCancel(ctx)
	var out []string
	for _, h := range hashes {
		ok, err := n.cfg.Store.HasBlob(ctx, h)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, h)
		}
	}
	return out, nil
}
