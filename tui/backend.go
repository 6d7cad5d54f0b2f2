package tui

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Backend is everything the cockpit needs from the world: the folded state, a way to
// notice new events, and a way to sign new ones. It is declared here, where it is used,
// so tests drive the cockpit with an in-memory fake and no database or network.
//
// State, Refresh, Timeline, Firings, Proposal and Gate are only called from the bubbletea Update goroutine:
// Refresh may fold new events into the same *domain.State in place. Do, Exec and Blob may
// be called from a command goroutine, so they must not touch that state; the effect of Do
// and Exec shows after the next Refresh.
type Backend interface {
	State() *domain.State
	Refresh(ctx context.Context) (changed bool, err error)
	// Timeline is an incident's timeline as State describes it, read on demand: the
	// state does not hold timelines (store.Timeline).
	Timeline(ctx context.Context, incident domain.ID) ([]domain.Entry, error)
	// Firings is the current firing of every alert someone acknowledged, as State
	// describes it (domain.State.Firings), read on demand like a timeline: an ack counts
	// on screen only for the firing it was made in, and the state keeps acks per alert.
	// Alerts nobody acknowledged may be missing.
	Firings(ctx context.Context) (map[domain.ID]*domain.Firing, error)
	// Me is the handle of the member this device signs as.
	Me() string
	// Key is the address this device signs with: the cockpit asks the state whether
	// what it signs would count (domain.State.MayWrite) before signing.
	Key() common.Address
	// Workspace is the name shown in the header.
	Workspace() string
	// Peers reports replication: how many peers are connected out of how many are known,
	// and whether this replica holds everything they announced. 0, 0 means offline.
	Peers() (online, total int, synced bool)
	// Runbooks lists the runbooks this device can propose from.
	Runbooks() []RunbookLine
	// Do signs body as Me and stores it; it returns the new event's id.
	Do(ctx context.Context, body domain.Body) (domain.ID, error)

	// Proposal builds, without signing, the runbook.propose body for one step of a local
	// runbook with parameter values: the body `tminus runbook propose` signs, command
	// rendered and values checked against their patterns. The cockpit signs it with Do.
	Proposal(incident domain.ID, runbook string, step int, params map[string]string) (*domain.RunbookPropose, error)
	// Gate is what executing a proposal here would run, and every condition of the
	// execution gate with whether it holds (runbooks.Gate), for the confirmation.
	Gate(proposal domain.ID) (command string, conds []GateCondition)
	// Exec runs a proposal on this machine the way `tminus runbook exec` does: the gate
	// checked again on a fresh fold, the command run locally, its output stored as an
	// evidence blob and a runbook.exec signed. An error means nothing was recorded; a
	// command that ran and failed is a result with its exit code.
	Exec(ctx context.Context, proposal domain.ID) (ExecResult, error)
	// Blob is the exact bytes stored under a sha256 (lowercase hex): a run's captured
	// output, an evidence file. A copy that lacks the blob (it came with an event from a
	// peer, the bytes not yet) returns an error that says so and what fetches it; the
	// cockpit shows the error's text as it is.
	Blob(ctx context.Context, sha256 string) ([]byte, error)
}

// SyncProblem is an optional Backend: why this replica does not replicate, or cannot
// sign, when the process that did it for the home (a tminus serve) is gone or none
// runs. short is a few words the header shows in place of "peers 0/2 · offline" for as
// long as it lasts ("serve stopped · not syncing"); advice is one line of what to do,
// for the status line when it starts. short "" with an advice is news that it ended
// ("this cockpit now syncs"); both "" while nothing is wrong. Without it the header read
// offline for good after a serve died, and nothing said why or what to run.
type SyncProblem interface {
	SyncProblem() (short, advice string)
}

// syncProblem is what the backend reports, or nothing.
func syncProblem(b Backend) (short, advice string) {
	if sp, ok := b.(SyncProblem); ok {
		return sp.SyncProblem()
	}
	return "", ""
}

// RunbookLine is one runbook as the cockpit lists it.
type RunbookLine struct {
	ID       string
	Title    string
	Risk     string   // "low" or "high"
	Quorum   int      // approvals a high-risk step needs
	Severity []string // severities it applies to; empty: all
	// Command is the first step's one-liner, placeholders ({{host}}) and all: what `y`
	// copies for a responder to adapt.
	Command string
	Params  []RunbookParam // in the order the file declares them
	Steps   []RunbookStep
}

// RunbookParam is a declared parameter. Check is the runbook's own validation (its
// pattern), run on every keystroke of the propose form.
type RunbookParam struct {
	Name, Description, Pattern string
	Check                      func(value string) error
}

// RunbookStep is one numbered step and the parameters its command uses.
type RunbookStep struct {
	Number  int
	Title   string
	Command string
	Params  []string
}

// GateCondition is one condition of the execution gate (runbooks.Condition).
type GateCondition struct {
	What string
	OK   bool
	Why  string // why it does not hold
}

// ExecResult is what an execution recorded.
type ExecResult struct {
	Event      domain.ID // the signed runbook.exec
	ExitCode   int
	Duration   time.Duration
	Output     string // sha256 of the output blob
	OutputSize int64
	Truncated  bool
	TimedOut   bool
}

// appliesTo mirrors runbooks.Runbook.AppliesTo without importing the runbooks package.
func (r RunbookLine) appliesTo(sev string) bool {
	if len(r.Severity) == 0 {
		return true
	}
	for _, s := range r.Severity {
		if s == sev {
			return true
		}
	}
	return false
}

// param is the declared parameter with that name.
func (r RunbookLine) param(name string) (RunbookParam, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return RunbookParam{}, false
}

// step is step n (1-based), or the zero step when there is none.
func (r RunbookLine) step(n int) RunbookStep {
	if n >= 1 && n <= len(r.Steps) {
		return r.Steps[n-1]
	}
	return RunbookStep{Number: n, Command: r.Command}
}

// uses reports whether step n's command has a {{name}} placeholder.
func (s RunbookStep) uses(name string) bool {
	for _, p := range s.Params {
		if p == name {
			return true
		}
	}
	return false
}
