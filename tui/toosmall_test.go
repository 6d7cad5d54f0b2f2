package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// Below the minimum size only the too-small screen is drawn, and it says "q quits". A
// form open under it must not take keys nobody can see: q used to go into the hidden
// form's title, and enter would have signed it unread.
func TestTooSmallKeysReachNothingHidden(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("D")
	h.typeText("Bridge drain")
	before := s.stored()
	h.send(tea.WindowSizeMsg{Width: 40, Height: 10})
	h.press("x", "enter", "enter", "enter", "enter")
	if n := s.stored() - before; n != 0 {
		t.Fatalf("a hidden form was signed: %d events", n)
	}
	h.press("q") // the form holds typed text: asks first, on the small screen itself
	if h.quit {
		t.Fatal("q quit without asking, and the half-filled form is lost")
	}
	h.contains("Discard the half-filled form", "y quits")
	h.press("n")
	h.lacks("Discard")
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := h.m.form.fields[0].text.Value(); got != "Bridge drain" {
		t.Errorf("title %q after keys on the too-small screen, want it untouched", got)
	}
	h.press("esc") // keeps the title as a draft
	h.send(tea.WindowSizeMsg{Width: 40, Height: 10})
	h.press("q")
	h.contains("1 draft typed and not signed will be", "y quits")
	h.press("y")
	if !h.quit {
		t.Fatal("q then y on the too-small screen did not quit, as it says it does")
	}
}

// The quit question opened before the terminal shrank is answered on the too-small
// screen, which shows it.
func TestTooSmallShowsTheQuestion(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("D", "z", "ctrl+c")
	h.send(tea.WindowSizeMsg{Width: 60, Height: 12})
	checkFrame(t, "question, too small", h.view(), 60, 12)
	if s := h.screen(); !strings.Contains(s, "Discard the half-filled form") || !strings.Contains(s, "y quits") {
		t.Fatalf("the question is not on the too-small screen:\n%s", s)
	}
	h.press("y")
	if !h.quit {
		t.Fatal("y did not quit")
	}
}
