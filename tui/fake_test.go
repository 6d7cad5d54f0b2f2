package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
)

// fake is an in-memory Backend: events are signed with fixed keys and folded with the
// real domain fold, so authorization and rejections behave as with a store. Do queues
// the event and Refresh folds it, as the store-backed backend does, so the cockpit sees
// its own writes only through Refresh. It keeps every folded event, in fold order, and
// describes timelines from them with the state, as the store does from its index.
type fake struct {
	t       testing.TB
	mu      sync.Mutex
	st      *domain.State
	pending []*domain.Event
	events  []*domain.Event // folded, in fold order
	me      string
	keys    map[string]domain.KeySigner
	seq     map[common.Address]uint64
	prev    map[common.Address]domain.ID
	lamport uint64
	ws      domain.ID
	clock   time.Time

	online, total int
	synced        bool
	runbooks      []RunbookLine
	problems      []string      // RunbookProblems: runbook files left out
	fail          error         // Do returns it when set
	doHold        chan struct{} // when set, Do waits for it to close: a store busy with another writer
	timelineErr   error         // Timeline returns it when set
	firingsErr    error         // Firings returns it when set
	refreshes     int
	timelines     int // Timeline calls

	// Runbook execution: what Exec reports, and the proposals it ran.
	execExit int
	execErr  error
	execHold chan struct{} // when set, Exec waits for it to close: a command still running
	ran      []domain.ID

	// Blobs by sha256, as the store keeps them; Exec stores its output here.
	blobs    map[string][]byte
	blobHold chan struct{} // when set, Blob waits for it to close: a slow read
	blobErr  error         // Blob returns it when set
	blobRead []string      // the hashes Blob was asked for
}

func newFake(t testing.TB, now time.Time) *fake {
	return &fake{t: t, st: domain.NewState(), me: "alice", keys: map[string]domain.KeySigner{},
		seq: map[common.Address]uint64{}, prev: map[common.Address]domain.ID{}, clock: now, blobs: map[string][]byte{}}
}

// now is the test's one clock; advance moves it.
func (f *fake) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *fake) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

func (f *fake) signer(handle string) domain.KeySigner {
	if s, ok := f.keys[handle]; ok {
		return s
	}
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("tminus/tui-test/" + handle)))
	if err != nil {
		f.t.Fatal(err)
	}
	s := domain.KeySigner{Key: k}
	f.keys[handle] = s
	return s
}

func (f *fake) addr(handle string) common.Address { return f.signer(handle).Address() }

// seal signs body as handle at time at.
func (f *fake) seal(handle string, body domain.Body, at time.Time) *domain.Event {
	f.t.Helper()
	s := f.signer(handle)
	data, err := domain.EncodeBody(body)
	if err != nil {
		f.t.Fatalf("%s: %v", body.Kind(), err)
	}
	a := s.Address()
	f.lamport++
	h := domain.Header{WS: f.ws, Seq: f.seq[a] + 1, Prev: f.prev[a], Lamport: f.lamport, Time: uint64(at.UnixMilli()), Kind: body.Kind()}
	e, err := domain.Seal(h, data, s)
	if err != nil {
		f.t.Fatal(err)
	}
	f.seq[a], f.prev[a] = h.Seq, e.ID
	if body.Kind() == domain.KindGenesis {
		f.ws = e.ID
	}
	return e
}

// apply signs and folds at once: setting the scene before the cockpit starts.
func (f *fake) apply(handle string, body domain.Body, at time.Time) domain.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.seal(handle, body, at)
	f.fold(e)
	return e.ID
}

// fold applies e and keeps it. The fold takes events in Key order only (a store
// re-folds otherwise); an event queued by external and not yet refreshed would come
// after a later one applied at once, so the fake refuses that order out loud.
func (f *fake) fold(e *domain.Event) {
	if n := len(f.events); n > 0 && !f.events[n-1].Key().Less(e.Key()) {
		f.t.Errorf("fake: %s folded after a later event (apply while events are pending a Refresh)", e.Kind)
	}
	f.st.Apply(e)
	f.events = append(f.events, e)
	// A revocation's cuts void events wherever they sort, so the store folds again when
	// the cuts in force move (store.View.Refresh); the fake does the same.
	if domain.IsIdentityKind(e.Kind) {
		if cuts := domain.DecideCuts(f.events, f.st.Forked); !maps.Equal(cuts, f.st.Cuts) {
			f.st = domain.Fold(f.events, f.st.Forked)
		}
	}
}

