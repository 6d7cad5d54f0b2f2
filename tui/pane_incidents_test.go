package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// The incidents tab says, under the list, how the selected incident went and
// what it holds: what a responder asks before switching to it or a recorder
// before the retro, without leaving the tab.
func TestIncidentDetail(t *testing.T) {
	s := newScenario(t)
	drill := s.apply("carol", &domain.IncidentDeclare{Title: "Gameday: oracle manipulation", Severity: "P2", Drill: true,
		Plan: &domain.DrillPlan{Scenario: "oracle", Speed: 1, Expect: []domain.DrillExpect{
			{What: domain.StatusTriaged, WithinMs: time.Hour.Milliseconds()},
			{What: domain.StatusContained, WithinMs: time.Hour.Milliseconds()}}}}, at("03:40:00"))
	s.apply("bob", &domain.IncidentStatus{Incident: drill, Status: domain.StatusTriaged}, at("03:41:00"))
	tests := []struct {
		name string
		id   domain.ID
		want []string
	}{
		{"open", s.p1, []string{"─ [P1] Vault drain on the L2 bridge",
			"declared 03:16 by alice · acked 03:16 by alice · triaged 03:18",
			"tasks 2/3 open · alerts 1/1 firing · timers 2 · evidence 0 · runbook steps 1"}},
		{"resolved yesterday", s.resolved, []string{"─ [P2] Oracle drift on ETH/USD",
			"declared Mar 13 14:00 by carol · acked 16:30 by carol · resolved 16:30",
			"tasks 0/0 open · alerts 0/0 firing · timers 1 · evidence 0"}}, // the retro timer
		{"drill", drill, []string{"─ DRILL [P2] Gameday: oracle manipulation",
			"declared 03:40 by carol · acked 03:41 by bob · triaged 03:41", "drill 1/2 met so far · tasks 0/0 open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, s.fake, 80, 24)
			h.press("6")
			h.send(selectRequest{tt.id})
			lines := paneLines(h, paneIncidents)
			got := strings.Join(lines[len(lines)-3:], "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the detail lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// A pane too short for the list and the detail keeps the list.
func TestIncidentDetailGivesWayToTheList(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 14)
	h.press("6")
	h.lacks("declared 03:16 by alice")
	h.contains("Vault drain on the L2 bridge", "Docs site 502", "Oracle drift")
}
