// Package themes owns the cockpit's look: the embedded theme files (dark, light,
// high-contrast, mono), the choice between them (flag, TMINUS_THEME, NO_COLOR), and the
// named lipgloss styles the panes draw with.
//
// It must not read anything but its embedded files, hold bubbletea models, or keep
// package-level styles: every Styles is built from the caller's *lipgloss.Renderer so two
// SSH sessions with different terminals each get their own. No style may carry meaning on
// its own; NO_COLOR and TERM=screen drop colour, bold and reverse alike, so callers put
// severity, overdue and drill in the text ([P1], OVERDUE, DRILL).
package themes
