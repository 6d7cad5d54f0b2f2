package tui

import (
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// Every event kind reads whole in the timeline's kind column: it was one cell short of
// incident.severity, which read "incident.severi…".
func TestTimelineKindsWhole(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.IncidentSeverity{Incident: s.p1, Severity: "P2"}, s.now())
	for _, w := range []int{80, 160} {
		h := newHarness(t, s.fake, w, 48)
		h.press("5", "G")
		var row string
		for _, l := range paneLines(h, paneTimeline) {
			if strings.Contains(l, "severity P1 -> P2") && strings.Contains(l, " alice ") {
				row = l
			}
		}
		if !strings.Contains(row, " incident.severity severity P1 -> P2") {
			t.Errorf("at %d columns the severity change reads %q", w, row)
		}
	}
}

// Below 72 columns the kind column gives way to the text: at 60 it left a note 23 cells.
func TestTimelineNarrowKeepsTheText(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 66, 20)
	h.press("5")
	var row string
	for _, l := range paneLines(h, paneTimeline) {
		if strings.Contains(l, " dave ") && strings.Contains(l, "Evidence:") {
			row = l
		}
	}
	if !strings.Contains(row, "Evidence: balances snapshot requested from the a…") || strings.Contains(row, "note.add") {
		t.Errorf("at 66 columns dave's note reads %q", row)
	}
}
