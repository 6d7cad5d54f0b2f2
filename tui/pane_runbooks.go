package tui

import (
	"errors"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// runbooksPane lists, first, the runbook proposals on the selected incident (waiting ones
// first) with their approvals and the evidence captured before each, then the runbooks
// this device holds, those that fit the incident's severity first. Under the list: the
// selected proposal's exact command, or the selected runbook's first one-liner.
//
// p proposes a runbook (or the selected proposal's runbook again), A approves the
// selected proposal, x executes it here after a confirmation, y copies the command, o
// opens the output a proposal's run captured, in a viewer over the list that owns the
// keyboard until esc.
type runbooksPane struct {
	Common
	safes []*domain.SafeProposal // Safe transactions on the incident, listed first (pane_safe.go)
	props []*domain.Proposal
	rows  []RunbookLine
	fits  []bool
	cur   cursor
	// sel is the selected item, "p:" and a proposal id or "r:" and a runbook id, so the
	// selection survives rebuilds that reorder the list.
	sel string
	out *outputViewer // open over the list; nil when closed
	rd  *reader       // the detail view (v), open over the list; nil when closed
}

func newRunbooksPane(c *Context) *runbooksPane { return &runbooksPane{Common: Common{Context: c}} }

// detailHeight is the lines under the list for the selected item: a heading, the
// command, wrapped, since the command is what the responder came for, and the facts
// that decide whether to approve or run it (evidence first, the result of a run).
func (p *runbooksPane) detailHeight() int {
	switch {
	case p.Height >= 14:
		return 6
	case p.Height >= 10:
		return 4
	case p.Height >= 6:
		return 2
	case p.Height >= 4:
		return 1
	}
	return 0
}

func (p *runbooksPane) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.cur.setHeight(h - p.detailHeight() - p.captions())
	if p.out != nil {
		p.out.setSize(w, h)
		p.viewerKeys()
	}
	if p.rd != nil {
		p.rd.setSize(w, h)
	}
}

// Capturing: the output viewer and the detail view own the keyboard, so that j, g or q
// scroll and close them rather than act on the incident.
func (p *runbooksPane) Capturing() bool { return p.out != nil || p.rd != nil }

// openReader opens the detail view of the selected row.
func (p *runbooksPane) openReader(r *reader) {
	p.rd = r
	p.rd.setSize(p.Width, p.Height)
	p.viewerKeys()
}

func (p *runbooksPane) closeReader() {
	p.rd = nil
	p.viewerKeys()
	p.remember()
}

// openOutput opens the viewer on a proposal's run and asks the root to read the output;
// it shows "loading…" until the read's result comes back.
func (p *runbooksPane) openOutput(pr *domain.Proposal) tea.Cmd {
	p.out = newOutputViewer(pr)
	p.out.setSize(p.Width, p.Height)
	p.viewerKeys()
	return send(outputRequest{pane: paneRunbooks, id: pr.ID, hash: pr.Exec.Output})
}

func (p *runbooksPane) closeOutput() {
	p.out = nil
	p.viewerKeys()
	p.remember()
}

// viewerKeys turns on the viewer's keys while it is open, each only where it applies.
func (p *runbooksPane) viewerKeys() {
	k, v := p.Keys, p.out
	k.allow(&k.Close, v != nil || p.rd != nil)
	k.allow(&k.CopyOutput, v != nil && v.out != nil)
	k.allow(&k.ScrollLeft, v != nil && v.wide())
	k.allow(&k.ScrollRight, v != nil && v.wide())
}

// captions is the number of heading lines in the list: with proposals on the incident,
// one over them and one over the runbooks, so the two kinds of row cannot be confused.
func (p *runbooksPane) captions() int {
	n := 0
	if len(p.safes) > 0 {
		n++
	}
	if len(p.props) > 0 {
		n++
	}
	if n > 0 {
		n++ // over the runbooks
	}
	return n + len(p.problemLines())
}

func (p *runbooksPane) Title() string {
	if p.out != nil {
		return "Runbooks · output of " + p.out.what
	}
	if p.rd != nil {
		return "Runbooks · details"
	}
	t := "Runbooks · " + itoa(len(p.rows))
	if n := len(p.Live.RunbookProblems); n == 1 {
		t += " · 1 broken file"
	} else if n > 1 {
		t += " · " + itoa(n) + " broken files"
	}
	waiting := 0
	for _, pr := range p.props {
		if pr.Exec == nil {
			waiting++
		}
	}
	for _, sp := range p.safes {
		if sp.Exec == nil {
			waiting++
		}
	}
	if waiting > 0 {
		t += " · " + itoa(waiting) + " pending"
	}
	return t
}

