package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config is one soak run.
type Config struct {
	Nodes    int           // member nodes running `tminus serve` (at least 4)
	Duration time.Duration // writers and faults run this long
	Seed     int64         // draws the fault schedule, the writers' choices and the groups
	// Settle bounds the wait, once every fault healed, for the nodes to
	// agree (default 2 minutes).
	Settle time.Duration
	// WriteEvery is the mean pause of one node's writer between writes
	// (default Nodes × 125 ms: about 8 writes a second in all, which two
	// cores absorb beside the nodes).
	WriteEvery time.Duration
	Bin        string    // a built tminus binary; empty builds one
	Dir        string    // work directory, kept; empty uses a temporary one, removed
	Log        io.Writer // progress and problems; nil discards
}

// Result is the run's one JSON line. converge_ms: for each heal (a
// partition's end, a killed node's restart, the disk's space returned, and
// the end of the run), the time until every member's node holds every write
// acknowledged anywhere before that heal (for the end of the run: until
// every state hash agrees).
type Result struct {
	Nodes       int     `json:"nodes"`
	Seconds     float64 `json:"seconds"`
	Seed        int64   `json:"seed"`
	Events      int     `json:"events"`
	WritesAcked int     `json:"writes_acked"`
	WritesLost  int     `json:"writes_lost"`
	Partitions  int     `json:"partitions"`
	Kills       int     `json:"kills"`
	// KillsMidImport counts kills that caught a node with part of the
	// bulk chain stored and the rest still in flight (bulk.go).
	KillsMidImport int     `json:"kills_mid_import"`
	ConvergeP50    int64   `json:"converge_ms_p50"`
	ConvergeP99    int64   `json:"converge_ms_p99"`
	MaxRSSMiB      float64 `json:"max_rss_mib"`
	WritesFailed   int     `json:"writes_failed"` // refused during a fault: not acknowledged, not lost
	Garbage        int     `json:"garbage"`       // junk connections and junk sessions sent
	// Problems says which node differs and why; empty on success.
	Problems []string `json:"problems,omitempty"`
}

// JSON is the result as one line.
func (r Result) JSON() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// run is one soak in progress.
type run struct {
	cfg   Config
	cli   cli
	dir   string
	log   io.Writer
	logMu sync.Mutex
	nodes []*node
	links [][]*link // links[from][to]
	// spare homes: a member added mid-run, the member whose key the
	// harness uses to send garbage sessions, and the member whose long
	// chain it imports mid-run (bulk.go)
	newbie, mallory, archivist *node
	bulkFile, bulkHead         string        // the archivist's bundle and its chain's last event
	bulkDone                   chan struct{} // closed when bulk returns, imported or not
	incident                   string
	plan                       plan
	start                      time.Time

	mu        sync.Mutex
	acked     []write
	failed    int
	parts     int
	cutAt     time.Time // when the current partition began
	kills     int
	midImport int // kills while part of a bulk chain was stored and the rest in flight
	garbage   int
	problems  []string
	heals     []*heal
	tasks     []string // acknowledged task ids, for task done
	alerts    []string // acknowledged alert ids, for acks
}

// write is one acknowledged write: the CLI exited 0 and printed its event.
type write struct {
	node  int
	op    string
	event string
	// started is when the command began: an event committed and sent just
	// before a cut may be acknowledged just after it.
	started time.Time
}

func (r *run) logf(format string, a ...any) {
	r.logMu.Lock() // the log may be a bytes.Buffer (the test's)
	defer r.logMu.Unlock()
	fmt.Fprintf(r.log, "soak %6.1fs "+format+"\n", append([]any{time.Since(r.start).Seconds()}, a...)...)
}

func (r *run) problem(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.mu.Lock()
	r.problems = append(r.problems, msg)
	r.mu.Unlock()
	r.logf("PROBLEM %s", msg)
}

