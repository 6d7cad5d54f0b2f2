package tui

import (
	"errors"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// esc on a form with a long note typed threw the note away for good, without a word:
// one stray esc (meant for the help, or a terminal's escape sequence split) cost the
// responder what they had written mid-incident. The cockpit keeps it as a draft: the
// status line says so, and the same form opened again brings it back, until it is
// signed.
func TestEscKeepsADraft(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("n")
	h.typeText("Attacker funded through a mixer 3 h ago")
	h.press("esc")
	if h.m.form != nil {
		t.Fatal("esc did not leave the form")
	}
	h.contains("nothing was signed", "kept as a draft")
	h.press("n")
	if got := h.m.form.fields[0].text.Value(); got != "Attacker funded through a mixer 3 h ago" {
		t.Fatalf("reopened note %q, want the draft", got)
	}
	h.press("enter")
	h.press("n")
	if got := h.m.form.fields[0].text.Value(); got != "" {
		t.Errorf("after the note was stored the form opened with %q, want it empty", got)
	}
	h.press("esc") // nothing typed: no draft, no word
	h.lacks("draft")

	// A draft belongs to its form: the task form on the same incident opens empty, and
	// its choices come back too.
	h.press("t")
	h.typeText("Rotate relayer key")
	h.press("enter", "right", "esc", "n")
	if got := h.m.form.fields[0].text.Value(); got != "" {
		t.Errorf("the note form opened with %q from another form's draft", got)
	}
	h.press("esc", "t")
	if got := h.m.form.fields[0].text.Value(); got != "Rotate relayer key" || h.m.form.fields[1].value() != "alice" {
		t.Errorf("task draft %q owner %q, want the title and alice back", got, h.m.form.fields[1].value())
	}
}

// A form left with esc while its note was signing, whose store then failed, keeps the
// note as a draft and says so.
func TestLeftWhileSigningKeepsADraftOnFailure(t *testing.T) {
	s := newScenario(t)
	s.doHold = make(chan struct{})
	t.Cleanup(func() { close(s.doHold) })
	h := newHarness(t, s.fake, 80, 24)
	h.press("n")
	h.typeText("Checkpoint at block 19,442,118")
	h.press("enter")
	f := h.m.form
	h.press("esc")
	h.send(doneMsg{pane: paneTimeline, err: errors.New("database is locked"), what: "note added", form: f})
	h.contains("database is locked", "kept as a draft")
	h.press("n")
	if got := h.m.form.fields[0].text.Value(); got != "Checkpoint at block 19,442,118" {
		t.Errorf("reopened note %q, want the draft", got)
	}
	if h.m.form.signing {
		t.Error("the draft reopened as signing")
	}
}

// Drafts live in this process only: q with one kept asks before they are lost, and n
// keeps the cockpit (and the draft) open.
func TestQuitAsksWhenDraftsWouldBeLost(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("q")
	if !h.quit {
		t.Fatal("q with no draft did not quit at once")
	}
	h = newHarness(t, newScenario(t).fake, 80, 24)
	h.press("n")
	h.typeText("Relayer key rotated on host 2")
	h.press("esc", "q")
	if h.quit {
		t.Fatal("q quit with a draft, without asking")
	}
	h.contains("1 draft typed and not signed will be lost. Quit anyway?")
	h.press("n", "n")
	if h.quit || h.m.form == nil || h.m.form.fields[0].text.Value() != "Relayer key rotated on host 2" {
		t.Fatal("n did not keep the cockpit and the draft")
	}
	h.press("esc", "q")
	h.m.askedAt = time.Now().Add(-time.Hour)
	h.press("y")
	if !h.quit {
		t.Fatal("y did not quit")
	}
}

// Drafts were kept by the form's title, and two incidents can share one ("Vault drain
// on the L2 bridge" declared twice, by two responders at once): a note typed on one
// showed up in the other's note form, to be signed into the wrong incident's record. A
// draft belongs to its form and what it acts on.
func TestDraftsOfTwoIncidentsWithOneTitle(t *testing.T) {
	s := newScenario(t)
	twin := s.apply("carol", &domain.IncidentDeclare{Title: "Vault drain on the L2 bridge", Severity: "P1"}, at("03:40:00"))
	h := newHarness(t, s.fake, 80, 24)
	h.send(selectRequest{id: s.p1})
	h.press("n")
	h.typeText("Outflow paused at block 19,442,118")
	h.press("esc")
	h.press("t")
	h.typeText("Rotate relayer key")
	h.press("esc")

	h.send(selectRequest{id: twin})
	if h.m.Selected() != twin {
		t.Fatalf("selected %s, want the twin incident %s", h.m.Selected().Short(), twin.Short())
	}
	for _, k := range []string{"n", "t"} {
		h.press(k)
		if got := h.m.form.fields[0].text.Value(); got != "" {
			t.Errorf("%s on the twin incident opened with %q, the other incident's draft", k, got)
		}
		h.press("esc")
	}

	h.send(selectRequest{id: s.p1})
	h.press("n")
	if got := h.m.form.fields[0].text.Value(); got != "Outflow paused at block 19,442,118" {
		t.Errorf("the note draft on its own incident reads %q", got)
	}
	h.press("esc", "t")
	if got := h.m.form.fields[0].text.Value(); got != "Rotate relayer key" {
		t.Errorf("the task draft on its own incident reads %q", got)
	}
}
