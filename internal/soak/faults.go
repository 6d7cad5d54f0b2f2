package soak

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/store"
	"golang.org/x/sys/unix"
)

// plan is the fault schedule one seed draws. Times are fractions of the
// run, so a short run meets every fault a long one does.
type plan struct {
	skewed     int     // runs 10 minutes ahead for the whole run
	part2      [][]int // two groups, from 8% to 28% of the run
	rosterBy   int     // proposes a new member at 18%
	killWrite  int     // killed during one of its writes at 32%
	killDelay  time.Duration
	part3      [][]int // three groups, from 40% to 60%
	removed    int     // its writer stops at 62%, its member removed at 66%
	removedBy  int
	diskFull   int // writes fail from 72% to 86%
	killImport int // chosen at the end of part3: a node of its smallest group
	bulkAt     int // a node of part3's largest group: the archivist's bulk is imported there
}

func draw(seed int64, nodes int) plan {
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	perm := rng.Perm(nodes)
	p := plan{
		removed:   perm[0],
		killWrite: perm[1],
		diskFull:  perm[2],
		removedBy: perm[3],
		skewed:    rng.IntN(nodes),
		rosterBy:  rng.IntN(nodes),
		killDelay: time.Duration(rng.IntN(2000)) * time.Microsecond,
	}
	p.part2 = groups(rng, nodes, 2)
	p.part3 = groups(rng, nodes, 3)
	// The smallest group of the three-way split falls furthest behind: the
	// catch-up it runs when the partition ends is the import to kill. Not
	// the node being removed, nor the one proposing that (its node signs the
	// proposal about when the kill lands), nor the one whose disk fills next.
	bySize := slices.Clone(p.part3)
	slices.SortStableFunc(bySize, func(a, b []int) int { return len(a) - len(b) })
	p.killImport = -1
	for _, g := range bySize {
		for _, i := range g {
			if p.killImport < 0 && i != p.removed && i != p.removedBy && i != p.diskFull {
				p.killImport = i
			}
		}
	}
	// The bulk goes to the largest other group, so the node to kill has all
	// of it to pull.
	for _, g := range bySize {
		if !slices.Contains(g, p.killImport) {
			p.bulkAt = g[0]
		}
	}
	return p
}

// groups deals the nodes into k non-empty groups at random.
func groups(rng *rand.Rand, nodes, k int) [][]int {
	perm := rng.Perm(nodes)
	out := make([][]int, k)
	for j, i := range perm {
		out[j%k] = append(out[j%k], i)
	}
	for _, g := range out {
		slices.Sort(g)
	}
	return out
}

// partition cuts every link between nodes of different groups; nil heals.
func (r *run) partition(gs [][]int) {
	group := map[int]int{}
	for g, ns := range gs {
		for _, i := range ns {
			group[i] = g
		}
	}
	for from, ls := range r.links {
		for to, l := range ls {
			if l != nil {
				l.setCut(gs != nil && group[from] != group[to])
			}
		}
	}
	if gs != nil {
		r.mu.Lock()
		r.parts++
		r.cutAt = time.Now()
		r.mu.Unlock()
		r.logf("partition into %v", gs)
	}
}

// killDuringWrite starts a write on node i and kills its serve while a
// write is in flight through it: when its agent logs a signature (inside
// the append's transaction), after delay. Then it restarts the node on the
// same home. The write may or may not be acknowledged; either is fine, as
// long as an acknowledged one is never lost and nothing is signed twice.
func (r *run) killDuringWrite(ctx context.Context, i int, delay time.Duration) {
	n := r.nodes[i]
	select {
	case <-n.signed: // an older signature: not the write to kill
	default:
	}
	res := make(chan struct{})
	go func() {
		defer close(res)
		started := time.Now()
		out, err := r.cli.run(ctx, n.env, n.home, "note", r.incident, "written while the node is killed")
		if err != nil {
			r.mu.Lock()
			r.failed++
			r.mu.Unlock()
			r.logf("%s: note during kill refused: %s", n.handle, lastLines(err.Error(), 1))
			return
		}
		r.ack(write{node: i, op: "note during kill", event: out, started: started})
	}()
	select {
	case <-n.signed:
	case <-time.After(30 * time.Second):
		r.logf("%s: no signature seen within 30s; killing anyway", n.handle)
	}
	time.Sleep(delay)
	r.kill(n, "during a write")
	<-res
	r.restart(ctx, n, 1500*time.Millisecond)
}

