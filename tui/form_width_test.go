package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// formBox is the form's top border as drawn: its position and width.
func formBox(t *testing.T, h *harness) string {
	t.Helper()
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, "╭") {
			return l
		}
	}
	t.Fatalf("no form on screen:\n%s", h.screen())
	return ""
}

// A form's frame stays where it opened while text is typed into it: it grew by a column
// once the text passed the field's width (the input drew a cell more than its width),
// and by more with double-width characters, so the right border jumped under the
// responder's eyes.
func TestFormFrameStaysWhileTyping(t *testing.T) {
	for _, text := range []string{
		strings.Repeat("x", 120),
		strings.Repeat("漢字", 40),
		"Outflow 🔥 " + strings.Repeat("ü", 70),
		"a\tb\x1b[31mc" + strings.Repeat("z", 80),
	} {
		for _, w := range []int{60, 80, 120} {
			h := newHarness(t, newScenario(t).fake, w, 24)
			h.press("n")
			open := formBox(t, h)
			for i, r := range []rune(text) {
				h.press(string(r))
				if got := formBox(t, h); got != open {
					t.Fatalf("%d wide, after %d characters of %q the frame moved:\n%q\nwas\n%q", w, i+1, text, got, open)
				}
				checkFrame(t, "form", h.view(), w, 24)
			}
			for _, l := range strings.Split(h.screen(), "\n") {
				if strings.Contains(l, "▸Note") && ansi.StringWidth(l) != w {
					t.Errorf("note line %d cells", ansi.StringWidth(l))
				}
			}
		}
	}
}

// A field keeps showing its text's end and the cursor when the terminal shrinks with the
// form open: the input kept the scroll it had for the wider field, its line no longer
// fitted, and it was cut to "yyyy…" with the cursor gone.
func TestFormFieldRefitsOnResize(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 120, 30)
	h.press("n")
	h.typeText(strings.Repeat("y", 100) + "END")
	for _, sz := range [][2]int{{80, 24}, {60, 15}, {100, 30}, {60, 14}} {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkFrame(t, "form", h.view(), sz[0], sz[1])
		var line string
		for _, l := range strings.Split(h.screen(), "\n") {
			if strings.Contains(l, "▸Note") {
				line = l
			}
		}
		if !strings.Contains(line, "yEND") || strings.Contains(line, "y…") {
			t.Errorf("%dx%d: the field lost its end: %q", sz[0], sz[1], line)
		}
	}
	h.press("left", "left", "left", "left", "left") // the cursor inside the text
	h.send(tea.WindowSizeMsg{Width: 60, Height: 15})
	h.send(tea.WindowSizeMsg{Width: 61, Height: 15})
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, "▸Note") && strings.Contains(l, "y…") {
			t.Errorf("cursor inside the text: cut %q", l)
		}
	}
}
