package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/themes"
)

// Context is what every pane draws and reads with. The root builds one per program (per
// terminal: two SSH sessions get two) and hands the same pointer to each pane; nothing in
// this package is global.
type Context struct {
	R      *lipgloss.Renderer
	Styles *themes.Styles
	Keys   *KeyMap
	ink    *ink
	Live   *Live
}

// Live is the part of the context that changes while the program runs. Only the root
// writes it, and only in Update, so panes read it in Update and View without locks.
type Live struct {
	State    *domain.State
	Now      time.Time
	Loc      *time.Location
	Me       string
	Incident *domain.Incident // the selected incident; nil when there is none
	Runbooks []RunbookLine
	// RunbookProblems are the runbook files left out because they are broken
	// (Backend.RunbookProblems); nil when there are none.
	RunbookProblems []string
	// Running is the proposal whose command runs here now (one at a time); zero when none.
	Running domain.ID
	// Timeline is the selected incident's timeline, read from the backend when the state
	// or the selection changes: the state does not hold timelines. TimelineErr is why the
	// last read failed; Timeline then still holds the rows read before, if they are the
	// same incident's, and nothing otherwise.
	Timeline    []domain.Entry
	TimelineErr error
	timelineOf  domain.ID // the incident Timeline was read for
	// Firings is each acknowledged alert's current firing, read from the backend when the
	// state changes (Backend.Firings); nil until a read succeeds. FiringsErr is why the
	// last read failed; Firings then holds the last read's.
	Firings    map[domain.ID]*domain.Firing
	FiringsErr error
}

// acks are the acknowledgements of the alert's current firing: those made since it last
// started firing. Before the firings were ever read, the alert's own, every firing's.
func (l *Live) acks(al *domain.Alert) []domain.Ack {
	if l.Firings == nil {
		return al.Acks
	}
	if f := l.Firings[al.ID]; f != nil {
		return f.Acks
	}
	return nil
}

// Common is embedded by every pane: the shared context plus the pane's own size and focus.
type Common struct {
	*Context
	Width, Height int
	Focused       bool
}

func (c *Common) SetSize(w, h int) { c.Width, c.Height = w, h }

// nowMS is the one clock, in the unit the state uses.
func (l *Live) nowMS() int64 { return l.Now.UnixMilli() }

// paint applies a style by plain concatenation. lipgloss's Render re-measures and
// re-splits its input on every call, which at a few microseconds a cell group is most of
// View's budget on a 200x60 screen; styles here only colour single lines, so their escape
// prefix and suffix are taken once from a rendered sentinel and reused.
type paint struct{ pre, post string }

const sentinel = "\uE000"

func newPaint(s lipgloss.Style) paint {
	out := s.Render(sentinel)
	i := strings.Index(out, sentinel)
	if i < 0 { // cannot happen for a single-line style; fall back to no styling
		return paint{}
	}
	return paint{pre: out[:i], post: out[i+len(sentinel):]}
}

func (p paint) on(s string) string {
	if s == "" || (p.pre == "" && p.post == "") {
		return s
	}
	return p.pre + s + p.post
}

// ink holds the paints of every style the panes use, built from one Styles.
type ink struct {
	header, title, muted, due, overdue, row, selected paint
	ok, warn, err, drill, tab, tabActive, paneTitle   paint
	helpKey, helpDesc, formLabel, formErr             paint
	badge, status                                     map[string]paint
	// Styled border glyphs, focused and not, so a frame costs no Render per line.
	border, borderFocused frameGlyphs
}

type frameGlyphs struct {
	b           lipgloss.Border
	p           paint
	left, right string // painted vertical glyphs
}

func newInk(s *themes.Styles, r *lipgloss.Renderer) *ink {
	k := &ink{
		header: newPaint(s.Header), title: newPaint(s.HeaderTitle), muted: newPaint(s.Muted),
		due: newPaint(s.Due), overdue: newPaint(s.Overdue), row: newPaint(s.Row), selected: newPaint(s.RowSelected),
		ok: newPaint(s.OK), warn: newPaint(s.Warn), err: newPaint(s.Error), drill: newPaint(s.Drill),
		tab: newPaint(s.Tab), tabActive: newPaint(s.TabActive), paneTitle: newPaint(s.PaneTitle),
		helpKey: newPaint(s.HelpKey), helpDesc: newPaint(s.HelpDesc), formLabel: newPaint(s.FormLabel),
		formErr: newPaint(s.FormError),
		badge:   map[string]paint{}, status: map[string]paint{},
	}
	for _, sev := range domain.Severities {
		k.badge[sev] = newPaint(s.Badge(sev))
	}
	for _, st := range domain.Statuses {
		k.status[st] = newPaint(s.Status(st))
	}
	k.border = glyphs(s.Border, s.PaneBlurred, r)
	k.borderFocused = glyphs(s.FocusedBorder, s.PaneFocused, r)
	return k
}

func glyphs(b lipgloss.Border, st lipgloss.Style, r *lipgloss.Renderer) frameGlyphs {
	fg := r.NewStyle()
	if _, none := st.GetBorderTopForeground().(lipgloss.NoColor); !none {
		fg = fg.Foreground(st.GetBorderTopForeground())
	}
	p := newPaint(fg)
	return frameGlyphs{b: b, p: p, left: p.on(b.Left), right: p.on(b.Right)}
}

// badge is a severity as text first: "[P1]" reads as P1 in any colour profile.
func (c *Context) badge(sev string) string {
	if sev == "" {
		return "[--]"
	}
	return c.ink.badge[sev].on("[" + sev + "]")
}

// statusWord is an incident status in capitals, coloured when the profile allows.
func (c *Context) statusWord(st string, width int) string {
	return c.ink.status[st].on(fit(strings.ToUpper(st), width))
}
