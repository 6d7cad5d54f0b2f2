package tui

import (
	"errors"
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// timersPane counts down every deadline of the selected incident: its timers and its
// open tasks with a due time, the same ones the header's NEXT picks from (taskDeadlines),
// so the pane never says "no deadlines" while the header counts one down. Each countdown
// is deadline - now from the one clock; recurring timers show their next deadline
// (Timer.NextDue), so a comms update every 30 min re-arms by itself.
type timersPane struct {
	Common
	rows []deadline
	cur  cursor
	sel  domain.ID
}

// deadline is a timer or a task with a due time.
type deadline struct {
	timer *domain.Timer
	task  *domain.Task
	// idle: a timer of a resolved incident other than its retro. The header no longer
	// counts it down; neither does the pane, or a containment check would go OVERDUE
	// after the incident closed.
	idle bool
}

func (d deadline) id() domain.ID {
	if d.task != nil {
		return d.task.ID
	}
	return d.timer.ID
}

// due is the deadline in force at now.
func (d deadline) due(now int64) int64 {
	if d.task != nil {
		return d.task.Due
	}
	return d.timer.NextDue(now)
}

// met: a met timer; a task here is open (done ones leave the pane).
func (d deadline) met() bool { return d.timer != nil && d.timer.Met }

// counting: the deadline still counts down (neither met nor idle).
func (d deadline) counting() bool { return !d.met() && !d.idle }

// taskDeadlines are inc's open tasks with a due time, less those whose moment passed
// with the resolution (follow-ups stay): what the header and the T-minus pane count down.
func taskDeadlines(st *domain.State, inc *domain.Incident) []*domain.Task {
	var out []*domain.Task
	for _, id := range inc.Tasks {
		t := st.Tasks[id]
		if t == nil || t.Done || t.Due == 0 || (!inc.Open() && t.Due <= inc.ResolvedAt()) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func newTimersPane(c *Context) *timersPane { return &timersPane{Common: Common{Context: c}} }

func (p *timersPane) SetSize(w, h int) { p.Common.SetSize(w, h); p.cur.setHeight(h) }

func (p *timersPane) Title() string {
	late := 0
	now := p.Live.nowMS()
	for _, d := range p.rows {
		if d.counting() && d.due(now) < now {
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
		retro := domain.RetroTimerID(inc.ID)
		for _, id := range inc.Timers {
			if t := p.Live.State.Timers[id]; t != nil {
				p.rows = append(p.rows, deadline{timer: t, idle: !inc.Open() && id != retro})
			}
		}
		for _, t := range taskDeadlines(p.Live.State, inc) {
			p.rows = append(p.rows, deadline{task: t})
		}
	}
	now := p.Live.nowMS()
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if a.counting() != b.counting() {
			return a.counting()
		}
		return a.due(now) < b.due(now)
	})
	p.cur.follow(len(p.rows), func(i int) bool { return p.rows[i].id() == p.sel })
	p.remember()
}

func (p *timersPane) remember() {
	if p.cur.pos < len(p.rows) {
		p.sel = p.rows[p.cur.pos].id()
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
			d := p.rows[p.cur.pos]
			if d.task != nil { // enter on a task here does what it does on the Tasks tab
				return p, send(doRequest{pane: paneTimers, body: &domain.TaskDone{Task: d.task.ID}, what: "done: " + clean(d.task.Title)})
			}
			t := d.timer
			if t.Met {
				return p, send(doneMsg{pane: paneTimers, err: errors.New("that timer is already met")})
			}
			return p, send(doRequest{pane: paneTimers, body: &domain.TimerDone{Timer: t.ID}, what: "met: " + clean(t.Label)})
		}
	}
	return p, nil
}

// row: ▸T-14:59  Containment check (every 30m)        or  T+02:13  Snapshot (task, bob)  OVERDUE
func (p *timersPane) row(d deadline, sel bool) string {
	now := p.Live.nowMS()
	due := d.due(now)
	cd := countdown(due, now)
	late := d.counting() && due < now
	var label string
	switch t := d.timer; {
	case d.task != nil:
		label = clean(d.task.Title) + " (task"
		if d.task.Owner != "" {
			label += ", " + clean(d.task.Owner)
		}
		label += ")"
	case t.Met:
		cd = "met " + clock(t.MetAt, p.Live.Now, p.Live.Loc, false)
		label = clean(t.Label)
	case d.idle:
		cd = "resolved"
		label = clean(t.Label)
	default:
		label = clean(t.Label)
		if t.Every > 0 {
			label += " (every " + every(t.Every) + ")"
		}
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
	case !d.counting():
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
		lines = append(lines, p.ink.muted.on(fit(" no deadlines yet: T adds a timer, t a task", p.Width)))
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
