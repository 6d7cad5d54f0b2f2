package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"
)

// View draws the whole screen, or returns the last frame when nothing changed.
func (m *Model) View() string {
	if !m.dirty && m.frame != "" {
		return m.frame
	}
	m.frame = m.render()
	m.dirty = false
	return m.frame
}

func (m *Model) render() string {
	l := m.lay
	if l.w == 0 {
		return "" // no size yet: bubbletea sends one first thing
	}
	if l.mode == modeTooSmall {
		return m.tooSmall()
	}
	lines := make([]string, 0, l.h)
	lines = append(lines, m.header()...)
	var body []string
	switch {
	case m.help != nil:
		body = m.help.view(m)
	case l.mode == modeTabs:
		body = append(body, tabBar(m.ctx.ink, m.focus, l.w))
		body = append(body, strings.Split(m.panes[m.focus].View(), "\n")...)
	default:
		body = m.grid()
	}
	switch {
	case m.asking != "":
		aw := clamp(l.w-8, 20, 72)
		q := strings.Join(wordWrap(m.asking, aw, 3), "\n")
		body = overlay(body, m.ctx.Styles.Dialog.Render(
			q+"\n\n"+m.ctx.ink.helpKey.on("y")+" quit   "+m.ctx.ink.helpKey.on("n/esc")+" stay"), l.w)
	case m.dialog != nil:
		dw, dh := dialogSize(l.w, l.bodyH)
		body = overlay(body, m.ctx.Styles.Dialog.Render(m.dialog.view(m.ctx, dw, dh)), l.w)
	case m.form != nil:
		fw := clamp(l.w-4, 20, 72)
		body = overlay(body, m.ctx.Styles.Form.Render(m.form.view(m.ctx, fw-4)), l.w)
	}
	lines = append(lines, body...)
	lines = append(lines, m.footer()...)
	return strings.Join(lines, "\n")
}

// tooSmall says what is needed instead of drawing a broken screen; it must itself fit in
// any size, down to 1x1.
func (m *Model) tooSmall() string {
	l := m.lay
	msg := []string{"terminal too small", itoa(l.w) + "x" + itoa(l.h) + ", need " + itoa(minW) + "x" + itoa(minH), "q quits"}
	if m.asking != "" {
		// The quit question asked here, or before the terminal shrank: y and n answer it.
		msg = append(msg[:2], wordWrap(m.asking, max(l.w, 1), max(l.h-3, 1))...)
		msg = append(msg, "y quits · n stays")
	}
	out := make([]string, 0, l.h)
	for i := 0; i < l.h; i++ {
		s := ""
		if i < len(msg) {
			s = msg[i]
		}
		out = append(out, fit(s, l.w))
	}
	return strings.Join(out, "\n")
}

// grid lays the framed panes out in three bands (see layout).
func (m *Model) grid() []string {
	l := m.lay
	out := make([]string, 0, l.bodyH)
	band := func(ids ...paneID) {
		cols := make([][]string, len(ids))
		for i, id := range ids {
			cols[i] = m.framed(id)
		}
		for r := range cols[0] {
			var b strings.Builder
			for _, c := range cols {
				b.WriteString(c[r])
			}
			out = append(out, b.String())
		}
	}
	band(paneIncidents, paneAlerts, paneTimers)
	band(paneTasks, paneRunbooks)
	band(paneTimeline, paneRoster)
	return out
}

// framed draws a pane inside its border with the title in the top edge. The focused
// pane's border is thick, not only coloured.
func (m *Model) framed(id paneID) []string {
	p := m.panes[id]
	w, h := m.lay.pw[id], m.lay.ph[id]
	g := m.ctx.ink.border
	if id == m.focus {
		g = m.ctx.ink.borderFocused
	}
	title := cut(" "+itoa(int(id)+1)+" "+p.Title()+" ", w-2)
	top := g.p.on(g.b.TopLeft+g.b.Top) + m.ctx.ink.paneTitle.on(title) +
		g.p.on(strings.Repeat(g.b.Top, w-1-width(title))+g.b.TopRight)
	out := make([]string, 0, h+2)
	out = append(out, top)
	for _, line := range strings.Split(p.View(), "\n") {
		out = append(out, g.left+line+g.right)
	}
	out = append(out, g.p.on(g.b.BottomLeft+strings.Repeat(g.b.Bottom, w)+g.b.BottomRight))
	return out
}

