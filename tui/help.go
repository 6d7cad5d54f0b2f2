package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// helpView is the `?` screen: every key, grouped, read from the KeyMap and the panes' own
// help, so it cannot drift from what the keys do. A key that does not apply to a pane's
// selected row is listed in parentheses, not left out: what the screen lists for a tab
// does not depend on where the cursor is. Keys off for good (a read-only view) are left
// out.
//
// The groups are packed into columns; a group that goes on in the next column repeats
// its title there, so no column starts with keys whose title is at the foot of the one
// before. When the columns do not all fit, the last row is kept for "↓ more" (it never
// covers a key), and the keys move a column (j/k) or a screen (pgdn/pgup) at a time.
type helpView struct {
	lines   []string    // every group's lines, one after another
	groups  []helpBlock // each group's title and key lines
	columns [][]string  // the groups packed into columns of at most colH lines
	colW    int
	cols    int // columns side by side
	colH    int
	first   int // the first column shown
}

type helpBlock struct {
	title string
	rows  []string
}

type helpGroup struct {
	title    string
	bindings []key.Binding
	// view: the keys of a view that opens over the pane (the output viewer, the whole
	// command), listed as they work there, whether or not it is open now.
	view bool
}

// helpSections is implemented by a pane whose keys fall into groups of their own, with
// titles (the runbooks pane, its output viewer and its whole-command view).
type helpSections interface {
	helpSections() []helpGroup
}

func (m *Model) helpGroups() []helpGroup {
	k := m.ctx.Keys
	groups := []helpGroup{
		{title: "Selected incident (any tab)", bindings: []key.Binding{k.Severity, k.Status, k.Lead, k.AddTask, k.AddTimer, k.Note}},
		{title: "Anywhere", bindings: append([]key.Binding{k.Declare, k.NextPane, k.PrevPane}, k.tabKeys()...)},
		{title: "Moving in a list", bindings: k.nav()},
	}
	// The focused pane first, then the others: all of them, since `?` shows every key.
	order := []paneID{m.focus}
	for i := paneID(0); i < paneCount; i++ {
		if i != m.focus {
			order = append(order, i)
		}
	}
	for _, id := range order {
		title := paneNames[id]
		if id == m.focus {
			title += " (this pane)"
		}
		if hs, ok := m.panes[id].(helpSections); ok {
			for i, g := range hs.helpSections() {
				if i == 0 {
					g.title = title
				}
				groups = append(groups, g)
			}
			continue
		}
		var bs []key.Binding
		for _, g := range m.panes[id].FullHelp() {
			bs = append(bs, g...)
		}
		groups = append(groups, helpGroup{title: title, bindings: bs})
	}
	groups = append(groups,
		helpGroup{title: "Forms", bindings: k.form()},
		helpGroup{title: "Leaving", bindings: []key.Binding{k.Help, k.Quit, k.ForceQuit}})
	return groups
}

func (m *Model) openHelp() {
	m.help = &helpView{}
	m.help.layout(m)
}

// layout builds the groups' lines and packs them for the screen's size.
func (h *helpView) layout(m *Model) {
	c := m.ctx
	h.lines, h.groups = h.lines[:0], h.groups[:0]
	h.colW = 38
	keyW := 12
	k := m.ctx.Keys
	for _, g := range m.helpGroups() {
		var rows []string
		off := false
		for _, b := range g.bindings {
			if k.gone(b) {
				continue
			}
			hp := b.Help()
			if !b.Enabled() && !g.view {
				off = true
				rows = append(rows, " "+c.ink.muted.on(fit("("+hp.Key+")", keyW))+" "+c.ink.muted.on(fit(hp.Desc, h.colW-keyW-3)))
				continue
			}
			rows = append(rows, " "+c.ink.helpKey.on(fit(hp.Key, keyW))+" "+c.ink.helpDesc.on(fit(hp.Desc, h.colW-keyW-3)))
		}
		if len(rows) == 0 {
			continue
		}
		if off {
			rows = append(rows, " "+c.ink.muted.on(fit("( ) not on the selected row", h.colW-2)))
		}
		h.groups = append(h.groups, helpBlock{title: g.title, rows: rows})
		h.lines = append(append(append(h.lines, h.titleLine(m, g.title)), rows...), spaces(h.colW))
	}
	h.cols = m.lay.w / h.colW
	if h.cols < 1 {
		h.cols, h.colW = 1, m.lay.w
	}
	ht := h.height(m)
	h.pack(m, ht)
	if len(h.columns) > h.cols && ht > 1 {
		h.pack(m, ht-1) // the last row says there is more
	}
	h.clamp()
}

