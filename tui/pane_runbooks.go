package tui

import (
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// runbooksPane lists the runbooks this device holds, those that fit the selected
// incident's severity first, with the state of any proposal of them on the incident, and
// shows the selected one's one-liner for `y` to copy over OSC 52. Proposing, approving
// and executing arrive with the runbooks integration; their keys exist, disabled.
type runbooksPane struct {
	Common
	rows []RunbookLine
	fits []bool
	// propW is the proposal column's width: 0 until the incident has a proposal.
	propW int
	cur   cursor
	sel   string
}

func newRunbooksPane(c *Context) *runbooksPane { return &runbooksPane{Common: Common{Context: c}} }

// detailHeight is the lines under the list for the selected runbook: its title and its
// one-liner, wrapped, since the command is what the responder came for.
func (p *runbooksPane) detailHeight() int {
	switch {
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
	p.cur.setHeight(h - p.detailHeight())
}

func (p *runbooksPane) Title() string { return "Runbooks · " + itoa(len(p.rows)) }

func (p *runbooksPane) rebuild() {
	sev := ""
	if inc := p.Live.Incident; inc != nil {
		sev = inc.Severity
	}
	p.rows = append(p.rows[:0], p.Live.Runbooks...)
	// Runbooks already proposed on the incident first (their approvals are what is
	// pending), then those that fit its severity, then the rest.
	proposed := map[string]bool{}
	if inc := p.Live.Incident; inc != nil {
		for _, id := range inc.Proposals {
			if pr := p.Live.State.Proposals[id]; pr != nil {
				proposed[pr.Runbook] = true
			}
		}
	}
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if proposed[a.ID] != proposed[b.ID] {
			return proposed[a.ID]
		}
		if a.appliesTo(sev) != b.appliesTo(sev) {
			return a.appliesTo(sev)
		}
		return a.ID < b.ID
	})
	p.fits = p.fits[:0]
	p.propW = 0
	for _, r := range p.rows {
		p.fits = append(p.fits, sev == "" || r.appliesTo(sev))
		if p.proposal(r.ID) != "" {
			p.propW = 10
		}
	}
	p.cur.setLen(len(p.rows))
	for i, r := range p.rows {
		if r.ID == p.sel {
			p.cur.set(i)
		}
	}
	p.remember()
}

func (p *runbooksPane) remember() {
	if p.cur.pos < len(p.rows) {
		p.sel = p.rows[p.cur.pos].ID
	}
}

func (p *runbooksPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rebuild()
	case tea.KeyMsg:
		if p.cur.move(p.Keys, msg) {
			p.remember()
			return p, nil
		}
		if key.Matches(msg, p.Keys.Copy) && p.cur.pos < len(p.rows) {
			r := p.rows[p.cur.pos]
			return p, send(copyRequest{text: r.Command, what: "copied " + r.ID + " one-liner"})
		}
	}
	return p, nil
}

// proposal summarises the newest proposal of a runbook on the selected incident.
func (p *runbooksPane) proposal(id string) string {
	inc := p.Live.Incident
	if inc == nil {
		return ""
	}
	var last *domain.Proposal
	for _, pid := range inc.Proposals {
		if pr := p.Live.State.Proposals[pid]; pr != nil && pr.Runbook == id {
			last = pr
		}
	}
	switch {
	case last == nil:
		return ""
	case last.Exec != nil:
		return "exit " + itoa(last.Exec.ExitCode)
	case last.Risk == domain.RiskHigh:
		return itoa(len(last.Approvals)) + "/" + itoa(last.Quorum) + " appr"
	}
	return "proposed"
}

// row: ▸contract-pause         high  2/3 appr  Pause a contract (circuit breaker)
func (p *runbooksPane) row(i int, sel bool) string {
	r := p.rows[i]
	idW := 22
	if p.Width < 50 {
		idW = 16
	}
	tw := p.Width - 1 - idW - 1 - 4 - 1 - p.propW
	if tw < 12 {
		tw = 0 // too narrow to help; the title is in the detail line below
	}
	prop := fit(p.proposal(r.ID), p.propW)
	plain := fit(fit(r.ID, idW)+" "+fit(r.Risk, 4)+" "+prop+fit(clean(r.Title), tw), p.Width-1)
	switch {
	case sel && p.Focused:
		return p.ink.selected.on(fit("▸"+plain, p.Width))
	case !p.fits[i]:
		return marker(sel) + p.ink.muted.on(plain)
	case r.Risk == domain.RiskHigh:
		return marker(sel) + p.ink.row.on(fit(r.ID, idW)) + " " + p.ink.warn.on(fit(r.Risk, 4)) + " " +
			p.ink.row.on(fit(prop+fit(clean(r.Title), tw), p.Width-1-idW-1-4-1))
	}
	return marker(sel) + p.ink.row.on(plain)
}

func (p *runbooksPane) View() string {
	listH := p.Height - p.detailHeight()
	lines := make([]string, 0, p.Height)
	if len(p.rows) == 0 {
		lines = append(lines, p.ink.muted.on(fit(" no runbooks found", p.Width)))
	}
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(i, i == p.cur.pos))
	}
	for len(lines) < listH {
		lines = append(lines, spaces(p.Width))
	}
	if d := p.detailHeight(); d > 0 && p.cur.pos < len(p.rows) {
		r := p.rows[p.cur.pos]
		if d > 1 {
			lines = append(lines, p.ink.muted.on(fit("─ "+clean(r.Title)+" · risk "+r.Risk+quorum(r)+" ", p.Width)))
			d--
		}
		for _, l := range wrap("$ "+clean(r.Command), p.Width, d) {
			lines = append(lines, p.ink.due.on(fit(l, p.Width)))
		}
	}
	return fill(lines, p.Width, p.Height)
}

func quorum(r RunbookLine) string {
	if r.Risk == domain.RiskHigh && r.Quorum > 0 {
		return " quorum " + itoa(r.Quorum)
	}
	return ""
}

func (p *runbooksPane) ShortHelp() []key.Binding {
	k := p.Keys
	return []key.Binding{k.Copy, k.Propose, k.Approve, k.Exec}
}

func (p *runbooksPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Copy, k.Propose, k.Approve, k.Exec}}
}
