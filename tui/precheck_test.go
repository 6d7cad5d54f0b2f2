package tui

import (
	"testing"
)

// stored is how many events the fake holds, folded or waiting for a Refresh.
func (f *fake) stored() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events) + len(f.pending)
}

// The fold refuses a second acknowledgement of an alert by one member: the cockpit
// says why before signing, and nothing is stored.
func TestSecondAckRefusedBeforeSigning(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	before := s.stored()
	h.press("j", "a") // the relayer alert, acked by alice already
	h.contains("✗ alice already acknowledged alert " + s.relayer.Short())
	h.lacks("stored but refused")
	if n := s.stored() - before; n != 0 {
		t.Errorf("the refused ack stored %d events", n)
	}
}

// Naming a lead needs the triage role or to have declared the incident: dave has
// neither on the P1, so the form says so and stays open, and nothing is signed.
func TestLeadFromANonTriagerRefusedBeforeSigning(t *testing.T) {
	s := newScenario(t)
	s.me = "dave" // recorder and reporter; alice declared the P1
	h := newHarness(t, s.fake, 80, 24)
	before := s.stored()
	h.press("L", "left", "enter", "enter") // reporter, a role dave holds; dave himself
	h.contains("error: dave may not assign leads: needs the triage role or to have")
	h.contains("Assign a lead for")
	if n := s.stored() - before; n != 0 {
		t.Errorf("the refused assignment stored %d events", n)
	}
}
