package domaintest

import (
	"crypto/ecdsa"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
)

// Key returns the i-th test key of a seed. Keys are derived, not random,
// so a seed names one history: same ids, same signatures, every run.
func Key(seed int64, i int) *ecdsa.PrivateKey {
	for ctr := 0; ; ctr++ {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("tminus/test-key/%d/%d/%d", seed, i, ctr))))
		if err == nil {
			return k
		}
	}
}

// Signer is Key as a domain.Signer.
func Signer(seed int64, i int) domain.KeySigner { return domain.KeySigner{Key: Key(seed, i)} }

// Raws returns the signed bytes of events, in the same order.
func Raws(events []*domain.Event) [][]byte {
	out := make([][]byte, len(events))
	for i, e := range events {
		out[i] = e.Raw
	}
	return out
}

// Node is one device key with its replica of the event set. It writes the
// next event of its chain with the seq, prev, deps and lamport that the
// store's Append gives (deps: the other authors' heads it has not yet
// referenced, newest first, at most domain.MaxDeps) and learns other
// nodes' events with Receive.
type Node struct {
	Signer domain.KeySigner
	WS     domain.ID

	seq     uint64
	prev    domain.ID
	lamport uint64

	known  map[domain.ID]*domain.Event
	events []*domain.Event // known, in arrival order (a causal order)
	heads  map[common.Address]*domain.Event
	refs   map[common.Address]uint64
}

func NewNode(s domain.KeySigner) *Node {
	return &Node{Signer: s, known: map[domain.ID]*domain.Event{},
		heads: map[common.Address]*domain.Event{}, refs: map[common.Address]uint64{}}
}

func (n *Node) Address() common.Address { return n.Signer.Address() }

// Events returns the events this node holds, in arrival order.
func (n *Node) Events() []*domain.Event { return n.events }

// Knows reports whether the node holds an event.
func (n *Node) Knows(id domain.ID) bool { _, ok := n.known[id]; return ok }

// Seq is the seq of the node's newest own event.
func (n *Node) Seq() uint64 { return n.seq }

// Receive records an event. Events must arrive in a causal order (every
// prev and dep before the events naming them), as a sync delivers them.
func (n *Node) Receive(e *domain.Event) {
	if _, ok := n.known[e.ID]; ok {
		return
	}
	n.known[e.ID] = e
	n.events = append(n.events, e)
	if h, ok := n.heads[e.Author]; !ok || e.Seq > h.Seq {
		n.heads[e.Author] = e
	}
	if e.Kind == domain.KindGenesis && n.WS.IsZero() {
		n.WS = e.ID
	}
}

// Pull gives n every event from that it lacks, in from's arrival order.
func (n *Node) Pull(from *Node) {
	for _, e := range from.events {
		n.Receive(e)
	}
}

// Next is the header of the node's next event of kind at time t (unix
// ms), as Append would build it; Seal fills in V, Author and BodyHash.
func (n *Node) Next(kind string, t int64) (domain.Header, []*domain.Event) {
	h := domain.Header{WS: n.WS, Seq: n.seq + 1, Prev: n.prev, Lamport: n.lamport + 1, Time: uint64(t), Kind: kind}
	if kind == domain.KindGenesis {
		h.WS = domain.ZeroID
	}
	me := n.Address()
	var deps []*domain.Event
	for a, e := range n.heads {
		if a != me && e.Seq > n.refs[a] {
			deps = append(deps, e)
		}
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].Lamport != deps[j].Lamport {
			return deps[i].Lamport > deps[j].Lamport
		}
		return string(deps[i].ID[:]) < string(deps[j].ID[:])
	})
	if len(deps) > domain.MaxDeps {
		deps = deps[:domain.MaxDeps]
	}
	for _, d := range deps {
		h.Deps = append(h.Deps, d.ID)
		if d.Lamport+1 > h.Lamport {
			h.Lamport = d.Lamport + 1
		}
	}
	return h, deps
}

// commit makes e the node's newest event and marks its deps referenced.
func (n *Node) commit(e *domain.Event, deps []*domain.Event) {
	n.seq, n.prev, n.lamport = e.Seq, e.ID, e.Lamport
	for _, d := range deps {
		n.refs[d.Author] = d.Seq
	}
	n.Receive(e)
}

