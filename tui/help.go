package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// helpView is the `?` screen: every enabled key, grouped, read from the KeyMap and the
// panes' own help, so it cannot drift from what the keys do. Disabled keys are left out.
type helpView struct {
	lines  []string // one column's lines, groups one after another
	colW   int
	cols   int
	scroll int
}

type helpGroup struct {
	title    string
	bindings []key.Binding
}

func (m *Model) helpGroups() []helpGroup {
	k := m.ctx.Keys
	groups := []helpGroup{
		{"Selected incident (any tab)", []key.Binding{k.Severity, k.Status, k.Lead, k.AddTask, k.AddTimer, k.Note}},
		{"Anywhere", append([]key.Binding{k.Declare, k.NextPane, k.PrevPane}, k.tabKeys()...)},
		{"Moving in a list", k.nav()},
	}
	// The focused pane first, then the others: all of them, since `?` shows every key.
	order := []paneID{m.focus}
	for i := paneID(0); i < paneCount; i++ {
		if i != m.focus {
			order = append(order, i)
		}
	}
	for _, id := range order {
		var bs []key.Binding
		for _, g := range m.panes[id].FullHelp() {
			bs = append(bs, g...)
		}
		title := paneNames[id]
		if id == m.focus {
			title += " (this pane)"
		}
		groups = append(groups, helpGroup{title, bs})
	}
	groups = append(groups,
		helpGroup{"Forms", k.form()},
		helpGroup{"Leaving", []key.Binding{k.Help, k.Quit, k.ForceQuit}})
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
	for _, g := range m.helpGroups() {
		var rows []string
		for _, b := range g.bindings {
			if !b.Enabled() {
				continue
			}
			hp := b.Help()
			rows = append(rows, " "+c.ink.helpKey.on(fit(hp.Key, keyW))+" "+c.ink.helpDesc.on(fit(hp.Desc, h.colW-keyW-3)))
		}
		if len(rows) == 0 {
			continue
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
