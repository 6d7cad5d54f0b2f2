package tui

import (
	"context"

	"github.com/tminus-ir/tminus/domain"
)

// Backend is everything the cockpit needs from the world: the folded state, a way to
// notice new events, and a way to sign new ones. It is declared here, where it is used,
// so tests drive the cockpit with an in-memory fake and no database or network.
//
// State and Refresh are only called from the bubbletea Update goroutine: Refresh may fold
// new events into the same *domain.State in place. Do may be called from a command
// goroutine, so it must not touch that state; its effect shows after the next Refresh.
type Backend interface {
	State() *domain.State
	Refresh(ctx context.Context) (changed bool, err error)
	// Me is the handle of the member this device signs as.
	Me() string
	// Workspace is the name shown in the header.
	Workspace() string
	// Peers reports replication: how many peers are connected out of how many are known,
	// and whether this replica holds everything they announced. 0, 0 means offline.
	Peers() (online, total int, synced bool)
	// Runbooks lists the runbooks this device can propose from.
	Runbooks() []RunbookLine
	// Do signs body as Me and stores it; it returns the new event's id.
	Do(ctx context.Context, body domain.Body) (domain.ID, error)
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