// external appends as another process or peer would: visible after the next Refresh.
func (f *fake) external(handle string, body domain.Body, at time.Time) domain.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.seal(handle, body, at)
	f.pending = append(f.pending, e)
	return e.ID
}

func (f *fake) State() *domain.State { return f.st }
func (f *fake) Me() string           { return f.me }
func (f *fake) Key() common.Address  { return f.addr(f.me) }
func (f *fake) Workspace() string    { return f.st.Name }
func (f *fake) Peers() (int, int, bool) {
	return f.online, f.total, f.synced
}
func (f *fake) Runbooks() []RunbookLine   { return f.runbooks }
func (f *fake) RunbookProblems() []string { return f.problems }

func (f *fake) Refresh(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	if len(f.pending) == 0 {
		return false, nil
	}
	for _, e := range f.pending {
		f.fold(e)
	}
	f.pending = nil
	return true, nil
}

// Timeline describes the incident's events with the state, as store.Timeline does;
// State.Timeline picks the incident's own from all of them.
func (f *fake) Timeline(_ context.Context, id domain.ID) ([]domain.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timelines++
	if f.timelineErr != nil {
		return nil, f.timelineErr
	}
	inc := f.st.Incidents[id]
	if inc == nil {
		return nil, fmt.Errorf("incident %s not found", id.Short())
	}
	return f.st.Timeline(inc, f.events), nil
}

// Firings reads the alerts' firings from every folded event with the state, as
// storeBackend does from the store's index.
func (f *fake) Firings(context.Context) (map[domain.ID]*domain.Firing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firingsErr != nil {
		return nil, f.firingsErr
	}
	return f.st.Firings(f.events), nil
}

func (f *fake) Do(ctx context.Context, body domain.Body) (domain.ID, error) {
	if f.doHold != nil {
		select {
		case <-f.doHold:
		case <-ctx.Done():
			return domain.ID{}, ctx.Err()
		}
	}
	if f.fail != nil {
		return domain.ID{}, f.fail
	}
	return f.external(f.me, body, f.now()), nil
}

// Proposal renders as runbooks.Runbook.Proposal does: every value checked, every
// placeholder of the step filled, shell-quoted.
func (f *fake) Proposal(incident domain.ID, runbook string, step int, params map[string]string) (*domain.RunbookPropose, error) {
	var rb *RunbookLine
	for i := range f.runbooks {
		if f.runbooks[i].ID == runbook {
			rb = &f.runbooks[i]
		}
	}
	if rb == nil {
		return nil, fmt.Errorf("runbook %s not found", runbook)
	}
	if step < 1 || step > len(rb.Steps) {
		return nil, fmt.Errorf("runbook %s has %d steps; there is no step %d", runbook, len(rb.Steps), step)
	}
	for k, v := range params {
		p, ok := rb.param(k)
		if !ok {
			return nil, fmt.Errorf("runbook %s: unknown param %s", runbook, k)
		}
		if err := p.Check(v); err != nil {
			return nil, fmt.Errorf("runbook %s: %w", runbook, err)
		}
	}
	st := rb.Steps[step-1]
	cmd := st.Command
	for _, name := range st.Params {
		v, ok := params[name]
		if !ok {
			return nil, fmt.Errorf("runbook %s step %d: missing param %s", runbook, step, name)
		}
		cmd = strings.ReplaceAll(cmd, "{{"+name+"}}", "'"+strings.ReplaceAll(v, "'", `'\''`)+"'")
	}
	b := &domain.RunbookPropose{Incident: incident, Runbook: runbook, RunbookHash: domain.CommandHash(runbook + ".md"),
		Step: step, StepTitle: st.Title, Params: params, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: rb.Risk}
	if rb.Risk == domain.RiskHigh {
		b.Quorum, b.Approvers = rb.Quorum, []string{"containment", "triage"}
	}
	return b, b.Validate()
}

