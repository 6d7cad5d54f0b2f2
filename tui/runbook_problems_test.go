package tui

import (
	"strings"
	"testing"
)

// A broken runbook file is said inside the cockpit: on the status line when it opens,
// and over the runbooks list for as long as it runs (the status line clears on the next
// key). Before, the warning printed on stderr under the full screen and was read only
// after quitting.
func TestRunbookProblemsShown(t *testing.T) {
	const why = "/home/ops/runbooks/quarantine.md:4: risk must be low or high"
	s := newScenario(t)
	s.problems = []string{why}
	h := newHarness(t, s.fake, 160, 48)
	h.contains("✗ runbook left out: " + why)
	h.press("4")
	h.press("j") // the next key clears the status line, not the pane's lines
	h.lacks("✗ runbook left out")
	// Wrapped at a space, whole: the reason is what a cut would lose.
	h.contains("✗ left out: /home/ops/runbooks/quarantine.md:4: risk must be", "low or high", "Runbooks · 5 · 1 broken file")
}

// Many broken files in a short pane: each shown whole while there is room, the rest
// counted on one line, and the frame still fits the screen at every size.
func TestRunbookProblemsManyFit(t *testing.T) {
	s := newScenario(t)
	for _, f := range []string{"a", "b", "c", "d", "e", "f"} {
		s.problems = append(s.problems, "/home/ops/runbooks/"+f+".md:2: front matter: want --- on the first line")
	}
	for _, sz := range append(append([][2]int{}, narrowSizes...), [2]int{80, 24}, [2]int{160, 48}) {
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("4")
		checkFrame(t, "runbooks with broken files", h.view(), sz[0], sz[1])
		lines := paneLines(h, paneRunbooks)
		var shown []string
		for _, l := range lines {
			if strings.Contains(l, "✗") {
				shown = append(shown, strings.TrimSpace(l))
			}
		}
		if len(shown) == 0 {
			t.Errorf("at %dx%d the runbooks tab names no broken file:\n%s", sz[0], sz[1], strings.Join(lines, "\n"))
			continue
		}
		if last := shown[len(shown)-1]; !strings.Contains(last, "runbook files left out: tminus runbook list names them") {
			t.Errorf("at %dx%d the last of the broken-file lines reads %q, want the count of the rest", sz[0], sz[1], last)
		}
		if sz[0] >= 160 && !strings.Contains(h.screen(), "Runbooks · 5 · 6 broken files") { // tabs show no titles
			t.Errorf("at %dx%d the runbooks title does not count the broken files", sz[0], sz[1])
		}
	}
}
