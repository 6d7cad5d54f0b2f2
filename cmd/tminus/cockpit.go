package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
	tsync "github.com/tminus-ir/tminus/sync"
	"github.com/tminus-ir/tminus/themes"
	"github.com/tminus-ir/tminus/tui"
	"github.com/tminus-ir/tminus/workspace"
	"golang.org/x/term"
)

// cockpit opens the full-screen cockpit on this home's workspace.
func (a *app) cockpit(ctx context.Context) error {
	cfg, err := a.home.Config()
	if err != nil {
		return err
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	if st.Workspace().IsZero() {
		return fmt.Errorf("%w: sync with a member (tminus sync ENODE) or import a bundle first", store.ErrNoWorkspace)
	}
	// Unlock before the screen switches: the passphrase prompt needs the plain terminal.
	if _, err := a.home.Signer(ctx); err != nil {
		return err
	}
	// From here the screen owns the terminal: a signer found again after its
	// agent went away takes a given passphrase or none, never a prompt.
	a.home.NoPrompt = true
	b, err := a.openBackend(ctx, cfg.Handle)
	if err != nil {
		return err
	}
	// The cockpit writes this home for the shell's commands and replicates
	// unless a serve already does, and takes over when that serve stops.
	link, err := a.startLink(ctx, cfg.Listen, b, linkEvery)
	if err != nil {
		return err
	}
	defer link.stop()
	err = a.runCockpit(ctx, b, cfg.Theme)
	if err != nil {
		// The screen did not open (no terminal) or went away with an error: what it
		// would have said about the runbooks goes where the other commands say it.
		b.warnProblems(a.textErr())
	}
	b.settleRuns(a.stderr, runSettleLimit)
	return err
}

// openBackend is the cockpit's backend over this home with its runbooks. A broken
// runbook file is left out, as for the other commands (library), but said inside the
// cockpit (tui.RunbookProblems): on stderr it printed before the full screen and was
// seen only after quitting.
func (a *app) openBackend(ctx context.Context, handle string) (*storeBackend, error) {
	return a.backendOver(ctx, a.home, handle)
}

// backendOver is openBackend over home, which the demo makes its own.
func (a *app) backendOver(ctx context.Context, home *workspace.Home, handle string) (*storeBackend, error) {
	lib, libErr := a.loadLibrary()
	if libErr != nil && lib == nil {
		return nil, fmt.Errorf("runbooks: %w", libErr)
	}
	b, err := newStoreBackend(ctx, home, handle, lib)
	if err != nil {
		return nil, err
	}
	if libErr != nil {
		b.problems = strings.Split(libErr.Error(), "\n")
	}
	return b, nil
}

// warnProblems prints the runbook files left out as library does.
func (b *storeBackend) warnProblems(w io.Writer) {
	for _, line := range b.problems {
		fmt.Fprintf(w, "tminus: warning: runbook left out: %s\n", line)
	}
}

// runSettleLimit bounds the wait, after the screen closed, for a stopped step's record:
// signing goes through the agent and the store, each quick unless something is wrong.
const runSettleLimit = 30 * time.Second

// settleRuns waits for a runbook step that was running when the screen closed (quit,
// a dropped SSH session, SIGTERM) to be recorded: runCockpit's end cancelled it, which
// kills the step, and execProposal records the run whatever ended it. Without the wait
// the process would exit before the record, and the step would read as never run,
// there to be run again.
func (b *storeBackend) settleRuns(w io.Writer, limit time.Duration) {
	if b.running.Load() == 0 {
		return
	}
	fmt.Fprintln(w, "tminus: the runbook step running in the cockpit was stopped; recording what it printed")
	for deadline := time.Now().Add(limit); b.running.Load() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			fmt.Fprintf(w, "tminus: its record was not stored within %s: check tminus incident show before running it again\n", limit)
			return
		}
	}
	fmt.Fprintln(w, "tminus: recorded; tminus incident show has it")
}

// cockpitNode replicates while the cockpit is open, as serve does, when the
// cockpit writes its home (cockpitLink). When the listen address is taken that
// fails, and the link says so. The node admits peers and dials the roster by
// the screen's view (b), so the store is folded and held once, not twice. A
// cockpit that signs through an agent holds no private key for devp2p and
// leaves sync to a serve.
func (a *app) cockpitNode(ctx context.Context, listen string, b *storeBackend) (*tsync.Node, error) {
	if !a.home.HasKey() {
		return nil, errors.New("this cockpit signs through an agent and holds no key for a node")
	}
	return a.nodeLogging(ctx, listen, discardLog, b.readState)
}