// Gate lists the conditions runbooks.Gate checks that the state decides.
func (f *fake) Gate(id domain.ID) (string, []GateCondition) {
	p := f.st.Proposals[id]
	if p == nil {
		return "", nil
	}
	m := f.st.Members[f.me]
	n := approvals(f.st, p)
	conds := []GateCondition{
		{What: "not executed yet", OK: p.Exec == nil},
		{What: "executor holds the containment role", OK: m != nil && m.Has(domain.RoleContainment)},
	}
	if p.Risk == domain.RiskHigh {
		conds = append(conds, GateCondition{What: fmt.Sprintf("%d/%d approvals from %s", n, p.Quorum, strings.Join(p.Approvers, " or ")),
			OK: n >= p.Quorum, Why: fmt.Sprintf("needs %d more", p.Quorum-n)})
	}
	conds = append(conds, GateCondition{What: "local runbook file matches the proposal", OK: true},
		GateCondition{What: "re-rendered command equals the approved one", OK: true})
	return p.Command, conds
}

// Exec records a run as the store backend does: a runbook.exec signed by Me.
func (f *fake) Exec(ctx context.Context, id domain.ID) (ExecResult, error) {
	if f.execHold != nil {
		select {
		case <-f.execHold:
		case <-ctx.Done():
			return ExecResult{}, ctx.Err()
		}
	}
	if f.execErr != nil {
		return ExecResult{}, f.execErr
	}
	out := []byte("block 19442007\npaused: true\n")
	body := &domain.RunbookExec{Proposal: id, ExitCode: f.execExit, DurationMs: 1234, Output: f.putBlob(out),
		OutputSize: int64(len(out))}
	f.mu.Lock()
	f.ran = append(f.ran, id)
	f.mu.Unlock()
	ev := f.external(f.me, body, f.now())
	return ExecResult{Event: ev, ExitCode: body.ExitCode, Duration: 1234 * time.Millisecond, Output: body.Output,
		OutputSize: body.OutputSize}, nil
}

// putBlob stores data as the store does, under its sha256, and returns the hash.
func (f *fake) putBlob(data []byte) string {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	f.mu.Lock()
	f.blobs[h] = append([]byte(nil), data...)
	f.mu.Unlock()
	return h
}

