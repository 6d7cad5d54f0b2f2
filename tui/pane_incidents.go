package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/domain"
)

// incidentsPane lists incidents, open and most severe first. Moving the cursor selects:
// the header, tasks, timers and timeline follow at once, which is what a responder
// switching between two incidents wants.
type incidentsPane struct {
	Common
	rows []*domain.Incident
	cur  cursor
}

func newIncidentsPane(c *Context) *incidentsPane {
	return &incidentsPane{Common: Common{Context: c}}
}

func (p *incidentsPane) SetSize(w, h int) { p.Common.SetSize(w, h); p.cur.setHeight(h) }

func (p *incidentsPane) Title() string {
	open := 0
	for _, inc := range p.rows {
		if inc.Open() {
			open++
		}
	}
	return "Incidents · " + itoa(open) + " open"
}

func (p *incidentsPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rows = p.Live.State.SortedIncidents()
		inc := p.Live.Incident
		p.cur.follow(len(p.rows), func(i int) bool { return inc != nil && p.rows[i].ID == inc.ID })
	case tea.KeyMsg:
		if p.cur.move(p.Keys, msg) || key.Matches(msg, p.Keys.Select) {
			if p.cur.pos < len(p.rows) {
				return p, send(selectRequest{p.rows[p.cur.pos].ID})
			}
		}
	}
	return p, nil
}

// shortStatus keeps statuses distinct in four letters for narrow panes (COCKPIT.md).
var shortStatus = map[string]string{domain.StatusDeclared: "DECL", domain.StatusTriaged: "TRIA",
	domain.StatusContained: "CONT", domain.StatusRecovered: "RCVD", domain.StatusResolved: "RSLV"}

// row: ▸[P1] Vault drain on the L2 bridge          CONTAINED  03:16
func (p *incidentsPane) row(inc *domain.Incident, sel bool) string {
	w := p.Width
	// Today's incidents by time, older ones by date: one fixed column either way.
	when := clock(inc.DeclaredAt, p.Live.Now, p.Live.Loc, false)
	if len(when) > 5 {
		when = when[:6]
	}
	drill, tag := "", ""
	if inc.Drill {
		// The drill style may pad the word; measure what is drawn, not the word.
		drill, tag = "DRILL ", p.ink.drill.on("DRILL")+" "
	}
	stW, st := 9, upper(inc.Status)
	if w < 50 {
		stW, st = 4, shortStatus[inc.Status]
	}
	tw := w - 1 - 4 - 1 - ansi.StringWidth(tag) - 1 - stW - 1 - 6
	title := clean(inc.Title)
	if sel && p.Focused {
		return p.ink.selected.on(fit("▸["+inc.Severity+"] "+fit(drill+title, tw+ansi.StringWidth(tag))+" "+fit(st, stW)+" "+fit(when, 6), w))
	}
	return marker(sel) + p.badge(inc.Severity) + " " + tag + p.ink.row.on(fit(title, tw)) + " " +
		p.ink.status[inc.Status].on(fit(st, stW)) + " " + p.ink.muted.on(fit(when, 6))
}

func (p *incidentsPane) View() string {
	lines := make([]string, 0, p.Height)
	if len(p.rows) == 0 {
		lines = append(lines, p.ink.muted.on(fit(" no incidents: D declares one, i declares one from an alert", p.Width)))
	}
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(p.rows[i], i == p.cur.pos))
	}
	return fill(lines, p.Width, p.Height)
}

func (p *incidentsPane) ShortHelp() []key.Binding {
	k := p.Keys
	return []key.Binding{k.Severity, k.Status, k.Lead}
}

func (p *incidentsPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Select, k.Severity, k.Status, k.Lead}}
}
