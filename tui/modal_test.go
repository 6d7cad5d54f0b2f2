package tui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// paste delivers text the way a terminal without bracketed paste does: as typed keys,
// several in one read.
func (h *harness) paste(text string) {
	h.t.Helper()
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text)})
}

// A choice changes only on ←/→: text typed or pasted while a choice has the focus (a
// word meant for the title, a paste without bracketed paste) must not flip it, whatever
// letters or digits it holds. The form says why nothing happened.
func TestChoiceIgnoresTypedText(t *testing.T) {
	const junk = "P1 yes critical 1 2 3 4 contained comms carol bob no P4 "
	tests := []struct {
		name  string
		open  []string // keys that open the form with the choice focused
		shown string   // the choice selected before and after the junk
		right string   // the choice → selects
	}{
		{"declare severity", []string{"D", "tab"}, "[P2]", "[P3]"},
		{"declare drill", []string{"D", "tab", "tab"}, "[no]", "[yes]"},
		{"severity", []string{"s"}, "[P1]", "[P2]"},
		{"status", []string{"S"}, "[contained]", "[recovered]"},
		{"lead role", []string{"L"}, "[triage]", "[comms]"},
		{"lead member", []string{"L", "tab"}, "[alice]", "[bob]"},
		{"task owner", []string{"2", "t", "tab"}, "[(none)]", "[alice]"},
		{"owner of a task", []string{"2", "o"}, "[bob]", "[carol]"},
		{"propose step", []string{"4", "j", "p"}, "‹ 1 Record the block", "‹ 2 Pause ›"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			h := newHarness(t, s.fake, 160, 48)
			h.press(tt.open...)
			h.contains(tt.shown)
			h.typeText(junk)
			h.paste(junk)
			h.contains(tt.shown, "typed text is ignored")
			if h.quit || h.m.form == nil {
				t.Fatalf("the form closed or the cockpit quit on typed text (quit=%v)", h.quit)
			}
			h.press("right")
			h.contains(tt.right)
			h.lacks("typed text is ignored") // a key that works clears the hint
			h.press("left")
			h.contains(tt.shown)
			if len(s.pending) != 0 {
				t.Errorf("typing into a choice signed %d events", len(s.pending))
			}
		})
	}
}

// In a form, q (and every other printable key) is input: only esc leaves the form and
// only ctrl+c quits, asking first when something was typed. No modal quits or acts on a
// printable key it does not document.
func TestPrintableKeysNeverQuitFromAModal(t *testing.T) {
	tests := []struct {
		name  string
		open  []string
		still string // what shows while the modal stays open
	}{
		{"untouched choice form", []string{"s"}, "Severity of"},
		{"untouched status form", []string{"S"}, "Status of"},
		{"prefilled declare from alert, on the title", []string{"G", "i"}, "Declare an incident from the alert"},
		{"prefilled declare from alert, on a choice", []string{"G", "i", "tab"}, "Declare an incident from the alert"},
		{"empty declare, on the drill choice", []string{"D", "tab", "tab"}, "Declare an incident"},
		{"lead form", []string{"L", "tab"}, "Assign a lead"},
		{"propose form, on the step", []string{"4", "j", "p"}, "Propose "},
		{"approve dialog", []string{"4", "A"}, "exact command"},
		{"alerts filter", []string{"/"}, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			h := newHarness(t, s.fake, 160, 48)
			h.press(tt.open...)
			h.contains(tt.still)
			// y and n answer a dialog, as it says; every other key must do nothing.
			for _, k := range []string{"q", "Q", "x", "a", "D", "?", "1", " "} {
				h.press(k)
				if h.quit {
					t.Fatalf("%q quit the cockpit from the %s", k, tt.name)
				}
			}
			h.contains(tt.still)
			if len(s.pending) != 0 {
				t.Errorf("printable keys signed %d events", len(s.pending))
			}
		})
	}
}

// esc cancels a form without quitting; ctrl+c quits an untouched one at once and asks
// about a touched one.
func TestFormLeavesOnlyOnEscOrCtrlC(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("s", "q", "esc")
	if h.quit {
		t.Fatal("q or esc in a form quit the cockpit")
	}
	h.lacks("Severity of")
	h.press("s", "ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c in an untouched form did not quit")
	}
	h2 := newHarness(t, newScenario(t).fake, 80, 24)
	h2.press("s", "right", "ctrl+c")
	if h2.quit {
		t.Fatal("ctrl+c in a changed form quit without asking")
	}
	h2.contains("Discard the half-filled form and quit?")
}

// The lead form reached with arrows only, as the help documents.
func TestLeadWithArrows(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("L", "right", "tab", "right", "right", "enter") // comms, carol
	if got := s.st.Incidents[s.p1].Leads[domain.RoleComms]; got != "carol" {
		t.Errorf("comms lead %q, want carol", got)
	}
}

// The quit question counts y only once it has been on screen a moment, as the
// confirmations do: q then y in a paste while a step runs here must not kill the step.
func TestQuitQuestionIgnoresYTypedAhead(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	s.execHold = make(chan struct{})
	defer close(s.execHold)
	h := newHarness(t, s.fake, 160, 48)
	h.m.opt.ConfirmAfter = time.Hour
	h.press("4", "x")
	h.m.dialog.opened = time.Now().Add(-2 * time.Hour)
	h.press("y") // the run blocks on execHold; the harness does not wait for it
	if h.m.ctx.Live.Running.IsZero() {
		t.Fatal("the step is not running")
	}
	h.paste("qy")
	if h.quit {
		t.Fatal("q then y typed together quit while a step runs")
	}
	h.contains("is still running here. Quit anyway?", "y came before the question was on screen")
	h.m.askedAt = time.Now().Add(-2 * time.Hour)
	h.press("y")
	if !h.quit {
		t.Fatal("y after the delay did not quit")
	}
}
