package tui

import (
	"regexp"
	"strings"
	"testing"
)

// cutFact is a fact of the incident's course or contents cut inside: "by ali…",
// "tasks 1/…", "evid…".
var cutFact = regexp.MustCompile(`[^ ·]…`)

// The selected incident's course and contents under the list are facts, each kept whole
// or given way to "…": the course line in the grid's narrow column read "acked 03:16 by
// ali…", a name that is no member's.
func TestIncidentDetailKeepsFactsWhole(t *testing.T) {
	s := newScenario(t)
	for _, sz := range [][2]int{{200, 60}, {240, 70}, {80, 24}, {60, 20}} {
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("6")
		lines := paneLines(h, paneIncidents)
		found := false
		for _, l := range lines {
			if !strings.Contains(l, "declared ") && !strings.Contains(l, "tasks ") {
				continue
			}
			found = true
			if cutFact.MatchString(l) {
				t.Errorf("%dx%d: a fact cut inside: %q", sz[0], sz[1], l)
			}
		}
		if !found {
			t.Errorf("%dx%d: no course or contents under the list:\n%s", sz[0], sz[1], strings.Join(lines, "\n"))
		}
	}
}