func (p *runbooksPane) rebuild() {
	sev := ""
	inc := p.Live.Incident
	p.props = p.props[:0]
	p.rebuildSafes(inc)
	if inc != nil {
		sev = inc.Severity
		for _, id := range inc.Proposals {
			if pr := p.Live.State.Proposals[id]; pr != nil {
				p.props = append(p.props, pr)
			}
		}
	}
	// Proposals still waiting (for approvals or their run) first, newest first.
	waitingFirst(p.props, func(pr *domain.Proposal) (bool, int64) { return pr.Exec == nil, pr.At })
	p.rows = append(p.rows[:0], p.Live.Runbooks...)
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if a.appliesTo(sev) != b.appliesTo(sev) {
			return a.appliesTo(sev)
		}
		return a.ID < b.ID
	})
	p.fits = p.fits[:0]
	for _, r := range p.rows {
		p.fits = append(p.fits, sev == "" || r.appliesTo(sev))
	}
	p.cur.setHeight(p.Height - p.detailHeight() - p.captions())
	p.cur.follow(len(p.safes)+len(p.props)+len(p.rows), func(i int) bool { return p.itemKey(i) == p.sel })
	p.remember()
}

// waitingFirst sorts xs, stably, waiting ones before the rest and newest first within each.
func waitingFirst[T any](xs []T, of func(T) (waiting bool, at int64)) {
	sort.SliceStable(xs, func(i, j int) bool {
		wi, ai := of(xs[i])
		wj, aj := of(xs[j])
		if wi != wj {
			return wi
		}
		return ai > aj
	})
}

func (p *runbooksPane) itemKey(i int) string {
	if i < len(p.safes) {
		return "s:" + p.safes[i].ID.String()
	}
	i -= len(p.safes)
	if i < len(p.props) {
		return "p:" + p.props[i].ID.String()
	}
	if i-len(p.props) < len(p.rows) {
		return "r:" + p.rows[i-len(p.props)].ID
	}
	return ""
}

// remember keeps the selection by identity and turns on the keys that apply to it.
func (p *runbooksPane) remember() {
	if p.cur.pos < p.cur.n {
		p.sel = p.itemKey(p.cur.pos)
	}
	k := p.Keys
	pr, rb := p.selected()
	// y copies what the row is about (a Safe row's safeTxHash, a proposal's command, a
	// runbook's one-liner) and the status line says which: its help stays "copy", so the
	// key line does not change as the cursor moves.
	k.allow(&k.Copy, pr != nil || rb != nil || p.selectedSafe() != nil)
	k.allow(&k.Propose, p.Live.Incident != nil && rb != nil)
	waiting := pr != nil && pr.Exec == nil
	k.allow(&k.Approve, waiting && pr.Risk == domain.RiskHigh)
	k.allow(&k.Exec, waiting && p.Live.Running.IsZero())
	k.allow(&k.Output, pr != nil && pr.Exec != nil)
	k.allow(&k.Details, pr != nil || rb != nil || p.selectedSafe() != nil)
}

// selected is the selected proposal (nil on a runbook row) and the runbook of the
// selected row (nil for a proposal of a runbook this device does not hold).
func (p *runbooksPane) selected() (*domain.Proposal, *RunbookLine) {
	i := p.cur.pos - len(p.safes)
	if i < 0 || p.cur.pos >= p.cur.n {
		return nil, nil
	}
	if i < len(p.props) {
		pr := p.props[i]
		for j := range p.rows {
			if p.rows[j].ID == pr.Runbook {
				return pr, &p.rows[j]
			}
		}
		return pr, nil
	}
	return nil, &p.rows[i-len(p.props)]
}

// selectProposal moves the cursor to a proposal, e.g. the one just proposed.
func (p *runbooksPane) selectProposal(id domain.ID) {
	p.sel = "p:" + id.String()
	p.rebuild()
}