// Blob returns a stored blob's bytes, or says this copy lacks them, as the store backend
// does. It runs in a command, off the Update goroutine.
func (f *fake) Blob(ctx context.Context, hash string) ([]byte, error) {
	if f.blobHold != nil {
		select {
		case <-f.blobHold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobRead = append(f.blobRead, hash)
	if f.blobErr != nil {
		return nil, f.blobErr
	}
	b, ok := f.blobs[hash]
	if !ok {
		return nil, fmt.Errorf("blob sha256 %s… not found in this copy; tminus evidence get %s fetches it from a peer", hash[:12], hash[:12])
	}
	return append([]byte(nil), b...), nil
}

// t0 is the scenario's "now": 41 min 7 s after the P1 was declared, as in COCKPIT.md.
var t0 = time.Date(2026, 3, 14, 3, 57, 7, 0, time.UTC)

func at(hhmmss string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", "2026-03-14 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t
}

// scenario is the COCKPIT.md incident: a vault drain on an L2 bridge, 41 minutes in.
type scenario struct {
	*fake
	bridge, relayer, disk domain.ID // alerts
	p1, p3, resolved      domain.ID // incidents
	snapshot, kickoff     domain.ID // tasks
	containment, comms    domain.ID // timers
	pause                 domain.ID // bob's proposal: contract-pause step 2, 1/2 approvals
}

func newScenario(t testing.TB) *scenario {
	f := newFake(t, t0)
	f.online, f.total, f.synced = 3, 4, true
	f.runbooks = testRunbooks
	s := &scenario{fake: f}
	f.apply("alice", &domain.Genesis{Name: "acme-sec", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: f.addr("alice"), Handle: "alice",
			Roles: []string{"comms", "containment", "recorder", "reporter", "triage"}}}, at("02:00:00"))
	for _, m := range []struct {
		h     string
		roles []string
	}{{"bob", []string{"containment", "triage"}}, {"carol", []string{"comms", "reporter"}}, {"dave", []string{"recorder", "reporter"}}} {
		f.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd,
			Member: domain.MemberSpec{Address: f.addr(m.h), Handle: m.h, Roles: m.roles}}, at("02:01:00"))
	}
	yesterday := func(hh string) time.Time { return at(hh).Add(-24 * time.Hour) }
	s.resolved = f.apply("carol", &domain.IncidentDeclare{Title: "Oracle drift on ETH/USD", Severity: "P2"}, yesterday("14:00:00"))
	f.apply("carol", &domain.IncidentStatus{Incident: s.resolved, Status: domain.StatusResolved}, yesterday("16:30:00"))

	obs := func(h, fp, title, src, sev, status, when string) domain.ID {
		f.apply(h, &domain.AlertObserve{Fingerprint: fp, Title: title, Source: src, Severity: sev, Status: status}, at(when))
		return domain.AlertID(fp)
	}
	s.disk = obs("carol", "am-disk-archive-2", "Disk 85% on archive-2", "am", "P4", "firing", "02:41:00")
	obs("carol", "l2mon-seq-lag", "Sequencer lag 90s", "l2mon", "P3", "firing", "02:50:00")
	obs("carol", "l2mon-seq-lag", "Sequencer lag 90s", "l2mon", "P3", "resolved", "02:58:00")
	s.bridge = obs("alice", "chain-bridge-outflow", "Bridge vault outflow 12x above 7d baseline", "chain", "P1", "firing", "03:14:00")
	obs("bob", "chain-bridge-outflow", "Bridge vault outflow 12x above 7d baseline", "chain", "P1", "firing", "03:14:07")
	s.relayer = obs("bob", "chain-relayer-ip", "Relayer key signed from an unseen IP", "chain", "P2", "firing", "03:15:00")
	f.apply("alice", &domain.AlertAck{Alert: s.relayer}, at("03:15:30"))

	s.p1 = f.apply("alice", &domain.IncidentDeclare{Title: "Vault drain on the L2 bridge", Severity: "P1",
		Alerts: []domain.ID{s.bridge}}, at("03:16:00"))
	for _, l := range [][2]string{{"triage", "alice"}, {"containment", "bob"}, {"comms", "carol"}, {"recorder", "dave"}} {
		f.apply("alice", &domain.IncidentAssign{Incident: s.p1, Role: l[0], Member: l[1]}, at("03:16:30"))
	}
	f.apply("alice", &domain.IncidentStatus{Incident: s.p1, Status: domain.StatusTriaged}, at("03:18:00"))
	s.snapshot = f.apply("alice", &domain.TaskAdd{Incident: s.p1, Title: "Snapshot vault balances at block 19,442,001",
		Owner: "bob", Due: at("03:54:54").UnixMilli()}, at("03:19:00"))
	draft := f.apply("alice", &domain.TaskAdd{Incident: s.p1, Title: "Draft pause tx for BridgeVault", Owner: "bob"}, at("03:19:10"))
	s.kickoff = f.apply("alice", &domain.TaskAdd{Incident: s.p1, Title: "Post kickoff to #incident and the forum",
		Owner: "carol", Due: at("04:05:19").UnixMilli()}, at("03:19:20"))
	f.apply("bob", &domain.Note{Incident: s.p1, Text: "Outflow goes to 0x7a3f…c9: 3 txs, 1,840 ETH so far"}, at("03:20:00"))
	f.apply("dave", &domain.Note{Incident: s.p1, Text: "Evidence: balances snapshot requested from the archive node"}, at("03:22:00"))
	s.containment = f.apply("alice", &domain.TimerSet{Incident: s.p1, Label: "Containment check", Due: at("04:12:06").UnixMilli()}, at("03:25:00"))
	s.comms = f.apply("carol", &domain.TimerSet{Incident: s.p1, Label: "Comms update", Due: at("03:46:00").UnixMilli(),
		Every: (30 * time.Minute).Milliseconds()}, at("03:26:00"))
	s.p3 = f.apply("carol", &domain.IncidentDeclare{Title: "Docs site 502 on /bridge", Severity: "P3"}, at("03:30:00"))
	f.apply("bob", &domain.TaskDone{Task: draft}, at("03:31:00"))
	pause := "cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' \"pause()\" --rpc-url 'mainnet' '--ledger'"
	s.pause = f.apply("bob", &domain.RunbookPropose{Incident: s.p1, Runbook: "contract-pause", RunbookHash: domain.CommandHash("contract-pause.md"),
		Step: 2, StepTitle: "Pause", Params: map[string]string{"contract": "0x5e4e65926ba27467555eb562121fac00d24e9dd2", "rpc": "mainnet",
			"signer": "--ledger"}, Command: pause, CommandHash: domain.CommandHash(pause), Risk: domain.RiskHigh, Quorum: 2,
		Approvers: []string{"containment", "triage"}}, at("03:33:00"))
	return s
}

