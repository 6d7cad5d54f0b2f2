package tui

import (
	"strings"
	"testing"
)

// The footer under a form says what enter does there, as the form's own hint does: it
// moves to the next field and submits from the last. It said "enter submit", and a
// responder pressing enter on the title saw the form stay open.
func TestFormFooterSaysEnterMovesOn(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("D")
	lines := strings.Split(h.screen(), "\n")
	if foot := lines[len(lines)-1]; !strings.HasPrefix(foot, " enter next/submit · esc cancel") {
		t.Errorf("footer %q", foot)
	}
	h.contains("enter next/submit · tab field")
	h.typeText("Bridge drain")
	h.press("enter")
	if h.m.form == nil {
		t.Fatal("enter on the first field closed the form")
	}
}

// A duration is checked as it is typed: "10x" in the timer's In field is marked ✗ with
// the reason while the focus is still on it. It used to pass unremarked until enter on
// the last field, whose error then showed with the focus on Every.
func TestDurationFieldsCheckAsTyped(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("T")
	h.typeText("Comms update")
	h.press("enter")
	h.typeText("10x")
	h.contains("In    ✗ 10x", `error: "10x" is not a duration (try 90s, 15m, 2h)`)
	h.press("backspace")
	h.lacks("✗", "not a duration")
}
