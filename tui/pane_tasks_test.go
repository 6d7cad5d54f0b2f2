package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// The due column is as wide as its widest entry: a fixed 21 cells cut a due time on
// another day to "due Mar 15 04:00 OVER…", and at 60 columns left a title 23 cells
// whatever the dues.
func TestTasksDueColumnFitsItsEntries(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.TaskAdd{Incident: s.p1, Title: "Retro prep", Due: s.now().Add(-25 * time.Hour).UnixMilli()}, s.now())
	h := newHarness(t, s.fake, 100, 30)
	h.press("2")
	h.contains("due Mar 13 02:57 OVERDUE")

	quiet := s.apply("alice", &domain.IncidentDeclare{Title: "Quiet one", Severity: "P4"}, s.now())
	s.apply("alice", &domain.TaskAdd{Incident: quiet, Title: "Check the archive node's disk usage trend for the last week"}, s.now())
	h = newHarness(t, s.fake, 60, 20)
	selectIncident(t, h, "[P4] Quiet one")
	h.press("2")
	var row string
	for _, l := range paneLines(h, paneTasks) {
		if strings.Contains(l, "Check the archive") {
			row = l
		}
	}
	if !strings.Contains(row, "Check the archive node's disk usage trend fo… -") {
		t.Errorf("with no due times the title reads %q", row)
	}
}
