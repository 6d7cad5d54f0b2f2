package tui

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// Enter on a form left as it opened signed an event that changed nothing: "✓ owner
// set" for the owner the task already had, one more line on everyone's timeline. The
// form says so and stays open, as the severity and status forms do.
func TestFormsRefuseWhatIsAlreadySo(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"owner", []string{"2", "o", "enter"}, "bob already owns"},
		{"lead", []string{"6", "L", "enter", "enter"}, "alice already leads triage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			h := newHarness(t, s.fake, 80, 24)
			before := s.stored()
			h.press(tt.keys...)
			if n := s.stored() - before; n != 0 {
				t.Fatalf("%d events signed for a change to nothing", n)
			}
			if h.m.form == nil {
				t.Fatal("the form closed")
			}
			h.contains(tt.want)
			h.press("right", "enter") // another choice is signed
			if n := s.stored() - before; n != 1 {
				t.Errorf("%d events after choosing another, want 1", n)
			}
		})
	}
}

// What is "already so" is the state when enter is pressed, not when the form opened: a
// peer who moved the task to dave meanwhile makes bob a change again.
func TestOwnerFormJudgesTheStateNow(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("2", "o") // the snapshot task, bob's
	s.external("carol", &domain.TaskAssign{Task: s.snapshot, Owner: "dave"}, at("03:41:00"))
	h.poll()
	before := s.stored()
	h.press("enter") // bob, as the form opened
	if n := s.stored() - before; n != 1 {
		t.Fatalf("%d events: giving the task back to bob was refused as no change", n)
	}
	if got := s.st.Tasks[s.snapshot].Owner; got != "bob" {
		t.Errorf("owner %s, want bob", got)
	}
}

// The field an error names takes the focus: enter through an empty declare form said
// "title is required" with the focus left on Drill, where the title then typed was
// ignored as text typed into a choice.
func TestFormErrorFocusesItsField(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		field int
		want  string
	}{
		{"declare", []string{"D", "enter", "enter", "enter"}, 0, "title is required"},
		{"task", []string{"t", "enter", "enter", "enter"}, 0, "title is required"},
		{"timer", []string{"T", "x", "enter", "enter", "enter"}, 1, "in: say when it is due"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newScenario(t).fake, 80, 24)
			h.press(tt.keys...)
			if h.m.form == nil {
				t.Fatal("the form closed")
			}
			h.contains(tt.want)
			if h.m.form.focus != tt.field {
				t.Errorf("focus on field %d (%s), want %d", h.m.form.focus, h.m.form.fields[h.m.form.focus].label, tt.field)
			}
		})
	}
}
