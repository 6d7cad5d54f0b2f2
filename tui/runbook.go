package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// Proposing, approving and executing runbook steps. Proposing is a form like any other;
// approving and executing are destructive, so each opens a dialog with the exact command
// first, and executing also lists the gate's conditions. The command runs in a tea.Cmd:
// the cockpit stays live (new events, countdowns) while it runs.

// proposeForm has one field per parameter of the runbook, the step first when there are
// several. Each value is checked against its pattern as it is typed; a parameter the
// chosen step does not use is greyed out and skipped. The body is the backend's, the one
// `tminus runbook propose` signs.
func (m *Model) proposeForm(inc *domain.Incident, rb RunbookLine, from *domain.Proposal) *form {
	f := &form{title: "Propose " + rb.ID + " for " + clean(inc.Title), draft: draftOf("propose "+rb.ID, inc.ID), pane: paneRunbooks}
	step := 1
	if from != nil && from.Step >= 1 && from.Step <= len(rb.Steps) {
		step = from.Step
	}
	var stepField *field
	if len(rb.Steps) > 1 || len(rb.Params) == 0 {
		var choices []string
		for _, s := range rb.Steps {
			choices = append(choices, itoa(s.Number)+" "+clean(s.Title))
		}
		if len(choices) == 0 {
			choices = []string{"1"}
		}
		stepField = choiceField("Step", choices, choices[min(step, len(choices))-1])
		f.fields = append(f.fields, stepField)
	}
	current := func() RunbookStep {
		if stepField != nil {
			return rb.step(stepField.choice + 1)
		}
		return rb.step(1)
	}
	first := len(f.fields)
	// Parameters named after what the incident already knows start with its value.
	known := map[string]string{"severity": inc.Severity, "incident": inc.ID.Short(), "title": clean(inc.Title)}
	for _, prm := range rb.Params {
		prm := prm
		v := ""
		switch {
		case from != nil:
			v = from.Params[prm.Name]
		case known[prm.Name] != "" && prm.Check != nil && prm.Check(known[prm.Name]) == nil:
			v = known[prm.Name]
		}
		fl := m.ctx.textField(prm.Name, v, "")
		fl.note = prm.Description
		if prm.Pattern != "" {
			fl.note += " · pattern " + prm.Pattern
		}
		fl.check = func(v string) error {
			if v == "" || prm.Check == nil {
				return nil // an empty value is missing, which enter says, not wrong
			}
			return prm.Check(v)
		}
		fl.off = func() bool { return len(rb.Steps) > 0 && !current().uses(prm.Name) }
		f.fields = append(f.fields, fl)
	}
	params := func(v []string) (map[string]string, int) {
		out := map[string]string{}
		missing := -1
		for i, prm := range rb.Params {
			fi := first + i
			if f.fields[fi].isOff() {
				continue
			}
			if v[fi] == "" && missing < 0 {
				missing = fi
			}
			out[prm.Name] = v[fi]
		}
		return out, missing
	}
	f.build = func(v []string) (domain.Body, error) {
		kv, missing := params(v)
		if missing >= 0 {
			f.setFocus(missing)
			prm := rb.Params[missing-first]
			return nil, fmt.Errorf("%s: step %d needs it (%s)", prm.Name, current().Number, prm.Description)
		}
		b, err := m.b.Proposal(inc.ID, rb.ID, current().Number, kv)
		if err != nil {
			return nil, err
		}
		f.what = "proposed " + rb.ID + " step " + itoa(b.Step)
		return b, nil
	}
	// The preview is the command the proposal would sign once every value is right, and
	// the step's one-liner with its placeholders until then.
	f.preview = func(v []string) string {
		kv, missing := params(v)
		if missing < 0 {
			if b, err := m.b.Proposal(inc.ID, rb.ID, current().Number, kv); err == nil {
				return b.Command
			}
		}
		return current().Command
	}
	f.after = func(m *Model, id domain.ID) {
		if p, ok := m.panes[paneRunbooks].(*runbooksPane); ok {
			p.selectProposal(id)
		}
		pr := m.ctx.Live.State.Proposals[id]
		if pr == nil {
			return
		}
		if pr.Risk == domain.RiskHigh {
			m.status = okStatus(fmt.Sprintf("proposed %s step %d: %d/%d approvals (%s approve with A)",
				pr.Runbook, pr.Step, approvals(m.ctx.Live.State, pr), pr.Quorum, strings.Join(pr.Approvers, ", ")))
		} else {
			m.status = okStatus(fmt.Sprintf("proposed %s step %d: low risk, x runs it here", pr.Runbook, pr.Step))
		}
	}
	return f
}

