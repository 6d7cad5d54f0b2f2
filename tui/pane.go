package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// paneID names a pane; the order is the tab order and the digit that jumps to it.
type paneID int

const (
	paneAlerts paneID = iota
	paneTasks
	paneTimers
	paneRunbooks
	paneTimeline
	paneIncidents
	paneRoster
	paneCount
)

var paneNames = [paneCount]string{"Alerts", "Tasks", "Timers", "Runbooks", "Timeline", "Incidents", "Roster"}

// pane is one area of the cockpit. The root routes resize to every pane, keys to the
// focused one, and builds help from the focused pane's bindings.
type pane interface {
	tea.Model
	help.KeyMap
	SetSize(w, h int)
	SetFocused(bool)
	// Title is the frame's title in the wide layout; it may carry counts.
	Title() string
	// Capturing is true while a text input inside the pane owns the keyboard (the alerts
	// filter), so global single-letter keys must not fire.
	Capturing() bool
}

func (c *Common) SetFocused(f bool) { c.Focused = f }
func (c *Common) Capturing() bool   { return false }
func (c *Common) Init() tea.Cmd     { return nil }

// Messages the root sends every pane.
type (
	// stateMsg: the state or the selected incident changed; rebuild derived rows.
	stateMsg struct{}
	// clockMsg: the one per-second tick, aligned to the wall clock.
	clockMsg time.Time
	// pollMsg: time to ask the backend for new events.
	pollMsg struct{}
)

// Requests panes send the root, as the result of a tea.Cmd, so that the root alone opens
// forms, signs events and touches the terminal.
type (
	doRequest struct {
		pane  paneID
		body  domain.Body
		what  string
		after func(m *Model, id domain.ID)
	}
	formRequest   struct{ f *form }
	copyRequest   struct{ text, what string }
	selectRequest struct{ id domain.ID }
	// proposeRequest opens the propose form for a runbook, filled from the proposal
	// from when there is one (proposing it again with other values).
	proposeRequest struct {
		runbook RunbookLine
		from    *domain.Proposal
	}
	// statusRequest puts a line on the status line: why a key did nothing.
	statusRequest  struct{ st status }
	approveRequest struct{ id domain.ID }
	execRequest    struct{ id domain.ID }
	// execDoneMsg carries what a run of a proposal here came to.
	execDoneMsg struct {
		id   domain.ID
		what string
		res  ExecResult
		err  error
	}
	// outputRequest asks the root to read a run's captured output (the blob hash) for
	// the viewer the pane opened on proposal id.
	outputRequest struct {
		pane paneID
		id   domain.ID
		hash string
	}
	// outputMsg carries what was read back to the pane and the proposal it was for: the
	// viewer drops it when it shows another proposal's output by then, or none.
	outputMsg struct {
		pane paneID
		id   domain.ID
		out  *output
		err  error
	}
	// doneMsg carries the result of a Do back to the pane it was for.
	doneMsg struct {
		pane  paneID
		id    domain.ID
		err   error
		what  string
		after func(m *Model, id domain.ID)
		// form is the form whose enter signed it, open until now: kept open with the
		// error when nothing was stored, so the text typed is not lost.
		form *form
	}
)

func send(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }
