package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Paging through the help shows every key, at every size: the "↓ more" line used to
// cover the last row of the first column, so "7 roster" never showed at 80x24 (pgdn
// moved one column, and the row under the marker was the next column's start no more).
// Each column starts with a title, a group's repeated when it goes on from the column
// before; g and G go to the first and last screen.
func TestHelpPagesShowEveryKey(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {60, 20}, {100, 30}, {160, 48}, {60, 14}} {
		h := newHarness(t, newScenario(t).fake, sz[0], sz[1])
		h.press("?")
		hv := h.m.help
		if hv == nil {
			t.Fatalf("%dx%d: ? did not open the help", sz[0], sz[1])
		}
		for i, col := range hv.columns {
			if first := ansi.Strip(col[0]); strings.HasPrefix(first, " ") {
				t.Errorf("%dx%d: column %d starts with a key, not a title: %q", sz[0], sz[1], i, first)
			}
		}
		seen := ""
		for range len(hv.columns) + 1 {
			checkFrame(t, "help", h.view(), sz[0], sz[1])
			seen += h.screen()
			h.press("pgdown")
		}
		for _, l := range hv.lines {
			if l := strings.TrimSpace(ansi.Strip(l)); l != "" && !strings.Contains(seen, l) {
				t.Errorf("%dx%d: paging never shows %q", sz[0], sz[1], l)
			}
		}
		h.press("G")
		h.contains("ctrl+c       quit now")
		h.lacks("↓ more")
		h.press("g")
		h.contains("Selected incident (any tab)")
		if len(hv.columns) > hv.cols {
			h.contains("↓ more (")
			before := ansi.Strip(hv.columns[1][0])
			h.press("j") // a column at a time: the second column now leads
			if got := strings.Split(h.screen(), "\n")[3]; !strings.HasPrefix(got, strings.TrimRight(before, " ")) {
				t.Errorf("%dx%d: after j the first column starts %q, want %q", sz[0], sz[1], got, before)
			}
		}
	}
}
