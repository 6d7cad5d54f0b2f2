package tui

import (
	"strings"
	"testing"

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
