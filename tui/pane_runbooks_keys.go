package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// The runbooks pane's keys as help shows them: the same on every row, and a reason for
// each that does not apply to the selected one.

func (p *runbooksPane) ShortHelp() []key.Binding {
	k := p.Keys
	switch {
	case p.rd != nil:
		return []key.Binding{k.Close, k.Down, k.PageDown, k.Copy}
	case p.out != nil && p.out.out == nil: // loading, or nothing to show
		return []key.Binding{k.Close}
	case p.out != nil && p.out.wide():
		return []key.Binding{k.Close, k.CopyOutput, k.Down, k.ScrollRight, k.PageDown, k.Bottom}
	case p.out != nil: // the output is as narrow as the pane: → would do nothing
		return []key.Binding{k.Close, k.CopyOutput, k.Down, k.PageDown, k.Bottom}
	}
	// The same keys on every row, in the order of the work (propose, approve, run, read
	// what it printed); those that do not apply to the row are drawn dim. At 80 columns
	// the first three fit beside the global keys.
	return []key.Binding{k.Propose, k.Approve, k.Exec, k.Output, k.Details, k.Copy}
}

func (p *runbooksPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Propose, k.Approve, k.Exec, k.Output, k.Details, k.Copy},
		{k.CopyOutput, k.ScrollLeft, k.ScrollRight, k.Close}}
}

// helpSections: the row keys, then the output viewer's, which work while it is open.
func (p *runbooksPane) helpSections() []helpGroup {
	full := p.FullHelp()
	k := p.Keys
	viewer := append([]key.Binding{k.Close, k.CopyOutput, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, full[1][1:3]...)
	details := []key.Binding{k.Close, k.Copy, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	return []helpGroup{{title: "Runbooks", bindings: full[0]}, {title: "Output viewer (o on a run)", bindings: viewer, view: true},
		{title: "Whole command (v)", bindings: details, view: true}}
}

// notHere says why a key the key line lists, dim, does nothing on the selected row; ""
// for any other key, and for keys off for good (a read-only view).
func (p *runbooksPane) notHere(msg tea.KeyMsg, pr *domain.Proposal) string {
	k := p.Keys
	is := func(b key.Binding) bool { return !b.Enabled() && !k.gone(b) && slices.Contains(b.Keys(), msg.String()) }
	switch {
	case is(k.Propose) && p.Live.Incident == nil:
		return errNoIncident.Error()
	case is(k.Propose):
		return "p proposes a runbook, or a proposal's runbook again: select one this device holds"
	case is(k.Approve) && pr != nil && pr.Exec != nil:
		return "A: " + what(pr) + " already ran (exit " + itoa(pr.Exec.ExitCode) + "): nothing left to approve"
	case is(k.Approve) && pr != nil && p.foreignTerms(pr) != "":
		return "A: " + what(pr) + " is not the runbook's gate (" + p.foreignTerms(pr) + "): it cannot run here; propose the step again"
	case is(k.Approve) && pr != nil:
		return "A: " + what(pr) + " is low risk: it needs no approvals, x runs it"
	case is(k.Approve):
		return "A approves a high-risk proposal waiting for approvals: select one under PROPOSALS"
	case is(k.Exec) && pr != nil && pr.Exec != nil:
		return "x: " + what(pr) + " already ran (exit " + itoa(pr.Exec.ExitCode) + "): p proposes it again"
	case is(k.Exec) && pr != nil:
		return "x: another step is running here: one command at a time"
	case is(k.Exec):
		return "x runs a proposal here: select one under PROPOSALS"
	case is(k.Output):
		return "o reads the output of a run: select a proposal that ran"
	case is(k.Details), is(k.Copy):
		return "nothing selected"
	}
	return ""
}
