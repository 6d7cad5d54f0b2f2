package tui

import (
	"io"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
)

// sizes walks from the smallest terminal anyone will resize to, through the jump-host
// 80x24 and the layout thresholds, to a wall screen.
var sizes = [][2]int{
	{20, 5}, {1, 1}, {40, 10}, {59, 13}, {60, 14}, {61, 15}, {66, 20}, {72, 24}, {79, 23}, {80, 24}, {100, 30}, {120, 40},
	{159, 47}, {159, 48}, {160, 47}, {160, 48}, {200, 60}, {240, 70}, {300, 100},
}

// midWordCut is an ellipsis glued to the text before it: "Vault drain o…" rather than
// "Vault drain …".
var midWordCut = regexp.MustCompile(`[^ ]…`)

// checkFrame fails unless the view is exactly w x h cells: a line too long would wrap
// and scroll the whole screen, one too short would leave stale text behind. Its header
// and footer must not end a word in an ellipsis.
func checkFrame(t *testing.T, what string, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Fatalf("%s at %dx%d: %d lines, want %d", what, w, h, len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Fatalf("%s at %dx%d: line %d is %d cells, want %d:\n%q", what, w, h, i, n, w, ansi.Strip(l))
		}
	}
	if w < minW || h < minH {
		return // the too-small screen
	}
	// The header and the footer give way between words, whatever is open below.
	for _, l := range append(lines[:headerLines:headerLines], lines[h-footerLines:]...) {
		if l = ansi.Strip(l); midWordCut.MatchString(l) {
			t.Errorf("%s at %dx%d: cut mid-word: %q", what, w, h, l)
		}
	}
}

// wideOutput is a run's output that tests every width rule at once: lines longer than
// any screen, double-width characters across the cut, tabs and escapes.
var wideOutput = []byte(strings.Repeat("日本語の出力と ASCII text\tmixed, "+strings.Repeat("x", 200)+"\x1b[31m!\n", 30) +
	"\x1b]52;c;aGk=\x07\tend\n")

func TestSizeMatrix(t *testing.T) {
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.TrueColor} {
		s := newScenario(t)
		s.executed(wideOutput, func(e *domain.RunbookExec) { e.Truncated, e.TimedOut, e.ExitCode = true, true, 137 })
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(profile)
		m := New(s.fake, Options{Renderer: r, Theme: theme(t, "mono"), Now: s.now})
		h := &harness{t: t, m: m, f: s.fake}
		for _, sz := range sizes {
			w, ht := sz[0], sz[1]
			h.send(tea.WindowSizeMsg{Width: w, Height: ht})
			checkFrame(t, "cockpit", h.view(), w, ht)
			if m.lay.mode == modeTooSmall {
				if !strings.Contains(h.screen(), "too small") && w >= 20 {
					t.Errorf("%dx%d: no 'too small' message", w, ht)
				}
				continue
			}
			for tab := 1; tab <= int(paneCount); tab++ {
				h.press(itoa(tab))
				checkFrame(t, "tab "+itoa(tab), h.view(), w, ht)
			}
			h.press("1", "?")
			checkFrame(t, "help", h.view(), w, ht)
			h.press("esc", "D", "x")
			checkFrame(t, "declare form", h.view(), w, ht)
			h.press("ctrl+c")
			checkFrame(t, "quit dialog", h.view(), w, ht)
			h.press("esc", "esc", "/", "z")
			checkFrame(t, "filter", h.view(), w, ht)
			h.press("esc", "4", "o")
			checkFrame(t, "output viewer", h.view(), w, ht)
			if !h.m.panes[paneRunbooks].Capturing() {
				t.Fatalf("%dx%d: the output viewer did not open", w, ht)
			}
			h.press("G", "l", "l", "l")
			checkFrame(t, "output viewer scrolled", h.view(), w, ht)
			h.press("esc", "1")
		}
		// And back down without a crash or a stale layout, the output viewer open and
		// scrolled to its far corner.
		h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
		h.press("4", "o", "G")
		for range 15 {
			h.press("l")
		}
		if !strings.Contains(h.screen(), "!") {
			t.Fatalf("not scrolled to the lines' ends:\n%s", h.screen())
		}
		for i := len(sizes) - 1; i >= 0; i-- {
			h.send(tea.WindowSizeMsg{Width: sizes[i][0], Height: sizes[i][1]})
			checkFrame(t, "shrinking", h.view(), sizes[i][0], sizes[i][1])
		}
		// And up again.
		for _, sz := range sizes {
			h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkFrame(t, "growing", h.view(), sz[0], sz[1])
		}
	}
}

func TestLayoutModes(t *testing.T) {
	tests := []struct {
		w, h int
		want layoutMode
	}{
		{20, 5, modeTooSmall}, {59, 24, modeTooSmall}, {80, 13, modeTooSmall},
		{60, 14, modeTabs}, {80, 24, modeTabs}, {200, 47, modeTabs}, {159, 60, modeTabs},
		{160, 48, modeGrid}, {300, 100, modeGrid},
	}
	for _, tt := range tests {
		if got := computeLayout(tt.w, tt.h).mode; got != tt.want {
			t.Errorf("%dx%d: mode %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
	// The grid's bands and columns add up to the screen, so frames line up.
	l := computeLayout(200, 60)
	if l.colI+l.colA+l.colR != 200 || l.hA+l.hB+l.hC != l.bodyH {
		t.Errorf("grid does not tile 200x60: %+v", l)
	}
}