func (p *runbooksPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rebuild()
		if p.rd != nil {
			p.rd.setSize(p.Width, p.Height)
		}
	case outputMsg:
		if p.out != nil {
			p.out.loaded(msg)
			p.viewerKeys()
		}
	case tea.KeyMsg:
		if p.rd != nil {
			cmd, closed := p.rd.key(p.Keys, msg)
			if closed {
				p.closeReader()
			}
			return p, cmd
		}
		if p.out != nil {
			cmd, closed := p.out.key(p.Keys, msg)
			if closed {
				p.closeOutput()
			}
			return p, cmd
		}
		if p.cur.move(p.Keys, msg) {
			p.remember()
			return p, nil
		}
		k := p.Keys
		pr, rb := p.selected()
		switch {
		case key.Matches(msg, k.Copy) && p.selectedSafe() != nil:
			sp := p.selectedSafe()
			return p, send(copyRequest{text: sp.SafeTxHash.Hex(), what: "copied the safeTxHash of the " + sp.Runbook + " Safe transaction"})
		case key.Matches(msg, k.Copy) && pr != nil:
			return p, send(copyRequest{text: pr.Command, what: "copied the command proposed for " + pr.Runbook})
		case key.Matches(msg, k.Copy) && rb != nil:
			return p, send(copyRequest{text: rb.Command, what: "copied " + rb.ID + " one-liner"})
		case key.Matches(msg, k.Propose) && rb != nil:
			return p, send(proposeRequest{runbook: *rb, from: pr})
		case key.Matches(msg, k.Approve) && pr != nil:
			return p, send(approveRequest{id: pr.ID})
		case key.Matches(msg, k.Exec) && pr != nil:
			return p, send(execRequest{id: pr.ID})
		case key.Matches(msg, k.Output) && pr != nil && pr.Exec != nil:
			return p, p.openOutput(pr)
		case key.Matches(msg, k.Details) && p.selectedSafe() != nil:
			p.openReader(p.safeReader(p.selectedSafe().ID))
		case key.Matches(msg, k.Details) && pr != nil:
			p.openReader(p.proposalReader(pr.ID))
		case key.Matches(msg, k.Details) && rb != nil:
			p.openReader(p.runbookReader(*rb))
		default:
			if why := p.notHere(msg, pr); why != "" {
				return p, send(statusRequest{failed(errors.New(why))})
			}
		}
	}
	return p, nil
}

// approvals counts the proposal's approvals from current members, as the execution gate
// does: the fold took each from a distinct member holding an approver role, and a member
// removed since no longer counts.
func approvals(s *domain.State, pr *domain.Proposal) int {
	n := 0
	for _, h := range pr.Approvals {
		if m := s.Members[h]; m != nil && m.Active {
			n++
		}
	}
	return n
}

// state is a proposal's one-word state and the paint it reads in.
func (p *runbooksPane) state(pr *domain.Proposal) (string, paint) {
	k := p.ink
	switch {
	case pr.ID == p.Live.Running:
		return "running…", k.warn
	case pr.Exec != nil && pr.Exec.TimedOut:
		return "timed out", k.err
	case pr.Exec != nil && pr.Exec.ExitCode == 0:
		return "exit 0", k.ok
	case pr.Exec != nil:
		return "exit " + itoa(pr.Exec.ExitCode), k.err
	case p.foreignTerms(pr) != "":
		return "≠ runbook", k.err
	case pr.Risk != domain.RiskHigh:
		return "ready", k.ok
	}
	n := approvals(p.Live.State, pr)
	s := itoa(n) + "/" + itoa(pr.Quorum)
	if n >= pr.Quorum {
		return s + " ready", k.ok
	}
	return s + " appr", k.warn
}

// evidence is the short evidence column: "evid 2 03:18", or "no evidence" as a warning.
func (p *runbooksPane) evidence(pr *domain.Proposal) (string, paint) {
	inc := p.Live.State.Incidents[pr.Incident]
	if inc == nil {
		return "", p.ink.muted
	}
	e := evidenceBefore(p.Live.State, inc, pr)
	if e.n == 0 {
		return "no evidence", p.ink.warn
	}
	return "evid " + itoa(e.n) + " " + clock(e.at, p.Live.Now, p.Live.Loc, false), p.ink.row
}

func (p *runbooksPane) idW() int {
	if p.Width < 50 {
		return 16
	}
	return 22
}

// proposalRow: ▸contract-pause         1/2 appr  no evidence   step 2: Pause · bob 03:33
func (p *runbooksPane) proposalRow(pr *domain.Proposal, sel bool) string {
	const stW, evW = 9, 13
	idW := p.idW()
	st, stInk := p.state(pr)
	ev, evInk := p.evidence(pr)
	restW := p.Width - 1 - idW - 1 - stW - 1 - evW - 1
	if restW < 8 {
		restW = 0
	}
	by := " · " + pr.By + " " + clock(pr.At, p.Live.Now, p.Live.Loc, false) // kept whole; the step title gives way
	a, b, c, d := fit(pr.Runbook, idW), fit(st, stW), fit(ev, evW), fitTail(itoa(pr.Step)+" "+clean(pr.StepTitle), by, restW)
	plain := a + " " + b + " " + c + " " + d
	used := 1 + width(plain)
	switch {
	case sel && p.Focused:
		return p.ink.selected.on(fit("▸"+plain, p.Width))
	case used > p.Width:
		return marker(sel) + p.ink.row.on(fit(plain, p.Width-1))
	}
	return marker(sel) + p.ink.row.on(a) + " " + stInk.on(b) + " " + evInk.on(c) + " " + p.ink.muted.on(d) +
		spaces(p.Width-used)
}

