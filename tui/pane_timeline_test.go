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