// footer: the status line (or a rule) and the keys that matter right now.
func (m *Model) footer() []string {
	ink := m.ctx.ink
	w := m.lay.w
	var st string
	switch {
	case m.status.err:
		st = ink.err.on(fit(fitWords("✗ "+clean(m.status.text), w), w))
	case m.status.busy:
		st = ink.warn.on(fit(fitWords("… "+clean(m.status.text), w), w))
	case m.status.text != "":
		st = ink.ok.on(fit(fitWords("✓ "+clean(m.status.text), w), w))
	default:
		st = ink.muted.on(strings.Repeat("─", w))
	}
	k := m.ctx.Keys
	var bs, tail []key.Binding
	switch {
	case m.asking != "":
		bs = []key.Binding{k.Yes, k.No}
	case m.dialog != nil:
		if m.dialog.allowed(dialogSize(m.lay.w, m.lay.bodyH)) {
			bs = []key.Binding{k.Yes}
		}
		bs = append(bs, k.No)
	case m.form != nil && m.form.signing:
		bs = []key.Binding{k.Cancel} // the form takes no other key until it is stored
	case m.form != nil:
		bs = k.form()
	case m.help != nil:
		bs = []key.Binding{k.Cancel, k.Down, k.Up}
	default:
		// The pane's own keys first; help and quit always fit, cut last. A pane that owns
		// the keyboard (a filter being typed, the output viewer) takes those keys too.
		bs = m.panes[m.focus].ShortHelp()
		if !m.panes[m.focus].Capturing() {
			tail = []key.Binding{k.Declare, k.NextPane, k.Help, k.Quit}
		}
	}
	return []string{st, m.shortHelp(bs, tail, w)}
}

// shortHelp renders "a ack · i incident from alert · ? help · q quit" within w cells:
// as many of bs as fit before the tail, whose last items (help, quit) are kept longest.
// A key of bs that does not apply to the selected row is drawn dim in its place, not
// left out: the line stays the same while the cursor moves (a key off for good, in a
// read-only view, is left out).
func (m *Model) shortHelp(bs, tail []key.Binding, w int) string {
	ink := m.ctx.ink
	k := m.ctx.Keys
	item := func(b key.Binding) (string, int) {
		h := b.Help()
		n := width(h.Key) + 1 + width(h.Desc)
		if !b.Enabled() {
			return ink.muted.on(h.Key + " " + h.Desc), n
		}
		return ink.helpKey.on(h.Key) + " " + ink.helpDesc.on(h.Desc), n
	}
	sep, sepW := ink.muted.on(" · "), 3
	var tailS []string
	tailW := 0
	for i := len(tail) - 1; i >= 0; i-- {
		if !tail[i].Enabled() {
			continue
		}
		s, n := item(tail[i])
		if tailW+n+sepW+1 > w {
			break
		}
		tailS = append([]string{s}, tailS...)
		tailW += n + sepW
	}
	var b strings.Builder
	b.WriteByte(' ')
	used := 1
	for _, bd := range bs {
		if k.gone(bd) {
			continue
		}
		s, n := item(bd)
		if used > 1 {
			if used+sepW+n+tailW > w {
				break
			}
			b.WriteString(sep)
			used += sepW
		} else if used+n+tailW > w {
			break
		}
		b.WriteString(s)
		used += n
	}
	for _, s := range tailS {
		if used > 1 {
			b.WriteString(sep)
			used += sepW
		}
		b.WriteString(s)
		used += width(ansi.Strip(s))
	}
	return padLine(b.String(), w)
}

// overlay lays box (several lines, already framed) over the middle of body.
func overlay(body []string, box string, w int) []string {
	bl := strings.Split(box, "\n")
	bw := 0
	for _, l := range bl {
		if n := ansi.StringWidth(l); n > bw {
			bw = n
		}
	}
	if bw > w {
		bw = w
	}
	x := (w - bw) / 2
	y := (len(body) - len(bl)) / 2
	if y < 0 {
		y = 0
	}
	for i, l := range bl {
		r := y + i
		if r >= len(body) {
			break
		}
		bg := body[r]
		left := ansi.Truncate(bg, x, "")
		right := ansi.TruncateLeft(bg, x+bw, "")
		reset := ""
		if strings.Contains(bg, "\x1b") {
			// A colour cut open on the left must not bleed into the box, nor the box's
			// into the right.
			reset = "\x1b[0m"
		}
		body[r] = left + reset + padLine(l, bw) + reset + right
	}
	return body
}