// runbookRow: ▸contract-pause         high Pause a contract (circuit breaker)
func (p *runbooksPane) runbookRow(i int, sel bool) string {
	r := p.rows[i]
	idW := p.idW()
	tw := p.Width - 1 - idW - 1 - 4 - 1
	if tw < 12 {
		tw = 0 // too narrow to help; the title is in the detail line below
	}
	plain := fit(fit(r.ID, idW)+" "+fit(r.Risk, 4)+" "+fit(clean(r.Title), tw), p.Width-1)
	switch {
	case sel && p.Focused:
		return p.ink.selected.on(fit("▸"+plain, p.Width))
	case !p.fits[i]:
		return marker(sel) + p.ink.muted.on(plain)
	case r.Risk == domain.RiskHigh:
		return marker(sel) + p.ink.row.on(fit(r.ID, idW)) + " " + p.ink.warn.on(fit(r.Risk, 4)) + " " +
			p.ink.row.on(fit(fit(clean(r.Title), tw), p.Width-1-idW-1-4-1))
	}
	return marker(sel) + p.ink.row.on(plain)
}

func (p *runbooksPane) View() string {
	if p.out != nil {
		return p.out.view(p.Context)
	}
	if p.rd != nil {
		return p.rd.view(p.Context)
	}
	listH := p.Height - p.detailHeight()
	lines := make([]string, 0, p.Height)
	lines = append(lines, p.problemLines()...)
	if p.cur.n == 0 {
		lines = append(lines, p.ink.muted.on(fit(" no runbooks found", p.Width)))
	}
	from, to := p.cur.window()
	idW := p.idW()
	ns, np := len(p.safes), len(p.props)
	for i := from; i < to; i++ {
		switch {
		case i == ns+np && i > 0:
			lines = append(lines, p.ink.muted.on(fit(" "+fit("RUNBOOKS", idW)+" RISK TITLE", p.Width)))
		case i == ns && np > 0:
			lines = append(lines, p.ink.muted.on(fit(" "+fit("PROPOSALS", idW)+" "+fit("STATE", 9)+" "+fit("EVIDENCE", 13)+
				" STEP", p.Width)))
		case i == 0 && ns > 0:
			lines = append(lines, p.safeCaption())
		}
		switch {
		case i < ns:
			lines = append(lines, p.safeRow(p.safes[i], i == p.cur.pos))
		case i < ns+np:
			lines = append(lines, p.proposalRow(p.props[i-ns], i == p.cur.pos))
		default:
			lines = append(lines, p.runbookRow(i-ns-np, i == p.cur.pos))
		}
	}
	// Lines the list leaves empty (its end in view, captions scrolled away) are the
	// details' to grow into, upwards, so a long command shows whole rather than cut
	// under blank lines; details that fit start where they always do.
	d := p.detailHeight()
	if d > 0 && len(lines) < listH {
		d += listH - len(lines)
	}
	var det []string
	if d > 0 {
		switch pr, rb := p.selected(); {
		case p.selectedSafe() != nil:
			det = p.safeDetail(p.selectedSafe(), d)
		case pr != nil:
			det = p.proposalDetail(pr, d)
		case rb != nil:
			det = p.runbookDetail(*rb, d)
		}
	}
	for len(lines) < min(listH, p.Height-len(det)) {
		lines = append(lines, spaces(p.Width))
	}
	return fill(append(lines, det...), p.Width, p.Height)
}

// detail lays out d lines: a heading when there is room for it, the command wrapped in
// what is left after the facts, the facts last (dropped from the end when the room is
// too small to give the command a line).
func (p *runbooksPane) detail(d int, head, command string, facts []string) []string {
	var out []string
	if d >= 4 && head != "" {
		out = append(out, p.ink.muted.on(fit("─ "+head+" ", p.Width)))
		d--
	}
	for len(facts) > 0 && d-len(facts) < 1 {
		facts = facts[:len(facts)-1]
	}
	n := d - len(facts)
	cmd := wrapCommand("$ "+clean(command), p.Width, n)
	if len(cmd) == n && len(wrapAll("$ "+clean(command), p.Width)) > n {
		// Cut here: the last line says where the rest is, in place of as much of it.
		const more = "… v shows it whole"
		cmd[n-1] = fitTail(strings.TrimSuffix(cmd[n-1], "…"), more, p.Width)
	}
	for _, l := range cmd {
		out = append(out, p.ink.due.on(fit(l, p.Width)))
	}
	return append(out, facts...)
}