func (h *helpView) titleLine(m *Model, title string) string {
	return m.ctx.ink.title.on(fit(title, h.colW-1)) + " "
}

// pack flows the groups into columns of at most colH lines, a blank line between two
// groups of one column. A group goes on in the next column, its title repeated, when at
// least two of its keys fit under its title at the foot of this one; otherwise it starts
// the next column.
func (h *helpView) pack(m *Model, colH int) {
	h.colH = max(colH, 1)
	h.columns = h.columns[:0]
	var col []string
	flush := func() {
		if len(col) > 0 {
			h.columns = append(h.columns, col)
			col = nil
		}
	}
	for _, g := range h.groups {
		title, rows := g.title, g.rows
		for len(rows) > 0 {
			var sep []string
			if len(col) > 0 {
				sep = []string{spaces(h.colW)}
			}
			room := h.colH - len(col) - len(sep) - 1 // key lines that fit under the title here
			n := len(rows)
			switch {
			case n <= room:
			case len(col) == 0:
				n = max(room, 1) // a group taller than a column: it always moves on
			case room >= 2:
				n = room
			default:
				flush()
				continue
			}
			col = append(append(append(col, sep...), h.titleLine(m, title)), rows[:n]...)
			if rows = rows[n:]; len(rows) > 0 {
				title = g.title + " (cont.)"
				flush()
			}
		}
	}
	flush()
}

func (h *helpView) height(m *Model) int { return m.lay.bodyH }

func (h *helpView) clamp() {
	h.first = min(h.first, len(h.columns)-h.cols)
	h.first = max(h.first, 0)
}

// hidden counts the lines of the columns after those shown.
func (h *helpView) hidden() int {
	n := 0
	for i := h.first + h.cols; i < len(h.columns); i++ {
		n += len(h.columns[i])
	}
	return n
}

func (m *Model) helpKey(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	h := m.help
	switch {
	case key.Matches(msg, k.ForceQuit):
		return m.quit()
	case key.Matches(msg, k.Help), key.Matches(msg, k.Cancel), key.Matches(msg, k.Quit):
		m.help = nil
	case key.Matches(msg, k.Down):
		h.first++
	case key.Matches(msg, k.Up):
		h.first--
	case key.Matches(msg, k.PageDown):
		h.first += h.cols
	case key.Matches(msg, k.PageUp):
		h.first -= h.cols
	case key.Matches(msg, k.Top):
		h.first = 0
	case key.Matches(msg, k.Bottom):
		h.first = len(h.columns)
	case key.Matches(msg, k.NextPane):
		m.help = nil
		m.setFocus((m.focus + 1) % paneCount)
	case key.Matches(msg, k.PrevPane):
		m.help = nil
		m.setFocus((m.focus + paneCount - 1) % paneCount)
	default:
		// A tab's key leaves the help for that tab, as the help lists it. Any other key
		// would act on panes hidden behind the help (a stray a acks an alert nobody
		// sees): it says how to leave instead of doing nothing without a word.
		for i, b := range k.Tabs {
			if key.Matches(msg, b) {
				m.help = nil
				m.setFocus(paneID(i))
				return nil
			}
		}
		m.status = failed(errors.New("the help is open: esc closes it, then " + msg.String() + " acts on the cockpit"))
	}
	if m.help != nil {
		h.clamp()
	}
	return nil
}

// view fills the body: the columns shown side by side, and "↓ more" on the row kept
// for it.
func (h *helpView) view(m *Model) []string {
	ht := h.height(m)
	out := make([]string, ht)
	for r := 0; r < ht; r++ {
		var b strings.Builder
		for c := 0; c < h.cols && h.first+c < len(h.columns); c++ {
			col := h.columns[h.first+c]
			line := ""
			if r < len(col) {
				line = col[r]
			}
			b.WriteString(padLine(line, h.colW))
		}
		out[r] = padLine(b.String(), m.lay.w)
	}
	if more := h.hidden(); more > 0 && ht > 1 {
		out[ht-1] = m.ctx.ink.muted.on(fit(" ↓ more ("+itoa(more)+" lines): j or pgdn", m.lay.w))
	}
	return out
}