// Write signs body as the node's next event at time t and keeps it.
func (n *Node) Write(b domain.Body, t int64) (*domain.Event, error) {
	data, err := domain.EncodeBody(b)
	if err != nil {
		return nil, err
	}
	h, deps := n.Next(b.Kind(), t)
	e, err := domain.Seal(h, data, n.Signer)
	if err != nil {
		return nil, err
	}
	n.commit(e, deps)
	return e, nil
}

// Equivocate signs a second event for the same (author, seq) as e, one of
// n's own events, with another body: the proof of an equivocation. The
// node's own chain does not change.
func (n *Node) Equivocate(e *domain.Event, b domain.Body) (*domain.Event, error) {
	data, err := domain.EncodeBody(b)
	if err != nil {
		return nil, err
	}
	h := e.Header
	h.Kind = b.Kind()
	h.Time++
	return domain.Seal(h, data, n.Signer)
}

// plan commits the node's next event without signing it: the id covers
// the header only, so a long history can be planned in order and signed
// in parallel afterwards (see Seal).
func (n *Node) plan(b domain.Body, t int64) (*planned, error) {
	data, err := domain.EncodeBody(b)
	if err != nil {
		return nil, err
	}
	h, deps := n.Next(b.Kind(), t)
	h.V = domain.Format
	h.Author = n.Address()
	h.BodyHash = crypto.Keccak256Hash(data)
	hdr, err := rlp.EncodeToBytes(&h)
	if err != nil {
		return nil, err
	}
	e := &domain.Event{Header: h, ID: domain.ID(crypto.Keccak256Hash(hdr)), Body: data}
	n.commit(e, deps)
	return &planned{e: e, signer: n.Signer}, nil
}

type planned struct {
	e      *domain.Event
	signer domain.KeySigner
}

// sealAll signs planned events on all cores and checks each id is the
// planned one.
func sealAll(ps []*planned) ([]*domain.Event, error) {
	out := make([]*domain.Event, len(ps))
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(ps); i += len(errs) {
				p := ps[i]
				e, err := domain.Seal(p.e.Header, p.e.Body, p.signer)
				if err == nil && e.ID != p.e.ID {
					err = fmt.Errorf("event %d: sealed id %s, planned %s", i, e.ID.Short(), p.e.ID.Short())
				}
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = e
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Team is a workspace whose nodes all see every event as soon as it is
// written: one causal line, for tests of the fold's rules. Node i signs
// with Key(seed, i); the test decides who is a member of what.
type Team struct {
	Seed   int64
	Nodes  []*Node
	Events []*domain.Event
	Clock  int64 // unix ms of the next event; each Do advances it by a second
}

// Epoch is where test clocks start: 2023-11-14T22:13:20Z.
const Epoch = int64(1_700_000_000_000)

func NewTeam(seed int64, nodes int) *Team {
	t := &Team{Seed: seed, Clock: Epoch}
	for i := 0; i < nodes; i++ {
		t.Nodes = append(t.Nodes, NewNode(Signer(seed, i)))
	}
	return t
}

// Addr is node i's address.
func (t *Team) Addr(i int) common.Address { return t.Nodes[i].Address() }

// Do writes b as node i's next event after it has seen every event so far.
func (t *Team) Do(i int, b domain.Body) (*domain.Event, error) {
	n := t.Nodes[i]
	for _, e := range t.Events {
		n.Receive(e)
	}
	e, err := n.Write(b, t.Clock)
	if err != nil {
		return nil, err
	}
	t.Clock += 1000
	t.Events = append(t.Events, e)
	return e, nil
}

// Fold folds every event of the team.
func (t *Team) Fold(forks map[common.Address]uint64) *domain.State {
	return domain.Fold(t.Events, forks)
}

// RecoverRate is the benchmarks' yardstick: Ecrecover calls per second,
// on procs goroutines at once, the best of runs runs of 2,000 calls per
// goroutine. A slow sample (something else on the core) would flatter a
// ratio it divides, hence the best.
func RecoverRate(procs, runs int) float64 {
	k := Key(1, 0)
	digest := domain.SigningHash(domain.ID{1})
	sig, err := crypto.Sign(digest, k)
	if err != nil {
		panic(err) // a fixed key signing a fixed digest
	}
	const n = 2000
	best := 0.0
	for range runs {
		var wg sync.WaitGroup
		t0 := time.Now()
		for range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n; i++ {
					crypto.Ecrecover(digest, sig)
				}
			}()
		}
		wg.Wait()
		best = max(best, float64(n*procs)/time.Since(t0).Seconds())
	}
	return best
}

// CPUTime is the CPU this process has used (user and system): what an
// import costs whatever else shares the machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
