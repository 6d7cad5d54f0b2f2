package tui

import (
	"errors"
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// timersPane counts down every deadline of the selected incident. Each countdown is
// deadline - now from the one clock; recurring timers show their next deadline
// (Timer.NextDue), so a comms update every 30 min re-arms by itself.
type timersPane struct {
	Common
	rows []*domain.Timer
	cur  cursor
	sel  domain.ID
}

func newTimersPane(c *Context) *timersPane { return &timersPane{Common: Common{Context: c}} }

func (p *timersPane) SetSize(w, h int) { p.Common.SetSize(w, h); p.cur.setHeight(h) }

func (p *timersPane) Title() string {
	late := 0
	now := p.Live.nowMS()
	for _, t := range p.rows {
		if !t.Met && t.NextDue(now) < now {
			late++
		}
	}
	s := "T-minus · " + itoa(len(p.rows))
	if late > 0 {
		s += " · " + itoa(late) + " OVERDUE"
	}
	return s
}

// rebuild orders unmet timers by their deadline in force now, met ones last. The order
// depends on the clock (a recurring timer moves down when it re-arms), so it is redone
// on every tick too: an incident has a handful of timers, not thousands.
func (p *timersPane) rebuild() {
	p.rows = p.rows[:0]
	if inc := p.Live.Incident; inc != nil {
		for _, id := range inc.Timers {
			if t := p.Live.State.Timers[id]; t != nil {
				p.rows = append(p.rows, t)
			}
		}
	}
	now := p.Live.nowMS()
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if a.Met != b.Met {
			return !a.Met
		}
		return a.NextDue(now) < b.NextDue(now)
	})
	p.cur.follow(len(p.rows), func(i int) bool { return p.rows[i].ID == p.sel })
	p.remember()
}

func (p *timersPane) remember() {
	if p.cur.pos < len(p.rows) {
		p.sel = p.rows[p.cur.pos].ID
	}
}

func (p *timersPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg, clockMsg:
		p.rebuild()
	case tea.KeyMsg:
		if p.cur.move(p.Keys, msg) {
			p.remember()
			return p, nil
		}
		if key.Matches(msg, p.Keys.Met) && p.cur.pos < len(p.rows) {
			t := p.rows[p.cur.pos]
			if t.Met {
				return p, send(doneMsg{pane: paneTimers, err: errors.New("that timer is already met")})
			}
			return p, send(doRequest{pane: paneTimers, body: &domain.TimerDone{Timer: t.ID}, what: "met: " + clean(t.Label)})
		}
	}
	return p, nil
}

// row: ▸T-14:59  Containment check (every 30m)        or  T+02:13  Snapshot  OVERDUE
func (p *timersPane) row(t *domain.Timer, sel bool) string {
	now := p.Live.nowMS()
	due := t.NextDue(now)
	cd := countdown(due, now)
	late := !t.Met && due < now
	if t.Met {
		cd = "met " + clock(t.MetAt, p.Live.Now, p.Live.Loc, false)
	}
	label := clean(t.Label)
	if t.Every > 0 {
		label += " (every " + every(t.Every) + ")"
	}
	tail := ""
	if late {
		tail = " OVERDUE"
	}
	cdW := 10
	lw := p.Width - 1 - cdW - 1 - len(tail)
	label = cut(label, lw) // OVERDUE follows the label; it is not lost at the far edge
	lw = width(label)
	if sel && p.Focused {
		return p.ink.selected.on(fit("▸"+fit(cd, cdW)+" "+label+tail, p.Width))
	}
	cs := p.ink.due
	switch {
	case late:
		cs = p.ink.overdue
	case t.Met:
		cs = p.ink.muted
	}
	return marker(sel) + cs.on(fit(cd, cdW)) + " " + p.ink.row.on(label) + p.ink.overdue.on(tail) +
		spaces(p.Width-1-cdW-1-lw-len(tail))
}

func (p *timersPane) View() string {
	lines := make([]string, 0, p.Height)
	switch {
	case p.Live.Incident == nil:
		lines = append(lines, p.ink.muted.on(fit(" no incident selected", p.Width)))
	case len(p.rows) == 0:
		lines = append(lines, p.ink.muted.on(fit(" no deadlines yet: T adds one", p.Width)))
	}
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(p.rows[i], i == p.cur.pos))
	}
	return fill(lines, p.Width, p.Height)
}

func (p *timersPane) ShortHelp() []key.Binding {
	k := p.Keys
	return []key.Binding{k.AddTimer, k.Met}
}

func (p *timersPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.AddTimer, k.Met}}
}