// foreignTerms says, for a proposal that has not run, how this machine's runbook of it
// sets the gate when the proposal says otherwise (risk low for a high-risk runbook, another
// quorum): the execution gate refuses it here, and "ready" would say the opposite. "" when
// they agree or this machine lacks the runbook.
func (p *runbooksPane) foreignTerms(pr *domain.Proposal) string {
	if pr.Exec != nil {
		return ""
	}
	for _, r := range p.rows {
		if r.ID != pr.Runbook {
			continue
		}
		if r.Risk != pr.Risk || (r.Risk == domain.RiskHigh && r.Quorum != pr.Quorum) {
			return "risk " + r.Risk + quorum(r)
		}
		return ""
	}
	return ""
}

func (p *runbooksPane) proposalDetail(pr *domain.Proposal, d int) []string {
	s := p.Live.State
	when := func(ms int64) string { return clock(ms, p.Live.Now, p.Live.Loc, false) }
	head := "proposed by " + pr.By + " " + when(pr.At)
	var facts []string
	if t := p.foreignTerms(pr); t != "" {
		facts = append(facts, p.ink.err.on(fit("not the runbook's gate ("+t+"): cannot run here", p.Width)))
	} else if pr.Risk == domain.RiskHigh {
		n := approvals(s, pr)
		head += " · approved " + itoa(n) + "/" + itoa(pr.Quorum) + ": " + strings.Join(pr.Approvals, ", ")
		if n < pr.Quorum {
			head += " · approvers " + strings.Join(pr.Approvers, ", ")
		}
	} else {
		head += " · low risk: no approvals needed"
	}
	if inc := s.Incidents[pr.Incident]; inc != nil {
		if e := evidenceBefore(s, inc, pr); e.n == 0 {
			// The failed runs first: "collect it first" is what gives way to the width.
			w := "no evidence on the incident before this proposal: collect it first"
			if e.failed > 0 {
				w = "no evidence before it" + e.failedNote() + ": collect it first"
			}
			facts = append(facts, p.ink.warn.on(fit(w, p.Width)))
		} else {
			facts = append(facts, p.ink.muted.on(fit(e.some(p.Live.Now, p.Live.Loc), p.Width)))
		}
	}
	switch {
	case pr.ID == p.Live.Running:
		facts = append(facts, p.ink.warn.on(fit("running here…", p.Width)))
	case pr.Exec != nil:
		e := pr.Exec
		t := "ran by " + e.By + " " + when(e.At) + ": exit " + itoa(e.ExitCode) + " in " + duration(e.DurationMs) +
			" · output " + size(e.OutputSize) + " sha256 " + short(e.Output)
		ink := p.ink.ok
		if e.ExitCode != 0 || e.TimedOut {
			ink = p.ink.err
		}
		// The key that reads it, kept whole: at 80 columns the key line has no room for it.
		facts = append(facts, ink.on(fitTail(t, " · o reads it", p.Width)))
	}
	return p.detail(d, head, pr.Command, facts)
}

func (p *runbooksPane) runbookDetail(r RunbookLine, d int) []string {
	// The risk and quorum decide what proposing it takes: the title gives way to them.
	head := fitTail(clean(r.Title), " · risk "+r.Risk+quorum(r), p.Width-3)
	var params []string
	for _, prm := range r.Params {
		params = append(params, prm.Name)
	}
	fact := itoa(len(r.Steps)) + " steps"
	if len(r.Steps) == 1 {
		fact = "1 step"
	}
	if len(params) > 0 {
		fact += " · params " + strings.Join(params, ", ")
	}
	if inc := p.Live.Incident; inc != nil && !r.appliesTo(inc.Severity) {
		fact += " · for " + strings.Join(r.Severity, ", ") + " (this is " + inc.Severity + ")"
	}
	hint := "" // the key is what a responder acts on: the list of params gives way to it
	if p.Keys.Propose.Enabled() {
		hint = " · p proposes"
	}
	return p.detail(d, head, r.Command, []string{p.ink.muted.on(fitTail(fact, hint, p.Width))})
}

func quorum(r RunbookLine) string {
	if r.Risk == domain.RiskHigh && r.Quorum > 0 {
		return " quorum " + itoa(r.Quorum)
	}
	return ""
}