// runCockpit runs the program on the terminal until q. The theme comes from --theme,
// TMINUS_THEME, then the config; NO_COLOR wins over all of them.
func (a *app) runCockpit(ctx context.Context, b tui.Backend, configTheme string) error {
	out, ok := a.stdout.(*os.File)
	if !ok || !term.IsTerminal(int(out.Fd())) {
		return errors.New("the cockpit needs a terminal; the other commands (incident list --json, ...) work without one")
	}
	th, err := a.cockpitTheme(configTheme, os.Getenv)
	if err != nil {
		return err
	}
	// A runbook command still running when the cockpit closes (the responder confirmed
	// quitting) is killed with its process group rather than left orphaned.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := tui.New(b, tui.Options{Renderer: lipgloss.NewRenderer(out), Theme: th, Copy: tui.OSC52(out, os.Getenv), Context: ctx,
		Now: a.now, ConfirmAfter: 400 * time.Millisecond}) // Now: the clock this home signs with, deadlines count against it
	// Mouse stays off: capturing it would break the terminal's own selection over SSH.
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out), tea.WithInput(a.stdinFile()))
	if _, err := p.Run(); err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		return fmt.Errorf("cockpit: %w", err)
	}
	return nil
}

// cockpitTheme is the theme from --theme, TMINUS_THEME, then the config.
// --theme was checked as the command line was read (exit 2); a name from
// the environment or config.yaml that is no theme is warned about and the
// default used: a typo in a shell profile must not keep the cockpit shut
// during an incident.
func (a *app) cockpitTheme(configTheme string, getenv func(string) string) (themes.Theme, error) {
	flag := a.theme
	if flag == "" && getenv("TMINUS_THEME") == "" {
		flag = configTheme
	}
	th, err := themes.Load(themes.Resolve(flag, getenv))
	if errors.Is(err, themes.ErrUnknownTheme) && a.theme == "" {
		def := themes.Resolve("", func(string) string { return "" })
		fmt.Fprintf(a.textErr(), "tminus: warning: %v, from TMINUS_THEME or config.yaml's theme; the cockpit uses %s\n", err, def)
		return themes.Load(def)
	}
	return th, err
}

// stdinFile is the terminal to read keys from: stdin when it is one (tests hand the
// app a buffer, which bubbletea would read as keys).
func (a *app) stdinFile() io.Reader {
	if f, ok := a.stdin.(*os.File); ok {
		return f
	}
	return os.Stdin
}

// storeBackend is the cockpit's view of this home: the store's incrementally folded
// View, this device's signer, and the peer table a running `tminus serve` keeps.
type storeBackend struct {
	home *workspace.Home
	st   *store.Store
	// mu lets the cockpit's node read the view the screen owns (readState) rather
	// than fold a second copy of the store. Refresh is the only writer: it folds into
	// the state in place or swaps it, and holds mu for writing. The tui's own reads
	// (State, Me, Gate, Timeline, and the panes' View) take no lock: they run on the
	// bubbletea Update goroutine, as Refresh does, so they never overlap a write.
	mu       sync.RWMutex
	view     *store.View
	addr     common.Address
	handle   string // from config.yaml, shown until the roster knows this key
	lib      *runbooks.Library
	runbooks []tui.RunbookLine
	peers    peerSummary
	running  atomic.Int32 // Exec calls under way, for settleRuns
	problems []string     // the runbook files left out of lib, one line each (tui.RunbookProblems)
	firings  firingCache  // what Firings read, on the Update goroutine only
	link     linkState    // who writes and syncs the home, as the cockpit's link last found (SyncProblem)
}

type peerSummary struct {
	online, total int
	synced        bool
}

func newStoreBackend(ctx context.Context, home *workspace.Home, handle string, lib *runbooks.Library) (*storeBackend, error) {
	st, err := home.Store(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := home.Signer(ctx)
	if err != nil {
		return nil, err
	}
	v, err := st.NewView(ctx)
	if err != nil {
		return nil, err
	}
	if lib == nil {
		lib = &runbooks.Library{}
	}
	b := &storeBackend{home: home, st: st, view: v, addr: signer.Address(), handle: handle, lib: lib, runbooks: runbookLines(lib)}
	b.peers, _ = b.readPeers(ctx)
	return b, nil
}

func (b *storeBackend) State() *domain.State { return b.view.State() }

func (b *storeBackend) Timeline(ctx context.Context, id domain.ID) ([]domain.Entry, error) {
	s := b.view.State()
	inc, ok := s.Incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %s not found", id.Short())
	}
	return b.st.Timeline(ctx, s, inc)
}