// pattern is a runbook parameter's check, as runbooks.Param.Check words it.
func pattern(name, re string) func(string) error {
	rx := regexp.MustCompile(re)
	return func(v string) error {
		if !rx.MatchString(v) {
			return fmt.Errorf("param %s: value %q does not match %s", name, v, re)
		}
		return nil
	}
}

func param(name, desc, re string) RunbookParam {
	return RunbookParam{Name: name, Description: desc, Pattern: re, Check: pattern(name, re)}
}

var testRunbooks = []RunbookLine{
	{ID: "contract-pause", Title: "Pause a contract (circuit breaker)", Risk: "high", Quorum: 2, Severity: []string{"P1", "P2"},
		Command: "cast block latest --rpc-url {{rpc}} && cast call {{contract}} 'paused()(bool)' --rpc-url {{rpc}}",
		Params: []RunbookParam{
			param("contract", "Address of the pausable contract", `^0x[0-9a-fA-F]{40}$`),
			param("rpc", "Foundry RPC alias or URL", `^([a-z][a-z0-9_-]*|https?://[A-Za-z0-9.:/_-]+)$`),
			param("signer", "How cast signs: --ledger, --trezor or --account=NAME", `^(--ledger|--trezor|--account=[A-Za-z0-9_.-]+)$`),
		},
		Steps: []RunbookStep{
			{Number: 1, Title: "Record the block and the paused flag (evidence)",
				Command: "cast block latest --rpc-url {{rpc}} && cast call {{contract}} 'paused()(bool)' --rpc-url {{rpc}}",
				Params:  []string{"rpc", "contract"}},
			{Number: 2, Title: "Pause", Command: "cast send {{contract}} \"pause()\" --rpc-url {{rpc}} {{signer}}",
				Params: []string{"contract", "rpc", "signer"}},
		}},
	{ID: "evidence-chain-state", Title: "Snapshot chain state at a block", Risk: "low",
		Command: "cast balance {{address}} --block {{block}} --rpc-url \"$RPC_URL\"",
		Params: []RunbookParam{param("address", "Address to read", `^0x[0-9a-fA-F]{40}$`),
			param("block", "Block number", `^[0-9]{1,12}$`)},
		Steps: []RunbookStep{{Number: 1, Title: "Balance at a block",
			Command: "cast balance {{address}} --block {{block}} --rpc-url \"$RPC_URL\"", Params: []string{"address", "block"}}}},
	{ID: "host-quarantine", Title: "Quarantine a host", Risk: "high", Quorum: 2, Severity: []string{"P1", "P2"},
		Command: "ssh {{host}} ps auxww",
		Params:  []RunbookParam{param("host", "DNS name of the host", `^[a-z0-9.-]+$`)},
		Steps: []RunbookStep{{Number: 1, Title: "Capture the process list", Command: "ssh {{host}} ps auxww", Params: []string{"host"}},
			{Number: 2, Title: "Cut the host off", Command: "ssh {{host}} sudo nft add rule inet filter output drop", Params: []string{"host"}}}},
	{ID: "safe-freeze", Title: "Freeze the multisig treasury", Risk: "high", Quorum: 3, Severity: []string{"P1"},
		Command: "safe-cli tx-service {{safe}} --freeze",
		Params:  []RunbookParam{param("safe", "Address of the Safe", `^0x[0-9a-fA-F]{40}$`)},
		Steps:   []RunbookStep{{Number: 1, Title: "Freeze", Command: "safe-cli tx-service {{safe}} --freeze", Params: []string{"safe"}}}},
	{ID: "comms-kickoff", Title: "Post the kickoff message", Risk: "low", Severity: []string{"P3", "P4"},
		Command: "echo {{message}}",
		Params:  []RunbookParam{param("message", "The message", `^[^\x00-\x1f]{1,200}$`)},
		Steps:   []RunbookStep{{Number: 1, Title: "Post", Command: "echo {{message}}", Params: []string{"message"}}}},
}