func (m *Model) propose(r proposeRequest) {
	inc := m.ctx.Live.Incident
	if inc == nil {
		m.status = failed(errNoIncident)
		return
	}
	m.openForm(m.proposeForm(inc, r.runbook, r.from))
}

// proposal is a proposal by id, or an error that says why there is none.
func (m *Model) proposal(id domain.ID) (*domain.Proposal, error) {
	pr := m.ctx.Live.State.Proposals[id]
	if pr == nil {
		return nil, fmt.Errorf("runbook proposal %s not found", id.Short())
	}
	return pr, nil
}

func what(pr *domain.Proposal) string { return pr.Runbook + " step " + itoa(pr.Step) }

// askApprove refuses in the status line what the fold would refuse (not an approver,
// approved already, executed), and otherwise asks, with the command on screen: the
// signature covers that exact command.
func (m *Model) askApprove(id domain.ID) {
	pr, err := m.proposal(id)
	if err == nil {
		err = m.precheck(nil) // the checks below ask about this device's member
	}
	if err != nil {
		m.status = failed(err)
		return
	}
	l := m.ctx.Live
	me := l.State.Members[l.Me]
	n := approvals(l.State, pr)
	switch {
	case pr.Exec != nil:
		err = fmt.Errorf("%s already ran (exit %d): nothing left to approve", what(pr), pr.Exec.ExitCode)
	case pr.Risk != domain.RiskHigh:
		err = fmt.Errorf("%s is low risk: it needs no approvals, x runs it", what(pr))
	case !holdsAny(me, pr.Approvers):
		err = fmt.Errorf("%s is not an approver for %s (needs %s)", l.Me, pr.Runbook, strings.Join(pr.Approvers, " or "))
	case contains(pr.Approvals, l.Me):
		err = fmt.Errorf("%s already approved %s (%d/%d)", l.Me, what(pr), n, pr.Quorum)
	default: // what else the fold would refuse: proofs below the role's minimum
		err = m.precheck(&domain.RunbookApprove{Proposal: id})
	}
	if err != nil {
		m.status = failed(err)
		return
	}
	rows := []dialogRow{
		{text: fmt.Sprintf("approvals %d/%d so far: %s", n, pr.Quorum, strings.Join(pr.Approvals, ", "))},
		{text: "proposed by " + pr.By + " " + clock(pr.At, l.Now, l.Loc, false) + " for " + incTitle(l.State, pr)},
	}
	m.dialog = &dialog{opened: time.Now(),
		title:   "Approve " + what(pr) + "? Your signature covers this exact command:",
		command: pr.Command, rows: rows, can: true, action: "approve",
		yes: func(m *Model) tea.Cmd {
			return m.do(paneRunbooks, &domain.RunbookApprove{Proposal: id}, "approved "+what(pr), func(m *Model, _ domain.ID) {
				if pr := m.ctx.Live.State.Proposals[id]; pr != nil {
					m.status = okStatus(fmt.Sprintf("approved %s: %d/%d", what(pr), approvals(m.ctx.Live.State, pr), pr.Quorum))
				}
			})
		},
	}
}