// killDuringImport kills node i while it pulls what the others wrote
// during the partition: once part of the archivist's bulk chain is stored
// there and the rest is still to come (another Events message, another
// round). Without a bulk to watch (its import failed or came late), as
// soon as the node's store grows.
func (r *run) killDuringImport(ctx context.Context, s *spread, i, bulkAt int, before int64) {
	n := r.nodes[i]
	author := common.HexToAddress(r.archivist.addr)
	from, to := s.seqOf(ctx, i, author), s.seqOf(ctx, bulkAt, author)
	deadline := time.Now().Add(45 * time.Second) // devp2p redials a failed peer after 35 s
	why := "with no import seen within 45s"
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if to > from {
			seq := s.seqOf(ctx, i, author)
			if seq > from && seq < to {
				why = fmt.Sprintf("mid-import: %d of the %d bulk events it lacked are stored, the rest in flight", seq-from, to-from)
				r.mu.Lock()
				r.midImport++
				r.mu.Unlock()
				break
			}
			if seq >= to {
				why = fmt.Sprintf("after its import: the %d bulk events it lacked landed between two looks", to-from)
				break
			}
		} else if c := s.count(ctx, i); c > before {
			why = fmt.Sprintf("during an import (its store went from %d to %d events)", before, c)
			break
		}
		time.Sleep(time.Millisecond)
	}
	r.kill(n, why)
	r.restart(ctx, n, time.Second)
}

func (r *run) kill(n *node, why string) {
	n.kill()
	r.mu.Lock()
	r.kills++
	r.mu.Unlock()
	r.logf("kill -9 %s %s", n.handle, why)
}

func (r *run) restart(ctx context.Context, n *node, after time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(after):
	}
	if err := n.start(r.cli); err != nil {
		r.problem("%s: restart after kill: %v", n.handle, err)
		return
	}
	r.healed("restart of " + n.handle)
}

// diskFull lowers the file size limit of node i's serve to nothing, so
// every write to its files fails with EFBIG (Go ignores SIGXFSZ) as on a
// full disk, for d; then gives the space back and checks that the node
// writes again.
func (r *run) diskFull(ctx context.Context, i int, d time.Duration) {
	n := r.nodes[i]
	pid := n.pid()
	for deadline := time.Now().Add(30 * time.Second); pid == 0 && time.Now().Before(deadline); pid = n.pid() {
		time.Sleep(100 * time.Millisecond) // being restarted after a kill
	}
	if pid == 0 {
		r.problem("%s: not running when its disk was to fill", n.handle)
		return
	}
	// The soft limit only: lowering the hard one could not be undone
	// without privileges.
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		r.problem("%s: prlimit: %v", n.handle, err)
		return
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: old.Max}, nil); err != nil {
		r.problem("%s: prlimit: %v", n.handle, err)
		return
	}
	r.logf("disk full on %s", n.handle)
	started := time.Now()
	out, err := r.cli.run(ctx, n.env, n.home, "note", r.incident, "written on a full disk")
	if err == nil {
		r.problem("%s: a write on a full disk was acknowledged (%s)", n.handle, out)
		r.ack(write{node: i, op: "note on a full disk", event: out, started: started})
	} else {
		r.logf("%s: write on a full disk refused: %s", n.handle, lastLines(err.Error(), 1))
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	if n.pid() != pid {
		r.problem("%s: serve died on a full disk: %s", n.handle, lastLines(n.log.String(), 5))
		if err := n.start(r.cli); err != nil {
			r.problem("%s: restart: %v", n.handle, err)
		}
	} else if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
		r.problem("%s: prlimit back: %v", n.handle, err)
	}
	r.healed("space back on " + n.handle)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		started := time.Now()
		out, err := r.cli.run(ctx, n.env, n.home, "note", r.incident, "written once space is back")
		if err == nil {
			r.ack(write{node: i, op: "note after disk full", event: out, started: started})
			r.logf("%s writes again", n.handle)
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.problem("%s: no write succeeded within 30s of space coming back: %v", n.handle, err)
			return
		}
	}
}