// Run runs one soak and returns its result; the error is nil only when no
// write was lost and every member's node agrees.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Nodes < 4 {
		return Result{}, fmt.Errorf("soak: %d nodes; at least 4 (three partition groups and a member removed)", cfg.Nodes)
	}
	if cfg.Duration <= 0 {
		return Result{}, fmt.Errorf("soak: duration %s; want more than 0", cfg.Duration)
	}
	if cfg.Settle == 0 {
		cfg.Settle = 2 * time.Minute
	}
	if cfg.WriteEvery == 0 {
		cfg.WriteEvery = time.Duration(cfg.Nodes) * 125 * time.Millisecond
	}
	r := &run{cfg: cfg, log: cfg.Log, start: time.Now(), plan: draw(cfg.Seed, cfg.Nodes), bulkDone: make(chan struct{})}
	if r.log == nil {
		r.log = io.Discard
	}
	r.dir = cfg.Dir
	if r.dir != "" {
		if err := os.MkdirAll(r.dir, 0o700); err != nil {
			return Result{}, err
		}
	} else {
		dir, err := os.MkdirTemp("", "tminus-soak-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
		r.dir = dir
	}
	r.cli.bin = cfg.Bin
	if r.cli.bin == "" {
		bin, err := Build(ctx, r.dir)
		if err != nil {
			return Result{}, err
		}
		r.cli.bin = bin
	}
	defer r.teardown()
	if err := r.setup(ctx); err != nil {
		return Result{}, fmt.Errorf("soak setup: %w", err)
	}
	r.logf("setup done: %d nodes, seed %d", cfg.Nodes, cfg.Seed)
	r.start = time.Now()
	res := r.soak(ctx)
	if len(res.Problems) > 0 || res.WritesLost > 0 {
		first := "none"
		if len(res.Problems) > 0 {
			first = res.Problems[0]
		}
		return res, fmt.Errorf("soak seed %d: %d write(s) lost, %d problem(s), first: %s", cfg.Seed, res.WritesLost, len(res.Problems), first)
	}
	return res, nil
}

// env is the environment of every tminus process of a node: the caller's,
// without its TMINUS_ settings, with the soak's passphrase.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMINUS_") {
			env = append(env, kv)
		}
	}
	return append(env, "TMINUS_PASSPHRASE="+passphrase)
}

// setup makes the workspace on n0 (roster quorum 2), the members' keys,
// the roster by proposals and approvals carried in bundles, one incident,
// and then the links and the nodes.
func (r *run) setup(ctx context.Context) error {
	env := baseEnv()
	mk := func(i int, handle string) *node {
		return &node{i: i, handle: handle, home: filepath.Join(r.dir, handle), env: slices.Clone(env), signed: make(chan struct{}, 1)}
	}
	for i := range r.cfg.Nodes {
		r.nodes = append(r.nodes, mk(i, fmt.Sprintf("n%d", i)))
	}
	// One node signs and judges skew 10 minutes ahead, every process of it.
	sk := r.nodes[r.plan.skewed]
	sk.env = append(sk.env, "TMINUS_CLOCK_SKEW=10m")
	r.newbie, r.mallory, r.archivist = mk(-1, "newbie"), mk(-2, "mallory"), mk(-3, "archivist")
	n0 := r.nodes[0]
	out, err := r.cli.run(ctx, n0.env, n0.home, "init", "--name", "soak", "--handle", n0.handle, "--roster-quorum", "2", "--light-kdf", "--json")
	if err != nil {
		return err
	}
	if _, n0.id, err = parseIdentity(out); err != nil {
		return err
	}
	id0, _, _ := parseIdentity(out)
	n0.addr = id0.Address
	for _, n := range append(slices.Clone(r.nodes[1:]), r.newbie, r.mallory, r.archivist) {
		out, err := r.cli.run(ctx, n.env, n.home, "join", "--handle", n.handle, "--light-kdf", "--json")
		if err != nil {
			return err
		}
		id, key, err := parseIdentity(out)
		if err != nil {
			return err
		}
		n.addr, n.id = id.Address, key
	}
	// n1 joins with the founder alone (quorum 1 of 1); every later member
	// needs n1's approval too (quorum 2).
	add := func(n *node, roles string) (string, error) {
		return r.cli.run(ctx, n0.env, n0.home, "member", "add", n.addr, "--handle", n.handle, "--role", roles)
	}
	if _, err := add(r.nodes[1], "reporter,triage"); err != nil {
		return err
	}
	// Every later member is proposed by n0 and approved by n1.
	later := append(slices.Clone(r.nodes[2:]), r.mallory, r.archivist)
	var proposals []string
	for _, n := range later {
		p, err := add(n, "reporter,triage")
		if err != nil {
			return err
		}
		proposals = append(proposals, p)
	}
	if r.incident, err = r.cli.run(ctx, n0.env, n0.home, "incident", "declare", "--title", "Soak: bridge drained", "--severity", "P2"); err != nil {
		return err
	}
	n1 := r.nodes[1]
	bundle := func(from, to *node) error {
		f := filepath.Join(r.dir, "bundle-"+from.handle+".jsonl")
		if _, err := r.cli.run(ctx, from.env, from.home, "bundle", "export", f); err != nil {
			return err
		}
		_, err := r.cli.run(ctx, to.env, to.home, "bundle", "import", f)
		return err
	}
	if err := bundle(n0, n1); err != nil {
		return err
	}
	for _, p := range proposals {
		if _, err := r.cli.run(ctx, n1.env, n1.home, "member", "approve", p); err != nil {
			return err
		}
	}
	if err := bundle(n1, n0); err != nil {
		return err
	}
	for _, n := range later {
		if err := bundle(n0, n); err != nil {
			return err
		}
	}
	var members []struct{ Handle string }
	out, err = r.cli.run(ctx, n0.env, n0.home, "member", "list", "--json")
	if err == nil {
		err = json.Unmarshal([]byte(out), &members)
	}
	if err != nil {
		return err
	}
	if len(members) != r.cfg.Nodes+2 {
		return fmt.Errorf("roster has %d members after setup, want %d: %s", len(members), r.cfg.Nodes+2, out)
	}
	t0 := time.Now()
	if err := r.prepareBulk(ctx); err != nil {
		return err
	}
	r.logf("bulk: %d notes signed and exported in %v", bulkNotes, time.Since(t0).Round(time.Millisecond))
	return r.wire(ctx)
}

