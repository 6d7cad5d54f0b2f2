package tui

import (
	"errors"
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// tasksPane lists the selected incident's tasks: open ones first, soonest due first (so
// overdue ones lead), then done ones. Overdue reads as "OVERDUE", not only as red.
type tasksPane struct {
	Common
	rows []*domain.Task
	cur  cursor
	sel  domain.ID
}

func newTasksPane(c *Context) *tasksPane { return &tasksPane{Common: Common{Context: c}} }

func (p *tasksPane) SetSize(w, h int) { p.Common.SetSize(w, h); p.cur.setHeight(h) }

func (p *tasksPane) Title() string {
	open, late := 0, 0
	now := p.Live.nowMS()
	for _, t := range p.rows {
		if !t.Done {
			open++
			if t.Due > 0 && t.Due < now {
				late++
			}
		}
	}
	s := "Tasks · " + itoa(open) + " open"
	if late > 0 {
		s += " · " + itoa(late) + " OVERDUE"
	}
	return s
}

func (p *tasksPane) rebuild() {
	p.rows = p.rows[:0]
	inc := p.Live.Incident
	if inc != nil {
		for _, id := range inc.Tasks {
			if t := p.Live.State.Tasks[id]; t != nil {
				p.rows = append(p.rows, t)
			}
		}
	}
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if a.Done != b.Done {
			return !a.Done
		}
		if a.Done {
			return false
		}
		if (a.Due > 0) != (b.Due > 0) {
			return a.Due > 0
		}
		return a.Due < b.Due
	})
	p.cur.follow(len(p.rows), func(i int) bool { return p.rows[i].ID == p.sel })
	p.remember()
}

func (p *tasksPane) remember() {
	if p.cur.pos < len(p.rows) {
		p.sel = p.rows[p.cur.pos].ID
	}
}

func (p *tasksPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rebuild()
	case doneMsg:
		if msg.err == nil && msg.what == "task added" {
			p.sel = msg.id // show the new task under the cursor
			p.rebuild()
		}
	case tea.KeyMsg:
		if p.cur.move(p.Keys, msg) {
			p.remember()
			return p, nil
		}
		if p.cur.pos >= len(p.rows) {
			return p, nil
		}
		t := p.rows[p.cur.pos]
		switch {
		case key.Matches(msg, p.Keys.Done):
			if t.Done {
				return p, send(doneMsg{pane: paneTasks, err: errors.New("that task is already done (R reopens it)")})
			}
			return p, send(doRequest{pane: paneTasks, body: &domain.TaskDone{Task: t.ID}, what: "done: " + clean(t.Title)})
		case key.Matches(msg, p.Keys.Reopen):
			if !t.Done {
				return p, send(doneMsg{pane: paneTasks, err: errors.New("that task is not done")})
			}
			return p, send(doRequest{pane: paneTasks, body: &domain.TaskReopen{Task: t.ID}, what: "reopened: " + clean(t.Title)})
		case key.Matches(msg, p.Keys.Owner):
			return p, send(formRequest{p.ownerForm(t)})
		}
	}
	return p, nil
}

// row: ▸[ ] Snapshot vault balances at block 19,442,001   bob      due 03:54 OVERDUE

// due is a task's due or done time in words, and whether it is overdue.
func (p *tasksPane) due(t *domain.Task) (string, bool) {
	switch {
	case t.Done:
		return "done " + clock(t.DoneAt, p.Live.Now, p.Live.Loc, false), false
	case t.Due > 0:
		// Wall-clock due times, not countdowns: the header's NEXT and the T-minus pane
		// count down, and a pane of ticking rows would rewrite every row every second.
		due := "due " + clock(t.Due, p.Live.Now, p.Live.Loc, false)
		if t.Due < p.Live.nowMS() {
			return due + " OVERDUE", true
		}
		return due, false
	}
	return "", false
}

// dueWidth is the due column's width: its widest entry, over every row so that it holds
// still while the list scrolls. A fixed 21 cells cut "due Mar 14 03:54 OVERDUE" and took
// from the titles what tasks without a due time never use.
func (p *tasksPane) dueWidth() int {
	w := 0
	for _, t := range p.rows {
		d, _ := p.due(t)
		w = max(w, width(d))
	}
	return w
}
func (p *tasksPane) row(t *domain.Task, sel bool, dueW int) string {
	box := "[ ]"
	if t.Done {
		box = "[x]"
	}
	due, late := p.due(t)
	ownW := 9
	if p.Width < 60 {
		ownW = 0
	}
	tw := p.Width - 1 - 3 - 1 - 1 - ownW - dueW
	title := clean(t.Title)
	owner := ""
	if ownW > 0 {
		owner = fit(orNone(t.Owner), ownW-1) + " "
	}
	if sel && p.Focused {
		return p.ink.selected.on(fit("▸"+box+" "+fit(title, tw)+" "+owner+fit(due, dueW), p.Width))
	}
	dueS := p.ink.due.on(fit(due, dueW))
	switch {
	case late:
		dueS = p.ink.overdue.on(fit(due, dueW))
	case t.Done:
		dueS = p.ink.muted.on(fit(due, dueW))
	}
	ts := p.ink.row
	if t.Done {
		ts = p.ink.muted
	}
	return marker(sel) + box + " " + ts.on(fit(title, tw)) + " " + p.ink.muted.on(owner) + dueS
}

func orNone(h string) string {
	if h == "" {
		return "-"
	}
	return h
}

func (p *tasksPane) View() string {
	lines := make([]string, 0, p.Height)
	switch {
	case p.Live.Incident == nil:
		lines = append(lines, p.ink.muted.on(fit(" no incident selected", p.Width)))
	case len(p.rows) == 0:
		lines = append(lines, p.ink.muted.on(fit(" no tasks yet: t adds one", p.Width)))
	}
	from, to := p.cur.window()
	dueW := p.dueWidth()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(p.rows[i], i == p.cur.pos, dueW))
	}
	return fill(lines, p.Width, p.Height)
}

// ShortHelp offers what enter cannot do on the selected task: on one
// already done, R reopens it.
func (p *tasksPane) ShortHelp() []key.Binding {
	k := p.Keys
	if p.cur.pos < len(p.rows) && p.rows[p.cur.pos].Done {
		return []key.Binding{k.AddTask, k.Reopen, k.Owner}
	}
	return []key.Binding{k.AddTask, k.Done, k.Owner}
}

func (p *tasksPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.AddTask, k.Done, k.Reopen, k.Owner}}
}