// Firings reads the acknowledged alerts' current firings as the screen's state
// describes them (domain.State.Firings, as alert list reads them). It runs after every
// refresh that folded something, and an alert acked months ago may have thousands of
// observations: only the alerts whose own events changed are read again. Folded in
// place, the state only gains events after the last, so an alert whose observation
// count and acks are as they were has the same firing; a re-fold hands over a new state,
// and everything is read again.
func (b *storeBackend) Firings(ctx context.Context) (map[domain.ID]*domain.Firing, error) {
	s := b.view.State()
	if b.firings.of != s {
		b.firings = firingCache{of: s, alerts: map[domain.ID]cachedFiring{}}
	}
	out := map[domain.ID]*domain.Firing{}
	var stale []domain.ID
	for id, al := range s.Alerts {
		if len(al.Acks) == 0 {
			continue
		}
		if c, ok := b.firings.alerts[id]; ok && c.count == al.Count && c.acks == len(al.Acks) {
			out[id] = c.f
			continue
		}
		stale = append(stale, id)
	}
	if len(stale) == 0 {
		return out, nil
	}
	evs, err := b.st.SubjectEvents(ctx, stale)
	if err != nil {
		return nil, fmt.Errorf("reading the alerts' events: %w", err)
	}
	read := s.Firings(evs)
	for _, id := range stale {
		al := s.Alerts[id]
		f := read[id]
		b.firings.alerts[id] = cachedFiring{count: al.Count, acks: len(al.Acks), f: f}
		out[id] = f
	}
	return out, nil
}

// firingCache is the firings read for one state (storeBackend.Firings).
type firingCache struct {
	of     *domain.State
	alerts map[domain.ID]cachedFiring
}

// cachedFiring is an alert's firing as read when it had count observations and acks
// acknowledgements.
type cachedFiring struct {
	count, acks int
	f           *domain.Firing
}

// Refresh folds new events (from this process, other processes on the same home, or
// peers through serve) and re-reads the peer table; either changing redraws.
func (b *storeBackend) Refresh(ctx context.Context) (bool, error) {
	b.mu.Lock()
	changed, err := b.view.Refresh(ctx)
	b.mu.Unlock()
	if err != nil {
		return false, err
	}
	if p, err := b.readPeers(ctx); err == nil && p != b.peers {
		b.peers, changed = p, true
	}
	return changed, nil
}

// readState runs f on the screen's state for the cockpit's node (tsync.Config.State),
// from the node's goroutines: it holds mu so that Refresh waits for f. The node sees
// what the screen shows, refreshed every poll (tui.Options.Poll, 500ms).
func (b *storeBackend) readState(f func(*domain.State) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return f(b.view.State())
}

// readPeers summarises the peers table that the running node (the cockpit's own, or a
// serve's on this home) keeps with a heartbeat; store.Peers counts a peer connected only
// while the heartbeat is fresh, so a node that died stops counting within seconds.
func (b *storeBackend) readPeers(ctx context.Context) (peerSummary, error) {
	ps, err := b.st.Peers(ctx)
	if err != nil {
		return peerSummary{}, err
	}
	s := peerSummary{total: len(ps), synced: true}
	for _, p := range ps {
		if p.Connected {
			s.online++
			if p.Behind > 0 {
				s.synced = false
			}
		}
	}
	return s, nil
}

// Me is this key's handle in the roster; before a member adds it, the configured
// handle marked as such, which the cockpit's member check then refuses to sign for.
func (b *storeBackend) Me() string {
	if h, ok := b.view.State().Keys[b.addr]; ok {
		return h
	}
	return b.handle + " (not a member)"
}

func (b *storeBackend) Key() common.Address         { return b.addr }
func (b *storeBackend) Workspace() string           { return b.view.State().Name }
func (b *storeBackend) Peers() (int, int, bool)     { return b.peers.online, b.peers.total, b.peers.synced }
func (b *storeBackend) Runbooks() []tui.RunbookLine { return b.runbooks }
func (b *storeBackend) RunbookProblems() []string   { return b.problems }
func (b *storeBackend) Do(ctx context.Context, body domain.Body) (domain.ID, error) {
	ev, err := b.home.Append(ctx, body)
	if err != nil {
		return domain.ID{}, writeAdvice(err)
	}
	return ev.ID, nil
}