// askExec shows the command that would run here and every condition of the gate; y runs
// it only when all hold.
func (m *Model) askExec(id domain.ID) {
	pr, err := m.proposal(id)
	if err != nil {
		m.status = failed(err)
		return
	}
	l := m.ctx.Live
	if !l.Running.IsZero() {
		if r := l.State.Proposals[l.Running]; r != nil {
			m.status = failed(fmt.Errorf("%s is still running here: one command at a time", what(r)))
			return
		}
	}
	command, conds := m.b.Gate(id)
	can := len(conds) > 0 && command != ""
	var rows []dialogRow
	for _, c := range conds {
		t := c.What
		if !c.OK && c.Why != "" {
			t += ": " + c.Why
		}
		rows = append(rows, dialogRow{mark: "ok", text: t, bad: !c.OK})
		can = can && c.OK
	}
	if inc := l.State.Incidents[pr.Incident]; inc != nil {
		if inc.Drill {
			// A drill's events do not count in real metrics; its commands are real.
			rows = append(rows, dialogRow{text: "! DRILL incident: the command runs for real on this machine all the same", warn: true})
		}
		// Not a condition of the gate, but the question a lead asks before containment.
		if e := evidenceBefore(l.State, inc, pr); e.n == 0 {
			rows = append(rows, dialogRow{text: "! " + e.none(), warn: true})
		} else {
			rows = append(rows, dialogRow{text: e.some(l.Now, l.Loc)})
		}
	}
	d := &dialog{title: "Execute " + what(pr) + " on this machine? It runs exactly:", command: command, rows: rows,
		can: can, action: "run it here", yes: func(m *Model) tea.Cmd { return m.exec(pr) }}
	if command == "" {
		d.command = pr.Command
		d.refusal = "this machine cannot render the command: see the conditions"
	} else if !can {
		d.refusal = "the gate is not met: it cannot run here yet"
	}
	d.opened = time.Now()
	m.dialog = d
}

// exec runs the proposal through the backend off the Update goroutine.
func (m *Model) exec(pr *domain.Proposal) tea.Cmd {
	id, w := pr.ID, what(pr)
	m.ctx.Live.Running = id
	m.broadcast(stateMsg{})
	m.status = status{busy: true, text: "running " + w + " here; the output is kept as evidence"}
	b, ctx := m.b, m.bg
	return func() tea.Msg {
		res, err := b.Exec(ctx, id)
		return execDoneMsg{id: id, what: w, res: res, err: err}
	}
}

// execDone shows the result: exit code and duration, the output's size and hash. A
// command that failed is recorded like one that succeeded, and reads as an error.
func (m *Model) execDone(msg execDoneMsg) {
	m.ctx.Live.Running = domain.ID{}
	defer m.broadcast(stateMsg{})
	if msg.err != nil {
		m.status = failed(fmt.Errorf("%s: %w", msg.what, msg.err))
		return
	}
	m.refresh()
	r := msg.res
	if reason := rejected(m.ctx.Live.State, r.Event); reason != "" {
		m.status = failed(errors.New(msg.what + " ran, but its record was refused by the fold: " + reason))
		return
	}
	text := fmt.Sprintf("ran %s: exit %d in %s, output %s kept as evidence", msg.what, r.ExitCode,
		duration(r.Duration.Milliseconds()), size(r.OutputSize))
	if r.Truncated {
		text += ": its start and end, the middle cut"
	}
	switch {
	case r.TimedOut:
		m.status = failed(errors.New(msg.what + " timed out and was killed after " + duration(r.Duration.Milliseconds()) +
			" (exit " + itoa(r.ExitCode) + ", output recorded)"))
	case r.ExitCode != 0:
		m.status = failed(errors.New(text))
	default:
		m.status = okStatus(text)
	}
}

// quit leaves, asking first when a command is running here (quitting stops it; the
// cockpit's caller waits for the stopped run's record before the process exits) or
// drafts would be lost.
func (m *Model) quit() tea.Cmd {
	if r := m.ctx.Live.Running; !r.IsZero() {
		w := "a runbook step"
		if pr := m.ctx.Live.State.Proposals[r]; pr != nil {
			w = what(pr)
		}
		m.ask(w + " is still running here. Quit anyway? It is stopped, and the run is recorded with what it printed so far.")
		return nil
	}
	if n := len(m.drafts); n > 0 {
		// Drafts live in this process only: a note typed mid-incident and left with esc.
		what := "1 draft"
		if n > 1 {
			what = itoa(n) + " drafts"
		}
		m.ask(what + " typed and not signed will be lost. Quit anyway?")
		return nil
	}
	return tea.Quit
}

// dialog is a confirmation over the screen: what will happen, the facts that decide it,
// y to go ahead (only when it may), n or esc to leave.
type dialog struct {
	title   string
	command string
	rows    []dialogRow
	can     bool
	action  string // what y does: "run it here"
	refusal string // why y does nothing, when !can
	yes     func(m *Model) tea.Cmd
	opened  time.Time // real time: y before Options.ConfirmAfter has passed is ignored
}

