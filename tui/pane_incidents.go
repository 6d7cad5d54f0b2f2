package tui

import (
	"time"

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

func (p *incidentsPane) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.cur.setHeight(h - p.detailHeight())
}

// detailHeight reserves the pane's last lines for the selected incident's
// course and contents once the pane is tall enough, as the alerts pane does:
// the header already shows its severity, status and roles.
func (p *incidentsPane) detailHeight() int {
	if p.Height >= 12 {
		return 3
	}
	return 0
}

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
	if d := p.detailHeight(); d > 0 && p.cur.pos < len(p.rows) {
		for len(lines) < p.Height-d {
			lines = append(lines, spaces(p.Width))
		}
		lines = append(lines, p.detail(p.rows[p.cur.pos])...)
	}
	return fill(lines, p.Width, p.Height)
}

// detail: three lines on the selected incident: its title, its course (who
// declared it, the first ack, each status it reached) and what it holds.
func (p *incidentsPane) detail(inc *domain.Incident) []string {
	st, l := p.Live.State, p.Live
	// Later facts on the declaration's day drop the date it already gave.
	day := time.UnixMilli(inc.DeclaredAt).In(l.Loc).Format(time.DateOnly)
	at := func(ms int64) string {
		if time.UnixMilli(ms).In(l.Loc).Format(time.DateOnly) == day {
			return time.UnixMilli(ms).In(l.Loc).Format("15:04")
		}
		return clock(ms, l.Now, l.Loc, false)
	}
	course := []string{"declared " + clock(inc.DeclaredAt, l.Now, l.Loc, false) + " by " + clean(inc.DeclaredBy)}
	if inc.AckedBy != "" {
		course = append(course, "acked "+at(inc.AckedAt)+" by "+clean(inc.AckedBy))
	}
	for _, s := range domain.Statuses[1:] {
		if t, ok := inc.Reached[s]; ok {
			course = append(course, s+" "+at(t))
		}
	}
	var holds []string
	if sc, ok := domain.ScoreDrill(st, inc, l.Now.UnixMilli()); ok {
		d := "drill " + itoa(sc.Met()) + "/" + itoa(len(sc.Results)) + " met"
		if !sc.Over {
			d += " so far"
		}
		holds = append(holds, d)
	}
	firing := 0
	for _, id := range inc.Alerts {
		if al := st.Alerts[id]; al != nil && al.Status == domain.AlertFiring {
			firing++
		}
	}
	open := 0
	for _, id := range inc.Tasks {
		if t := st.Tasks[id]; t != nil && !t.Done {
			open++
		}
	}
	holds = append(holds, "tasks "+itoa(open)+"/"+itoa(len(inc.Tasks))+" open",
		"alerts "+itoa(firing)+"/"+itoa(len(inc.Alerts))+" firing", "timers "+itoa(len(inc.Timers)),
		"evidence "+itoa(len(inc.Evidence)))
	if n := len(inc.Proposals); n > 0 {
		holds = append(holds, "runbook steps "+itoa(n))
	}
	if n := len(inc.SafeTxs); n > 0 {
		holds = append(holds, "Safe txs "+itoa(n))
	}
	title := "─ [" + inc.Severity + "] " + clean(inc.Title) + " "
	if inc.Drill {
		title = "─ DRILL [" + inc.Severity + "] " + clean(inc.Title) + " "
	}
	return []string{
		p.ink.muted.on(fit(title, p.Width)),
		" " + p.ink.row.on(fitFacts(course, " · ", p.Width-1)),
		" " + p.ink.muted.on(fitFacts(holds, " · ", p.Width-1)),
	}
}

func (p *incidentsPane) ShortHelp() []key.Binding {
	k := p.Keys
	return []key.Binding{k.Severity, k.Status, k.Lead}
}

func (p *incidentsPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Select, k.Severity, k.Status, k.Lead}}
}
