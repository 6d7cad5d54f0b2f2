package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// The T-minus pane counts down what the header's NEXT counts down: open tasks with a due
// time as well as timers. It used to list timers only, so with bob's snapshot task
// overdue the header said NEXT T+02:13 OVERDUE while the pane, the place a responder
// looks for what is due, did not show it.
func TestTimersPaneCountsTaskDeadlines(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("3")
	if got := h.m.panes[paneTimers].Title(); got != "T-minus · 4 · 1 OVERDUE" {
		t.Errorf("title %q", got)
	}
	lines := paneLines(h, paneTimers)
	for i, want := range []string{
		"▸T+02:13    Snapshot vault balances at block 19,442,001 (task, bob) OVERDUE",
		" T-08:12    Post kickoff to #incident and the forum (task, carol)",
		" T-14:59    Containment check",
		" T-18:53    Comms update (every 30m)",
	} {
		if strings.TrimRight(lines[i], " ") != want {
			t.Errorf("row %d %q, want %q", i, lines[i], want)
		}
	}
	h.contains("NEXT T+02:13 OVERDUE Snapshot vault balances", "enter met / stop / done")

	// enter marks the selected task done, as on the Tasks tab; it leaves the pane and
	// the header moves on to the next deadline.
	h.press("enter")
	h.poll()
	if !s.st.Tasks[s.snapshot].Done {
		t.Fatalf("enter on the task row did not mark it done: %+v", s.st.Rejected)
	}
	for _, l := range paneLines(h, paneTimers) {
		if strings.Contains(l, "Snapshot vault balances") {
			t.Errorf("the done task is still listed: %q", l)
		}
	}
	h.contains("NEXT T-08:12 Post kickoff", "▸T-08:12    Post kickoff to #incident and the forum (task, carol)")

	// A task without a due time is not a deadline; a done one is gone.
	h.tick(time.Second)
	for _, l := range paneLines(h, paneTimers) {
		if strings.Contains(l, "Draft pause tx") {
			t.Errorf("a task without a due time is listed: %q", l)
		}
	}
}

// With neither timers nor tasks due, the pane says how to add either.
func TestTimersPaneEmpty(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.IncidentDeclare{Title: "Quiet one", Severity: "P4"}, s.now())
	h := newHarness(t, s.fake, 80, 24)
	selectIncident(t, h, "[P4] Quiet one")
	h.press("3")
	h.contains("[P4] Quiet one", "no deadlines yet: T adds a timer, t a task")
}

// Once the incident is resolved its timers stop but its retro, in the pane as in the
// header: the containment check used to go on counting, then turned OVERDUE on a closed
// incident. A task due after the resolution is a follow-up: it still counts, in both.
func TestTimersPaneAfterResolution(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.IncidentStatus{Incident: s.p1, Status: domain.StatusResolved}, s.now())
	h := newHarness(t, s.fake, 80, 24)
	selectIncident(t, h, "[P1] Vault drain")
	h.press("3")
	h.tick(time.Hour) // past the containment check's and the kickoff task's deadlines
	var got []string
	for _, l := range paneLines(h, paneTimers) {
		if l = strings.TrimRight(l, " "); l != "" {
			got = append(got, l)
		}
	}
	want := []string{
		"▸T+51:48    Post kickoff to #incident and the forum (task, carol) OVERDUE",
		" T-71:00:00 Retro due",
		" resolved   Containment check",
		" resolved   Comms update",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := h.m.panes[paneTimers].Title(); got != "T-minus · 4 · 1 OVERDUE" {
		t.Errorf("title %q after resolution", got)
	}
	h.contains("NEXT T+51:48 OVERDUE Post kickoff")
}

// selectIncident selects the incident whose row starts with row on the Incidents tab.
func selectIncident(t *testing.T, h *harness, row string) {
	t.Helper()
	h.press("6", "g")
	for range 10 {
		if strings.Contains(h.screen(), "▸"+row) {
			h.press("enter")
			return
		}
		h.press("j")
	}
	t.Fatalf("no incident %q:\n%s", row, h.screen())
}
