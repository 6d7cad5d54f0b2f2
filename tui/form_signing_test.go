package tui

import (
	"errors"
	"strings"
	"testing"
)

// A form's text is kept until its event is stored. The form used to close on enter, before
// signing: when the store was busy (another process held its write lock for the busy
// timeout, 10 s) or the agent was locked, the note the responder had typed was gone and
// only the error was left on the status line.
func TestFormKeptWhenStoringFails(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	before := s.stored()
	s.fail = errors.New("database is locked (5) (SQLITE_BUSY)")
	h.press("n")
	h.typeText("Pause signed by bob")
	h.press("enter")
	if h.m.form == nil {
		t.Fatal("the note's form closed though nothing was stored")
	}
	if got := h.m.form.fields[0].text.Value(); got != "Pause signed by bob" {
		t.Fatalf("note %q after a failed store", got)
	}
	h.contains("not stored: database is locked", "esc leaves")
	h.lacks("signing")
	s.fail = nil
	h.press("enter")
	if h.m.form != nil {
		t.Fatal("the form stayed open after its note was stored")
	}
	if n := s.stored() - before; n != 1 {
		t.Fatalf("%d events stored, want the one note", n)
	}
	h.contains("✓ note added")
	h.press("5", "G")
	h.contains("Pause signed by bob")
}

// While its event is being signed and stored the form says so and takes no more text:
// a store that waits for another writer must not look like a cockpit that ignored enter,
// nor take a second enter as a second note. esc leaves it; the result still comes to
// the status line.
func TestFormSaysItIsSigning(t *testing.T) {
	s := newScenario(t)
	s.doHold = make(chan struct{})
	t.Cleanup(func() { close(s.doHold) })
	h := newHarness(t, s.fake, 80, 24)
	h.press("n")
	h.typeText("Checkpoint")
	h.press("enter")
	if h.m.form == nil {
		t.Fatal("the form closed before its note was stored")
	}
	h.contains("… signing and storing (esc leaves", "… signing and storing…")
	if foot := h.footerLine(); strings.Contains(foot, "next field") || !strings.Contains(foot, "esc") {
		t.Errorf("footer while signing %q: only esc does anything", foot)
	}
	h.typeText("xy")
	h.press("enter")
	if got := h.m.form.fields[0].text.Value(); got != "Checkpoint" {
		t.Errorf("text typed while signing went in: %q", got)
	}
	h.press("esc")
	if h.m.form != nil {
		t.Fatal("esc did not leave a form that is signing")
	}
	if strings.Contains(h.screen(), "esc leaves: the status line") {
		t.Error("the form's signing line outlived the form")
	}
	h.contains("… signing and storing: the result shows here")
}

// An action without a form (enter marks a task done) says it is under way too.
func TestActionSaysItIsSigning(t *testing.T) {
	s := newScenario(t)
	s.doHold = make(chan struct{})
	t.Cleanup(func() { close(s.doHold) })
	h := newHarness(t, s.fake, 80, 24)
	h.press("2", "enter")
	h.contains("… signing and storing…")
}
