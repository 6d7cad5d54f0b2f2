package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is every key the cockpit answers to, in one place so that help is built from it
// and a team can rebind a key without touching a pane. Bindings a pane does not handle
// in its current state are disabled rather than hidden in code, so help never lies: help
// lists them dim, or in parentheses, rather than leave them out.
type KeyMap struct {
	// Global: work from any tab, on the selected incident.
	Help      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding
	NextPane  key.Binding
	PrevPane  key.Binding
	Tabs      [paneCount]key.Binding
	Declare   key.Binding
	Severity  key.Binding
	Status    key.Binding
	Lead      key.Binding
	AddTask   key.Binding
	AddTimer  key.Binding
	Note      key.Binding

	// Moving in a list.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	// Alerts.
	Ack         key.Binding
	FromAlert   key.Binding
	Link        key.Binding
	Filter      key.Binding
	ClearFilter key.Binding
	Select      key.Binding

	// Tasks and timers.
	Done   key.Binding
	Reopen key.Binding
	Owner  key.Binding
	Met    key.Binding

	// Runbooks. The pane enables Propose, Approve and Exec only while they apply to the
	// selected row (a runbook, a proposal waiting for approvals or for its run). Approve
	// and Exec are destructive and listed in Destructive so a read-only or drill view can
	// drop them in one call.
	Copy    key.Binding
	Propose key.Binding
	Approve key.Binding
	Exec    key.Binding
	// Output opens the captured output of the selected proposal's run; enabled only on a
	// proposal that ran.
	Output key.Binding
	// Details opens the selected runbook, proposal or Safe transaction whole, every
	// command, address and hash to its last character (the lines under the list cut a
	// long one).
	Details key.Binding

	// The output viewer. On only while it is open: it owns the keyboard then, and these
	// are the keys it answers besides the list moves (Up, Down, PageUp, PageDown, Top,
	// Bottom).
	CopyOutput  key.Binding
	Close       key.Binding
	ScrollLeft  key.Binding
	ScrollRight key.Binding

	// Forms and dialogs.
	Submit    key.Binding
	Cancel    key.Binding
	NextField key.Binding
	PrevField key.Binding
	Left      key.Binding
	Right     key.Binding
	Yes       key.Binding
	No        key.Binding

	// readOnly is set by DisableDestructive: no pane may enable those bindings again.
	readOnly bool
}

// DefaultKeyMap is the layout help documents. Every action has a key (no mouse); single
// letters are mnemonic, capitals are the heavier sibling (s severity, S status).
func DefaultKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := &KeyMap{
		Help:      b("?", "help", "?"),
		Quit:      b("q", "quit", "q"),
		ForceQuit: b("ctrl+c", "quit now", "ctrl+c"),
		NextPane:  b("tab", "pane", "tab"),
		PrevPane:  b("shift+tab", "previous pane", "shift+tab"),
		Declare:   b("D", "declare", "D"),
		Severity:  b("s", "severity", "s"),
		Status:    b("S", "status", "S"),
		Lead:      b("L", "assign lead", "L"),
		AddTask:   b("t", "add task", "t"),
		AddTimer:  b("T", "add timer", "T"),
		Note:      b("n", "note", "n"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:      b("g", "top", "g", "home"),
		Bottom:   b("G", "bottom", "G", "end"),

		Ack:         b("a", "ack", "a"),
		FromAlert:   b("i", "incident from alert", "i"),
		Link:        b("l", "link to incident", "l"),
		Filter:      b("/", "filter", "/"),
		ClearFilter: b("esc", "clear filter", "esc"),
		Select:      b("enter", "select", "enter"),

		Done:   b("enter", "done", "enter"),
		Reopen: b("R", "reopen", "R"), // a task marked done by mistake
		Owner:  b("o", "owner", "o"),
		Met:    b("enter", "met / stop / done", "enter"), // a timer met or stopped, a task done

		Copy:    b("y", "copy", "y"), // what: the row's command, one-liner or safeTxHash
		Propose: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "propose"), key.WithDisabled()),
		Approve: key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "approve"), key.WithDisabled()),
		Exec:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "execute"), key.WithDisabled()),
		Output:  key.NewBinding(key.WithKeys("o", "enter"), key.WithHelp("o/enter", "read output"), key.WithDisabled()),
		Details: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "whole command"), key.WithDisabled()),

		CopyOutput:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy output"), key.WithDisabled()),
		Close:       key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc/q", "close"), key.WithDisabled()),
		ScrollLeft:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "scroll left"), key.WithDisabled()),
		ScrollRight: key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "scroll right"), key.WithDisabled()),

		Submit:    b("enter", "next/submit", "enter"), // as the form says: enter submits from the last field
		Cancel:    b("esc", "cancel", "esc"),
		NextField: b("tab/↓", "next field", "tab", "down"),
		PrevField: b("shift+tab/↑", "previous field", "shift+tab", "up"),
		// A choice changes on the arrows only: letters are text, and text pasted where a
		// choice has the focus must not pick one.
		Left:  b("←/→", "choose (typing ignored)", "left"),
		Right: b("→", "choose", "right"),
		Yes:   b("y", "yes", "y", "Y"),
		No:    b("n/esc", "no", "n", "N", "esc"),
	}
	names := [paneCount]string{"alerts", "tasks", "timers", "runbooks", "timeline", "incidents", "roster"}
	for i := range k.Tabs {
		d := string(rune('1' + i))
		k.Tabs[i] = b(d, names[i], d)
	}
	return k
}

// Destructive lists the bindings that change something irreversibly outside tminus
// (running a command, approving one). A read-only or drill-review view disables them all.
func (k *KeyMap) Destructive() []*key.Binding { return []*key.Binding{&k.Approve, &k.Exec} }

// DisableDestructive turns off every destructive binding, for good: panes that enable
// keys as the selection moves leave these off.
func (k *KeyMap) DisableDestructive() {
	k.readOnly = true
	for _, b := range k.Destructive() {
		b.SetEnabled(false)
	}
}

// gone reports whether b is off for good: a destructive key in a read-only view. Help
// leaves such a key out; a key that is only off for the selected row stays listed, dim,
// so the keys of a tab do not come and go as the cursor moves.
func (k *KeyMap) gone(b key.Binding) bool {
	if !k.readOnly || b.Enabled() {
		return false
	}
	for _, d := range k.Destructive() {
		if slices.Equal(d.Keys(), b.Keys()) {
			return true
		}
	}
	return false
}

// allow enables or disables b, except that a destructive binding stays off in a
// read-only view.
func (k *KeyMap) allow(b *key.Binding, on bool) {
	if on && k.readOnly {
		for _, d := range k.Destructive() {
			if d == b {
				on = false
			}
		}
	}
	b.SetEnabled(on)
}

func (k *KeyMap) tabKeys() []key.Binding { return k.Tabs[:] }

func (k *KeyMap) nav() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

func (k *KeyMap) form() []key.Binding {
	return []key.Binding{k.Submit, k.Cancel, k.NextField, k.PrevField, k.Left}
}
