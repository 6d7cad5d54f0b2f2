package tui

import "testing"

// In the help screen a key it does not use did nothing at all: "2" (which the help
// itself lists under Anywhere) did not go to the Tasks tab, and "n" gave no sign why no
// note form opened. A tab key now leaves the help for that tab; any other says how to
// leave it. Nothing acts on the panes hidden behind it (a stray a would ack an alert
// nobody sees).
func TestHelpAnswersEveryKey(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	for _, tt := range []struct {
		keys  []string
		focus paneID
	}{{[]string{"?", "2"}, paneTasks}, {[]string{"?", "tab"}, paneTimers}, {[]string{"?", "shift+tab"}, paneTasks}} {
		h.press(tt.keys...)
		if h.m.help != nil || h.m.focus != tt.focus {
			t.Errorf("%v: help open %v, focus %d, want the help closed on pane %d", tt.keys, h.m.help != nil, h.m.focus, tt.focus)
		}
	}
	before := s.stored()
	h.press("1", "?", "a", "n")
	if h.m.help == nil || h.m.form != nil || s.stored() != before {
		t.Fatalf("a key behind the help acted: help %v, form %v, %d events", h.m.help != nil, h.m.form != nil, s.stored()-before)
	}
	h.contains("the help is open: esc closes it")
}
