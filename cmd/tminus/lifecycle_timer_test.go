package main

import (
	"strings"
	"testing"
	"time"
)

type shownTimer struct {
	ID, Label, Due, State string
	NextDue               string `json:"next_due"`
	Met                   bool
}

type shownIncident struct {
	Status string
	Tasks  []struct {
		ID, Title string
		Overdue   bool
	}
	Timers []shownTimer
}

func showIncident(t *testing.T, home, inc string) shownIncident {
	t.Helper()
	var d shownIncident
	mustJSON(t, must(t, home, "incident", "show", inc, "--json"), &d)
	return d
}

func timerLabelled(t *testing.T, d shownIncident, label string) shownTimer {
	t.Helper()
	for _, tm := range d.Timers {
		if tm.Label == label {
			return tm
		}
	}
	t.Fatalf("no timer %q in %+v", label, d.Timers)
	return shownTimer{}
}

// A timer on a resolved incident is refused, as the cockpit's T refuses it:
// a resolved incident's timers are stopped, so it would never count down.
// Reopened, the incident takes timers again and its stopped ones count on.
func TestLifecycleTimerOnResolvedIncident(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "timer", "set", inc[:8], "--label", "Containment check", "--in", "90m")
	must(t, home, "incident", "status", inc[:8], "resolved")
	fails(t, home, "is resolved and its timers are stopped", "timer", "set", inc[:8], "--label", "Late", "--in", "5m")
	d := showIncident(t, home, inc)
	if tm := timerLabelled(t, d, "Containment check"); tm.State != "resolved" {
		t.Errorf("a resolved incident's timer reads %q, want resolved", tm.State)
	}
	if tm := timerLabelled(t, d, "Retro due"); tm.State != "counting" {
		t.Errorf("the retro timer of a resolved incident reads %q, want counting", tm.State)
	}
	shown := must(t, home, "incident", "show", inc[:8])
	if strings.Contains(shown, "due due") {
		t.Errorf("the retro timer reads \"due due\":\n%s", shown)
	}
	must(t, home, "incident", "status", inc[:8], "triaged") // reopened
	must(t, home, "timer", "set", inc[:8], "--label", "Late", "--in", "5m")
	if tm := timerLabelled(t, showIncident(t, home, inc), "Containment check"); tm.State != "counting" {
		t.Errorf("a reopened incident's timer reads %q, want counting", tm.State)
	}
}

// Each timer and task says where it stands now: counting, overdue, met,
// stopped by the resolution; a recurring timer its deadline in force.
func TestLifecycleTimerStates(t *testing.T) {
	home, inc := newWorkspace(t)
	task := must(t, home, "task", "add", inc[:8], "--title", "Snapshot", "--due", "1s")
	must(t, home, "timer", "set", inc[:8], "--label", "Update", "--in", "1s", "--every", "1h")
	must(t, home, "timer", "set", inc[:8], "--label", "Soon", "--in", "1s")
	must(t, home, "timer", "set", inc[:8], "--label", "Later", "--in", "2h")
	// Wait until the 1 s deadlines have passed by the home's clock (Soon's
	// is the last of them).
	var d shownIncident
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		d = showIncident(t, home, inc)
		if timerLabelled(t, d, "Soon").State == "overdue" || time.Now().After(deadline) {
			break
		}
	}
	if s := timerLabelled(t, d, "Soon").State; s != "overdue" {
		t.Fatalf("a timer past its deadline reads %q", s)
	}
	if s := timerLabelled(t, d, "Later").State; s != "counting" {
		t.Errorf("a timer due in 2h reads %q", s)
	}
	up := timerLabelled(t, d, "Update")
	due, _ := time.Parse(time.RFC3339, up.Due)
	next, err := time.Parse(time.RFC3339, up.NextDue)
	if up.State != "counting" || err != nil || next.Sub(due) != time.Hour {
		t.Errorf("a recurring timer past its first deadline: %+v, want counting and next_due an hour after due", up)
	}
	if len(d.Tasks) != 1 || !d.Tasks[0].Overdue {
		t.Errorf("an open task past its due time: %+v", d.Tasks)
	}
	text := must(t, home, "incident", "show", inc[:8])
	for _, want := range []string{"OVERDUE", "every 1h"} {
		if !strings.Contains(text, want) {
			t.Errorf("incident show lacks %q:\n%s", want, text)
		}
	}
	must(t, home, "task", "done", task[:8])
	if d = showIncident(t, home, inc); d.Tasks[0].Overdue {
		t.Errorf("a done task reads overdue")
	}
	// Resolved, the incident's overdue task and timer are no longer late:
	// their moment passed with the resolution.
	late := must(t, home, "task", "add", inc[:8], "--title", "Late", "--due", "1s")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if d = showIncident(t, home, inc); len(d.Tasks) == 2 && d.Tasks[1].Overdue {
			break
		}
	}
	must(t, home, "incident", "status", inc[:8], "resolved")
	d = showIncident(t, home, inc)
	if s := timerLabelled(t, d, "Soon").State; s != "resolved" || d.Tasks[1].ID != late || d.Tasks[1].Overdue {
		t.Errorf("after the resolution: Soon %q, tasks %+v; want resolved and not overdue", s, d.Tasks)
	}
}

// Deadlines typed in odd forms: each refusal says what was wrong and what
// to type, exits 2 and stores nothing; what RFC 3339 allows is taken.
func TestLifecycleDeadlineForms(t *testing.T) {
	home, inc := newWorkspace(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"timer", "set", inc[:8], "--label", "x", "--in", "0s"}, "--in 0s: the deadline would be now"},
		{[]string{"task", "add", inc[:8], "--title", "x", "--due", "0s"}, "--due 0s: the task would be due now"},
		{[]string{"timer", "set", inc[:8], "--label", "x", "--at", "2030-01-01T00:00:00"}, "want RFC 3339 with a zone"},
		{[]string{"timer", "set", inc[:8], "--label", "x", "--at", "2030-01-01"}, "want RFC 3339 with a zone"},
		{[]string{"timer", "set", inc[:8], "--label", "x", "--in", "9000000h"}, "invalid duration"},
		{[]string{"task", "add", inc[:8], "--title", "x", "--due", "1d"}, `unknown unit "d"`},
	} {
		before := eventCount(t, home)
		_, errs, code := tminus(t, home, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("tminus %s: exit %d, %q; want exit 2, %q", strings.Join(c.args, " "), code, errs, c.want)
		}
		if eventCount(t, home) != before {
			t.Errorf("tminus %s stored an event", strings.Join(c.args, " "))
		}
	}
	must(t, home, "timer", "set", inc[:8], "--label", "lower", "--at", "2030-01-01t00:00:00z")
	must(t, home, "timer", "set", inc[:8], "--label", "zone", "--at", "2030-01-01T02:00:00+02:00")
	must(t, home, "timer", "set", inc[:8], "--label", "mixed", "--in", "1h30m")
	d := showIncident(t, home, inc)
	for label, want := range map[string]string{"lower": "2030-01-01T00:00:00.000Z", "zone": "2030-01-01T00:00:00.000Z"} {
		if got := timerLabelled(t, d, label).Due; got != want {
			t.Errorf("timer %s due %s, want %s (UTC)", label, got, want)
		}
	}
}
