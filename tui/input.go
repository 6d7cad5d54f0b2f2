package tui

import (
	"fmt"

	"errors"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// status is the line above the help line: the result of the last action. It stays until
// the next key, so an error is not gone before it is read.
type status struct {
	err  bool
	busy bool // something is under way (a command running here)
	text string
}

func failed(err error) status  { return status{err: true, text: err.Error()} }
func okStatus(s string) status { return status{text: s} }

// keys splits what arrived in one read into single keys. bubbletea hands over "1a" as
// one message when both bytes came together (fast typing, a slow SSH link batching
// packets, tmux send-keys), and no binding would match it. A bracketed paste stays
// whole: it is text for whatever input has the focus.
func (m *Model) keys(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return m.key(msg)
	}
	var cmds []tea.Cmd
	for _, r := range msg.Runes {
		cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
	}
	return tea.Batch(cmds...)
}

// key routes a key press with strict precedence: an open dialog, then an open form, then
// the help screen, then a pane's own text input, then the global keys, then the focused
// pane. A key is handled by exactly one of them.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	m.status = status{}
	switch {
	case m.asking != "":
		switch {
		case key.Matches(msg, k.ForceQuit):
			return tea.Quit
		case key.Matches(msg, k.Yes) && time.Since(m.askedAt) < m.opt.ConfirmAfter:
			// Typed ahead, as with the confirmations: "qy" in a paste must not kill a
			// step running here.
			m.status = failed(errors.New("y came before the question was on screen: read it, then press y"))
		case key.Matches(msg, k.Yes):
			return tea.Quit
		case key.Matches(msg, k.No):
			m.asking = ""
		}
		return nil
	case m.lay.mode == modeTooSmall && m.lay.w > 0:
		return m.tooSmallKey(msg)
	case m.dialog != nil:
		return m.dialogKey(msg)
	case m.form != nil:
		return m.formKey(msg)
	case m.help != nil:
		return m.helpKey(msg)
	case key.Matches(msg, k.ForceQuit):
		return m.quit()
	case m.panes[m.focus].Capturing():
		return m.toPane(msg)
	}
	inc := m.ctx.Live.Incident
	// Actions on the selected incident open their form, or say why they cannot.
	onIncident := func(mk func() *form) tea.Cmd {
		if inc == nil {
			m.status = failed(errNoIncident)
			return nil
		}
		m.openForm(mk())
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.openHelp()
		return nil
	case key.Matches(msg, k.NextPane):
		m.setFocus((m.focus + 1) % paneCount)
		return nil
	case key.Matches(msg, k.PrevPane):
		m.setFocus((m.focus + paneCount - 1) % paneCount)
		return nil
	case key.Matches(msg, k.Declare):
		m.openForm(m.ctx.declareForm(nil))
		return nil
	case key.Matches(msg, k.Severity):
		return onIncident(func() *form { return m.ctx.severityForm(inc) })
	case key.Matches(msg, k.Status):
		return onIncident(func() *form { return m.ctx.statusForm(inc) })
	case key.Matches(msg, k.Lead):
		return onIncident(func() *form { return m.ctx.leadForm(inc) })
	case key.Matches(msg, k.AddTask):
		return onIncident(func() *form { return m.ctx.taskForm(inc) })
	case key.Matches(msg, k.AddTimer):
		// The T-minus pane stops a resolved incident's timers: a new one would
		// never count down, silently.
		if inc != nil && !inc.Open() {
			m.status = failed(fmt.Errorf("%q is resolved and its timers are stopped: S reopens it", inc.Title))
			return nil
		}
		return onIncident(func() *form { return m.ctx.timerForm(inc) })
	case key.Matches(msg, k.Note):
		return onIncident(func() *form { return m.ctx.noteForm(inc) })
	}
	for i, b := range k.Tabs {
		if key.Matches(msg, b) {
			m.setFocus(paneID(i))
			return nil
		}
	}
	return m.toPane(msg)
}

func (m *Model) toPane(msg tea.Msg) tea.Cmd {
	_, cmd := m.panes[m.focus].Update(msg)
	return cmd
}

// formKey: esc leaves, enter walks to submit. Every printable key is input, q too:
// only ctrl+c quits from a form, asking first when it was changed, and at once when not.
// (q used to quit from a choice field, so a form opened by mistake, or a paste, could
// end the cockpit.)
func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	f := m.form
	if key.Matches(msg, k.ForceQuit) {
		if f.dirty() {
			m.ask("Discard the half-filled form and quit?")
			return nil
		}
		return m.quit()
	}
	if f.signing {
		if key.Matches(msg, k.Cancel) {
			m.form = nil
			m.status = status{busy: true, text: "signing and storing: the result shows here"}
		}
		return nil
	}
	res, cmd := f.update(k, msg)
	switch res {
	case formCancel:
		m.form = nil
		m.keepDraft(f)
	case formSubmit:
		return m.submit()
	}
	return cmd
}

// submit builds the form's event; anything wrong keeps the form open with the reason.
func (m *Model) submit() tea.Cmd {
	f := m.form
	for i, fl := range f.fields {
		if p := fl.problem(); p != "" {
			f.setFocus(i)
			f.err = p
			return nil
		}
	}
	body, err := f.build(f.values())
	if err == nil {
		err = body.Validate()
	}
	if err == nil {
		err = m.precheck(body)
	}
	if err != nil {
		f.err = err.Error()
		f.focusNamed(f.err)
		return nil
	}
	cmd := m.do(f.pane, body, f.what, f.after)
	if cmd == nil { // refused before signing: do says why on the status line
		f.err, m.status = m.status.text, status{}
		return nil
	}
	f.signing = true
	return func() tea.Msg {
		msg := cmd()
		if d, ok := msg.(doneMsg); ok {
			d.form = f
			return d
		}
		return msg
	}
}

// tooSmallKey: below the minimum size only the too-small screen is drawn, and a key must
// not reach a form, a confirmation or a pane nobody can see (enter would sign a hidden
// form unread). q and ctrl+c quit, as that screen says, asking first when a form holds
// typed text or a step runs here (the question is then on that screen); anything else
// waits for a terminal large enough to show what it would do.
func (m *Model) tooSmallKey(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	if !key.Matches(msg, k.Quit, k.ForceQuit) {
		return nil
	}
	if m.form != nil && m.form.dirty() {
		m.ask("Discard the half-filled form and quit?")
		return nil
	}
	return m.quit()
}