type dialogRow struct {
	mark string // "ok" shows as ok / NO, "" shows the text alone
	text string
	bad  bool
	warn bool
}

func (m *Model) dialogKey(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	d := m.dialog
	switch {
	case key.Matches(msg, k.ForceQuit):
		return m.quit()
	case key.Matches(msg, k.Yes) && time.Since(d.opened) < m.opt.ConfirmAfter:
		// Typed ahead of the dialog: a paste without bracketed paste turns text into
		// keys, and an x then y in it must not run a command nobody saw.
		m.status = failed(errors.New("y came before the confirmation was on screen: read it, then press y"))
	case key.Matches(msg, k.Yes) && d.allowed(dialogSize(m.lay.w, m.lay.bodyH)):
		m.dialog = nil
		return d.yes(m)
	case key.Matches(msg, k.No):
		m.dialog = nil
		m.status = okStatus("cancelled: nothing was signed")
	}
	return nil
}

// commandLines is the command wrapped to w cells, and whether all of it fits in a
// dialog h lines tall. The command is shown whole, never cut: when it does not fit, y is
// refused rather than confirming something partly unseen.
func (d *dialog) commandLines(w, h int) ([]string, bool) {
	cmd := wrapAll("$ "+clean(d.command), w)
	room := h - len(wordWrap(clean(d.title), w, 2)) - 1 - 1 - len(d.rows) - 3
	if len(cmd) <= room {
		return cmd, true
	}
	keep := max(room-1, 0)
	return append(cmd[:keep], "… ("+itoa(len(cmd)-keep)+" more lines)"), false
}

// dialogSize is the dialog's content width and height on a w x h body.
func dialogSize(w, h int) (int, int) { return clamp(w-8, 20, 100), h - 2 }

func (d *dialog) allowed(w, h int) bool {
	_, fits := d.commandLines(w, h)
	return d.can && fits
}

// view draws the dialog's content within w cells and h lines.
func (d *dialog) view(c *Context, w, h int) string {
	var out []string
	for _, l := range wordWrap(clean(d.title), w, 2) {
		out = append(out, c.ink.title.on(l))
	}
	out = append(out, "")
	cmd, fits := d.commandLines(w, h)
	for _, l := range cmd {
		out = append(out, c.ink.due.on(l))
	}
	out = append(out, "")
	for _, r := range d.rows {
		t := r.text
		if r.warn {
			out = append(out, c.ink.warn.on(cut(t, w)))
			continue
		}
		if r.mark != "" {
			if r.bad {
				out = append(out, c.ink.err.on(cut("NO "+t, w)))
				continue
			}
			t = "ok " + t
		}
		out = append(out, c.ink.row.on(cut(t, w)))
	}
	out = append(out, "")
	refusal := d.refusal
	if !fits {
		refusal = "the command is longer than this screen: tminus runbook exec ID --dry-run prints it"
	}
	if d.can && fits {
		out = append(out, c.ink.helpKey.on("y")+" "+c.ink.helpDesc.on(d.action)+c.ink.muted.on("   ")+
			c.ink.helpKey.on("n/esc")+" "+c.ink.helpDesc.on("cancel"))
	} else {
		out = append(out, c.ink.err.on(cut(refusal, w)), c.ink.helpKey.on("esc")+" "+c.ink.helpDesc.on("close"))
	}
	return strings.Join(out, "\n")
}

// wrapAll breaks a command into lines of w cells at its spaces, all of it.
func wrapAll(s string, w int) []string {
	return wrapCommand(s, w, len(s)+1)
}

func holdsAny(m *domain.Member, roles []string) bool {
	if m == nil {
		return false
	}
	for _, r := range roles {
		if m.Has(r) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func incTitle(s *domain.State, pr *domain.Proposal) string {
	if inc := s.Incidents[pr.Incident]; inc != nil {
		return clean(inc.Title)
	}
	return pr.Incident.Short()
}

// duration reads like a stopwatch: 850ms, 1.2s, 2m05s.
func duration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return itoa(int(ms)) + "ms"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// size is a byte count for people: 812 B, 2.1 kB, 1.0 MB.
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	return hash
}
