package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A drill that is over no longer sits open among real work: the
// facilitator resolves it, which neither changes its score nor counts as
// the team's resolution; --leave-open keeps it for the team.
func TestDrillOverResolvesItsIncident(t *testing.T) {
	file := writeScenario(t, drillPeerScenario)
	for _, tc := range []struct {
		name   string
		args   []string
		status string
	}{
		{"resolved by the facilitator", nil, "resolved"},
		{"left open", []string{"--leave-open"}, "declared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, _ := newWorkspace(t)
			out, errs, code := tminus(t, home, append([]string{"drill", "run", file, "--speed", "600", "--json"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("drill run: exit %d: %s", code, errs)
			}
			var card struct{ Incident string }
			mustJSON(t, out, &card)
			if said := strings.Contains(errs, "is resolved by the facilitator"); said != (tc.status == "resolved") {
				t.Errorf("stderr says the incident was resolved: %v, want %v: %s", said, tc.status == "resolved", errs)
			}
			var inc struct{ Status string }
			mustJSON(t, must(t, home, "incident", "show", card.Incident, "--json"), &inc)
			if inc.Status != tc.status {
				t.Errorf("status %q after the drill, want %q", inc.Status, tc.status)
			}
			var drills []struct {
				Interrupted bool
				Milestones  []struct {
					What, Score string
					Reached     bool
				}
			}
			mustJSON(t, must(t, home, "drill", "list", "--json"), &drills)
			if len(drills) != 1 || drills[0].Interrupted {
				t.Fatalf("drill list: %+v", drills)
			}
			for _, m := range drills[0].Milestones {
				if m.Reached {
					t.Errorf("the facilitator's resolution reached %s", m.What)
				}
				if m.What == "acknowledged" && m.Score != "missed" {
					t.Errorf("acknowledged scored %q after the drill, want missed", m.Score)
				}
			}
			var m struct {
				Drills struct {
					Incidents int
					MTTR      *float64 `json:"mttr_s"` // the facilitator's resolution is no team's
				}
			}
			if err := json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m); err != nil {
				t.Fatal(err)
			}
			if m.Drills.Incidents != 1 || m.Drills.MTTR != nil {
				t.Errorf("metrics count the facilitator's resolution: %s", must(t, home, "metrics", "--json"))
			}
		})
	}
}