// wire gives every node a fixed listen address and a link to every other
// node, records each link as that peer's address (peer add overrides the
// roster's hint, and devp2p discovery is off, so nodes know each other
// only through links), and starts the nodes.
func (r *run) wire(ctx context.Context) error {
	ports := r.rng(5)
	for _, n := range r.nodes {
		addr, err := freePort(ports)
		if err != nil {
			return err
		}
		n.listen.Store(&addr)
	}
	for _, n := range r.nodes {
		n.moved = func(addr, why string) {
			r.logf("%s: port %s still taken after a restart, moving to %s (%s)", n.handle, n.addrPort(), addr, why)
			for _, ls := range r.links {
				if l := ls[n.i]; l != nil {
					l.retarget(addr)
				}
			}
		}
	}
	r.links = make([][]*link, len(r.nodes))
	for _, from := range r.nodes {
		r.links[from.i] = make([]*link, len(r.nodes))
		for _, to := range r.nodes {
			if from == to {
				continue
			}
			l, err := newLink(from.i, to.i, to.addrPort())
			if err != nil {
				return err
			}
			r.links[from.i][to.i] = l
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(r.nodes))
	sem := make(chan struct{}, 2)
	for _, from := range r.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, to := range r.nodes {
				if l := r.links[from.i][to.i]; l != nil {
					if _, err := r.cli.run(ctx, from.env, from.home, "peer", "add", "enode://"+to.id+"@"+l.addr()); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	for _, n := range r.nodes {
		if err := n.start(r.cli); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) teardown() {
	for _, n := range r.nodes {
		n.kill()
	}
	for _, ls := range r.links {
		for _, l := range ls {
			if l != nil {
				l.close()
			}
		}
	}
}

// rng derives an independent generator from the seed for one purpose.
func (r *run) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(r.cfg.Seed), stream))
}

// members are the nodes whose member was not removed.
func (r *run) members() []*node {
	var out []*node
	for _, n := range r.nodes {
		n.mu.Lock()
		removed := n.removed
		n.mu.Unlock()
		if !removed {
			out = append(out, n)
		}
	}
	return out
}
