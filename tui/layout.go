package tui

// Layout is computed once per resize, never in View.
//
// Sizes, and why:
//   - below minW x minH nothing useful fits (three header lines, a tab bar, two footer
//     lines and a handful of rows), so a "terminal too small" screen says what is needed;
//   - from there up to gridW x gridH the panes are tabs under one header (80x24 is the
//     jump-host case, and gets 17 rows of content);
//   - at gridW x gridH and above every pane shows at once, framed, as in COCKPIT.md.
const (
	minW, minH   = 60, 14
	gridW, gridH = 160, 48

	headerLines = 3
	footerLines = 2
)

type layoutMode int

const (
	modeTooSmall layoutMode = iota
	modeTabs
	modeGrid
)

// layout is the geometry of one terminal size.
type layout struct {
	mode  layoutMode
	w, h  int
	bodyH int // lines between the header and the footer
	// content size (inside any frame) of each pane
	pw, ph [paneCount]int
	// grid: outer widths of the top band's three columns and of the middle band's
	// runbooks column, outer heights of the bands
	colI, colA, colR, colRB int
	colRo                   int // the bottom band's roster column
	hA, hB, hC              int
}

func computeLayout(w, h int) layout {
	l := layout{w: w, h: h}
	switch {
	case w < minW || h < minH:
		l.mode = modeTooSmall
		return l
	case w >= gridW && h >= gridH:
		l.mode = modeGrid
	default:
		l.mode = modeTabs
	}
	l.bodyH = h - headerLines - footerLines
	if l.mode == modeTabs {
		for i := range l.pw {
			l.pw[i], l.ph[i] = w, l.bodyH-1 // one line for the tab bar
		}
		return l
	}
	// Top band: incidents | alerts | timers. Middle: tasks | runbooks. Bottom: timeline |
	// roster.
	// Alerts and the timeline take what the fixed-purpose columns leave.
	l.colR = clamp(w*25/100, 38, 60)
	l.colI = clamp(w*24/100, 34, 56)
	l.colA = w - l.colR - l.colI
	// Runbooks get more width than timers: ids, titles and the one-liner need it, and
	// tasks read well at 90 columns.
	l.colRB = clamp(w*40/100, 50, 90)
	// The roster's row (member, roles, proofs, a warning) reads in 60 columns; the
	// timeline keeps the rest, 100 and more.
	l.colRo = clamp(w*40/100, 60, 84)
	l.hA = l.bodyH * 30 / 100
	l.hB = l.bodyH * 28 / 100
	l.hC = l.bodyH - l.hA - l.hB
	set := func(p paneID, ow, oh int) { l.pw[p], l.ph[p] = ow-2, oh-2 }
	set(paneIncidents, l.colI, l.hA)
	set(paneAlerts, l.colA, l.hA)
	set(paneTimers, l.colR, l.hA)
	set(paneTasks, w-l.colRB, l.hB)
	set(paneRunbooks, l.colRB, l.hB)
	set(paneTimeline, w-l.colRo, l.hC)
	set(paneRoster, l.colRo, l.hC)
	return l
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
