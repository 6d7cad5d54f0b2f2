package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// helpView is the `?` screen: every key, grouped, read from the KeyMap and the panes' own
// help, so it cannot drift from what the keys do. A key that does not apply to a pane's
// selected row is listed in parentheses, not left out: what the screen lists for a tab
// does not depend on where the cursor is. Keys off for good (a read-only view) are left
// out.
type helpView struct {
	lines  []string // one column's lines, groups one after another
	colW   int
	cols   int
	scroll int
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

// layout flows the groups into as many columns as the width allows.
func (h *helpView) layout(m *Model) {
	c := m.ctx
	h.lines = h.lines[:0]
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
		h.lines = append(h.lines, c.ink.title.on(fit(g.title, h.colW-1))+" ")
		h.lines = append(h.lines, rows...)
		h.lines = append(h.lines, spaces(h.colW))
	}
	h.cols = m.lay.w / h.colW
	if h.cols < 1 {
		h.cols, h.colW = 1, m.lay.w
	}
	h.clamp(m)
}

func (h *helpView) height(m *Model) int { return m.lay.bodyH }

func (h *helpView) clamp(m *Model) {
	max := len(h.lines) - h.height(m)*h.cols
	if h.scroll > max {
		h.scroll = max
	}
	if h.scroll < 0 {
		h.scroll = 0
	}
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
		h.scroll++
	case key.Matches(msg, k.Up):
		h.scroll--
	case key.Matches(msg, k.PageDown):
		h.scroll += h.height(m)
	case key.Matches(msg, k.PageUp):
		h.scroll -= h.height(m)
	}
	if m.help != nil {
		h.clamp(m)
	}
	return nil
}

// view fills the body: columns side by side, each height lines tall.
func (h *helpView) view(m *Model) []string {
	ht := h.height(m)
	out := make([]string, ht)
	for r := 0; r < ht; r++ {
		var b strings.Builder
		for c := 0; c < h.cols; c++ {
			i := h.scroll + c*ht + r
			if i < len(h.lines) {
				b.WriteString(padLine(h.lines[i], h.colW))
			}
		}
		out[r] = padLine(b.String(), m.lay.w)
	}
	if more := len(h.lines) - h.scroll - ht*h.cols; more > 0 && ht > 0 {
		out[ht-1] = m.ctx.ink.muted.on(fit(" ↓ more ("+itoa(more)+" lines)", m.lay.w))
	}
	return out
}
