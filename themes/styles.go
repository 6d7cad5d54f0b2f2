package themes

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Styles are the named styles the cockpit draws with, all made by one renderer.
type Styles struct {
	// App wraps the whole view. It carries no colour: an outer colour is cut off by the
	// reset at the end of every inner style, so it would colour the screen in patches.
	App         lipgloss.Style
	Header      lipgloss.Style
	HeaderTitle lipgloss.Style
	Drill       lipgloss.Style

	Tab       lipgloss.Style
	TabActive lipgloss.Style

	// Border frames a pane, FocusedBorder the focused one. They differ in shape, not only
	// colour, so focus still shows in mono and the Ascii profile.
	Border        lipgloss.Border
	FocusedBorder lipgloss.Border
	PaneTitle     lipgloss.Style
	PaneFocused   lipgloss.Style
	PaneBlurred   lipgloss.Style

	Row         lipgloss.Style
	RowSelected lipgloss.Style

	Muted   lipgloss.Style
	Due     lipgloss.Style
	Overdue lipgloss.Style

	// OK, Warn and Error colour the status line.
	OK    lipgloss.Style
	Warn  lipgloss.Style
	Error lipgloss.Style

	HelpKey  lipgloss.Style
	HelpDesc lipgloss.Style
	HelpSep  lipgloss.Style

	Form      lipgloss.Style
	FormLabel lipgloss.Style
	FormInput lipgloss.Style
	FormError lipgloss.Style

	// Dialog frames a confirmation, such as the exact command an execute will run.
	Dialog lipgloss.Style

	badge  map[string]lipgloss.Style
	status map[string]lipgloss.Style
	plain  lipgloss.Style
}

// NewStyles builds every style from r, so each terminal (each SSH session) gets styles
// degraded to its own colour profile.
func NewStyles(r *lipgloss.Renderer, t Theme) *Styles {
	p := t.Palette
	// An empty colour (a mono theme) leaves the attribute unset instead of emitting an
	// empty escape sequence.
	fg := func(c lipgloss.Color) lipgloss.Style {
		s := r.NewStyle()
		if c != "" {
			s = s.Foreground(c)
		}
		return s
	}
	pane := func(b lipgloss.Border, c lipgloss.Color) lipgloss.Style {
		s := r.NewStyle().Border(b)
		if c != "" {
			s = s.BorderForeground(c)
		}
		return s
	}

	s := &Styles{
		App:         r.NewStyle(),
		Header:      fg(p.Foreground),
		HeaderTitle: fg(p.Accent).Bold(true),
		Drill:       fg(p.DrillFg).Bold(true).Padding(0, 1),

		Tab:       fg(p.Muted).Padding(0, 1),
		TabActive: fg(p.Accent).Bold(true).Underline(true).Padding(0, 1),

		Border:        lipgloss.NormalBorder(),
		FocusedBorder: lipgloss.ThickBorder(),
		PaneTitle:     fg(p.Accent).Bold(true),
		PaneFocused:   pane(lipgloss.ThickBorder(), p.BorderFocused),
		PaneBlurred:   pane(lipgloss.NormalBorder(), p.Border),

		Row:         fg(p.Foreground),
		RowSelected: fg(p.SelectedFg).Bold(true),

		Muted:   fg(p.Muted),
		Due:     fg(p.Accent),
		Overdue: fg(p.Overdue).Bold(true),

		OK:    fg(p.OK),
		Warn:  fg(p.Warn).Bold(true),
		Error: fg(p.Error).Bold(true),

		HelpKey:  fg(p.Accent).Bold(true),
		HelpDesc: fg(p.Muted),
		HelpSep:  fg(p.Border),

		Form:      pane(lipgloss.RoundedBorder(), p.Accent).Padding(0, 1),
		FormLabel: fg(p.Foreground).Bold(true),
		FormInput: fg(p.Foreground),
		FormError: fg(p.Error).Bold(true),

		// Double, unlike any pane, so a confirmation cannot be mistaken for content.
		Dialog: pane(lipgloss.DoubleBorder(), p.Warn).Padding(0, 1),

		badge: map[string]lipgloss.Style{
			"P1": fg(p.Severity.P1).Bold(true),
			"P2": fg(p.Severity.P2).Bold(true),
			"P3": fg(p.Severity.P3),
			"P4": fg(p.Severity.P4),
		},
		status: map[string]lipgloss.Style{
			"declared":  fg(p.Status.Declared).Bold(true),
			"triaged":   fg(p.Status.Triaged),
			"contained": fg(p.Status.Contained),
			"recovered": fg(p.Status.Recovered),
			"resolved":  fg(p.Status.Resolved),
		},
		plain: fg(p.Foreground),
	}
	if t.NoColor {
		// Reverse only helps where the profile keeps it; the ▸ cursor carries the meaning.
		s.RowSelected = s.RowSelected.Reverse(true)
		s.Drill = s.Drill.Reverse(true)
	} else {
		s.RowSelected = s.RowSelected.Background(p.SelectedBg)
		s.Drill = s.Drill.Background(p.DrillBg)
	}
	return s
}

// Badge styles a severity ("P1".."P4", any case). The caller renders the text as "[P1]"
// so it reads without colour. An unknown severity gets the plain foreground.
func (s *Styles) Badge(sev string) lipgloss.Style {
	if b, ok := s.badge[strings.ToUpper(sev)]; ok {
		return b
	}
	return s.plain
}

// Status styles an incident status (declared, triaged, contained, recovered, resolved;
// any case, so "CONTAINED" as shown in the header works too).
func (s *Styles) Status(status string) lipgloss.Style {
	if st, ok := s.status[strings.ToLower(status)]; ok {
		return st
	}
	return s.plain
}