// writeAdvice says what a responder can do about a write that failed for a reason of
// this machine's: the cockpit cannot prompt for the passphrase on its full screen.
// (The store's own errors, store.ErrBusy and ErrDiskFull, already say what to do.)
func writeAdvice(err error) error {
	if errors.Is(err, agent.ErrLocked) {
		return fmt.Errorf("%w: unlock it in a shell (tminus agent unlock), then try again; nothing was signed", err)
	}
	if signerGone(err) {
		return agentGoneError{err}
	}
	return err
}

// Proposal builds the body `tminus runbook propose` signs, from the local runbook file.
func (b *storeBackend) Proposal(incident domain.ID, runbook string, step int, params map[string]string) (*domain.RunbookPropose, error) {
	r, ok := b.lib.Get(runbook)
	if !ok {
		return nil, fmt.Errorf("runbook %s not found on this machine (tminus runbook list shows ids)", runbook)
	}
	if step < 1 || step > len(r.Steps) {
		return nil, fmt.Errorf("step %d: %s has steps 1..%d", step, r.ID, len(r.Steps))
	}
	return r.Proposal(incident, step, params)
}

// Gate is runbooks.GateKey on the cockpit's state, for this device's key: the
// confirmation shows every condition exec checks, the key's standing included.
func (b *storeBackend) Gate(id domain.ID) (string, []tui.GateCondition) {
	s := b.view.State()
	p := s.Proposals[id]
	if p == nil {
		return "", []tui.GateCondition{{What: "proposal known here", Why: "proposal " + id.Short() + " is not in the state"}}
	}
	command, conds := runbooks.GateKey(s, p, b.lib, b.addr)
	out := make([]tui.GateCondition, len(conds))
	for i, c := range conds {
		out[i] = tui.GateCondition{What: c.What, OK: c.OK, Why: c.Why}
	}
	return command, out
}

// Exec runs the proposal here through execProposal, the code path of `tminus runbook
// exec`: it folds the store itself, so it never touches the view the cockpit reads.
func (b *storeBackend) Exec(ctx context.Context, id domain.ID) (tui.ExecResult, error) {
	b.running.Add(1)
	defer b.running.Add(-1)
	sign := func(ctx context.Context, body domain.Body, blobs ...[]byte) (*domain.Event, error) {
		evs, err := b.home.Write(ctx, blobs, body)
		if err != nil {
			return nil, err
		}
		return evs[0], nil
	}
	x, err := execProposal(ctx, b.st.State, b.lib, b.addr, id, execOptions{}, sign)
	if err != nil {
		return tui.ExecResult{}, err
	}
	r := x.result
	return tui.ExecResult{Event: x.event, ExitCode: r.ExitCode, Duration: r.Duration, Output: x.output,
		OutputSize: int64(len(x.recorded)), Truncated: r.Truncated, TimedOut: r.TimedOut}, nil
}

// Blob reads a blob (a run's captured output, an evidence file) from the store, refusing
// bytes that do not hash to their name (store.ErrBadBlob, whose text says what to do).
// The cockpit calls it from a command goroutine: it reads through the store's pool and
// never touches the view. A copy that synced the event before the bytes lacks the blob;
// the error says so and what fetches it, and the cockpit shows it as it is.
func (b *storeBackend) Blob(ctx context.Context, hash string) ([]byte, error) {
	data, err := b.st.VerifiedBlob(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		p := hash
		if len(p) > 12 {
			p = p[:12]
		}
		return nil, fmt.Errorf("blob sha256 %s… %w in this copy; tminus evidence get %s fetches it from a peer", p, store.ErrNotFound, p)
	}
	return data, err
}

// runbookLines turns the library into the cockpit's list: the first step's one-liner is
// what `y` copies; the parameters, with their own checks, make the propose form.
func runbookLines(lib *runbooks.Library) []tui.RunbookLine {
	if lib == nil {
		return nil
	}
	var out []tui.RunbookLine
	for _, rb := range lib.List() {
		l := tui.RunbookLine{ID: rb.ID, Title: rb.Title, Risk: string(rb.Risk), Quorum: rb.Quorum, Severity: rb.Severity}
		if len(rb.Steps) > 0 {
			l.Command = rb.Steps[0].Command
		}
		for _, p := range rb.Params {
			l.Params = append(l.Params, tui.RunbookParam{Name: p.Name, Description: p.Description, Pattern: p.Pattern, Check: p.Check})
		}
		for _, s := range rb.Steps {
			l.Steps = append(l.Steps, tui.RunbookStep{Number: s.Number, Title: s.Title, Command: s.Command, Params: s.Params()})
		}
		out = append(out, l)
	}
	return out
}
