package tui

import (
	"strings"
	"testing"
)

// Below 64 columns the alerts list keeps whether an alert is acknowledged, as a bare ✓:
// it used to drop the column, and a responder in a narrow tmux split could not tell the
// acked relayer alert from the unacked bridge one.
func TestAlertsNarrowKeepsTheAck(t *testing.T) {
	for _, w := range []int{60, 63} {
		h := newHarness(t, newScenario(t).fake, w, 20)
		rows := map[string]string{}
		for _, l := range paneLines(h, paneAlerts) {
			for _, k := range []string{"Relayer key", "Bridge vault"} {
				if strings.Contains(l, k) && strings.Contains(l, "FIRING") {
					rows[k] = strings.TrimRight(l, " ")
				}
			}
		}
		if r := rows["Relayer key"]; !strings.HasSuffix(r, " ✓") {
			t.Errorf("at %d columns the acked relayer alert reads %q", w, r)
		}
		if r := rows["Bridge vault"]; strings.Contains(r, "✓") || len(r) == 0 {
			t.Errorf("at %d columns the unacked bridge alert reads %q", w, r)
		}
	}
}