// rosterChange proposes a member on one node and approves it on the
// others in turn until the approval is accepted (the proposal must have
// reached the approver; retried for at most a minute).
func (r *run) rosterChange(ctx context.Context, by, skip int, args []string, what string) bool {
	n := r.nodes[by]
	started := time.Now()
	prop, err := r.cli.run(ctx, n.env, n.home, args...)
	if err != nil {
		r.problem("%s: propose %s: %v", n.handle, what, err)
		return false
	}
	r.ack(write{node: by, op: "propose " + what, event: prop, started: started})
	// A minute: the proposer may have just come out of a partition, and
	// devp2p redials a peer at most every 35 s.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		for _, a := range r.members() {
			if a.i == by || a.i == skip {
				continue
			}
			started := time.Now()
			out, err := r.cli.run(ctx, a.env, a.home, "member", "approve", prop)
			if err == nil {
				r.ack(write{node: a.i, op: "approve " + what, event: out, started: started})
				r.logf("%s applied: proposed by %s, approved by %s", what, n.handle, a.handle)
				return true
			}
		}
	}
	r.problem("%s proposed by %s: nobody could approve it within a minute", what, n.handle)
	return false
}

// sendJunk connects to node i's real listen address and sends junk bytes:
// what a port scanner or a broken client sends.
func (r *run) sendJunk(rng *rand.Rand, i int) {
	n := r.nodes[i]
	c, err := net.DialTimeout("tcp", n.addrPort(), 2*time.Second)
	if err != nil {
		return // down right now (killed): nothing to send to
	}
	defer c.Close()
	junk := make([]byte, 1+rng.IntN(8192))
	for k := range junk {
		junk[k] = byte(rng.UintN(256))
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write(junk)
	r.mu.Lock()
	r.garbage++
	r.mu.Unlock()
}

// mallorySession dials node i as mallory, a member whose key the harness
// holds, and sends a tminus message of junk: the node must drop the
// session (and back mallory off) and carry on.
type malloryPeer struct {
	srv   *p2p.Server
	ended chan struct{}
	rng   *rand.Rand
}

func (r *run) startMallory() (*malloryPeer, error) {
	key, err := store.UnlockKey(filepath.Join(r.mallory.home, "key.json"), []byte(passphrase))
	if err != nil {
		return nil, err
	}
	m := &malloryPeer{ended: make(chan struct{}, 16), rng: r.rng(7)}
	m.srv = &p2p.Server{Config: p2p.Config{
		PrivateKey:  key,
		MaxPeers:    4,
		NoDiscovery: true,
		Name:        "mallory",
		Logger:      log.NewLogger(slog.DiscardHandler),
		Protocols: []p2p.Protocol{{Name: "tminus", Version: 1, Length: 7, Run: func(p *p2p.Peer, rw p2p.MsgReadWriter) error {
			defer func() { m.ended <- struct{}{} }()
			junk := make([]byte, 1+m.rng.IntN(4096))
			for k := range junk {
				junk[k] = byte(m.rng.UintN(256))
			}
			code := m.rng.Uint64N(7)
			if err := rw.WriteMsg(p2p.Msg{Code: code, Size: uint32(len(junk)), Payload: bytes.NewReader(junk)}); err != nil {
				return err
			}
			for {
				msg, err := rw.ReadMsg()
				if err != nil {
					return err // the node dropped us: what it must do
				}
				msg.Discard()
			}
		}}},
	}}
	if err := m.srv.Start(); err != nil {
		return nil, err
	}
	return m, nil
}

func (r *run) mallorySession(m *malloryPeer, i int) {
	n := r.nodes[i]
	target, err := enode.ParseV4(fmt.Sprintf("enode://%s@%s", n.id, n.addrPort()))
	if err != nil {
		r.problem("mallory: %v", err)
		return
	}
	m.srv.AddPeer(target)
	defer m.srv.RemovePeer(target)
	select {
	case <-m.ended:
		r.mu.Lock()
		r.garbage++
		r.mu.Unlock()
	case <-time.After(10 * time.Second):
		// Not admitted (backed off from an earlier session, or down): the
		// node never ran the protocol, which is also fine.
	}
}
