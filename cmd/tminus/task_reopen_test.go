package main

import (
	"strings"
	"testing"
)

// task reopen undoes a done; what is not done, not a task, or unknown is
// refused before anything is signed.
func TestTaskReopen(t *testing.T) {
	home, inc := newWorkspace(t)
	task := must(t, home, "task", "add", inc, "--title", "Snapshot balances", "--due", "30m")
	type shown struct {
		Tasks []struct {
			ID     string
			DoneAt string `json:"done_at"`
			Done   bool
		}
		Timeline []struct{ Kind, Text string }
	}
	show := func() shown {
		t.Helper()
		var s shown
		mustJSON(t, must(t, home, "incident", "show", inc, "--json"), &s)
		return s
	}
	events := func() int { return strings.Count(must(t, home, "log", "--json"), "\n") }

	before := events()
	for _, tc := range []struct {
		name, task, want string
		code             int
	}{
		{"not done", task[:8], "is not done", 1},
		{"an incident", inc, "is an incident, not a task", 1},
		{"unknown", "ffffff", "not found", 1},
		{"too short", "abc", "at least 6", 2},
	} {
		if _, errs, code := tminus(t, home, "task", "reopen", tc.task); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, want %d saying %q: %s", tc.name, code, tc.code, tc.want, errs)
		}
	}
	if n := events(); n != before {
		t.Fatalf("refused reopens were signed: %d events, was %d", n, before)
	}

	must(t, home, "task", "done", task[:8])
	if s := show(); len(s.Tasks) != 1 || !s.Tasks[0].Done {
		t.Fatalf("tasks after done: %+v", s.Tasks)
	}
	var created struct{ ID string }
	mustJSON(t, must(t, home, "task", "reopen", task[:8], "--json"), &created)
	if created.ID == "" {
		t.Error("task reopen --json names no event")
	}
	s := show()
	if len(s.Tasks) != 1 || s.Tasks[0].Done || s.Tasks[0].DoneAt != "" {
		t.Errorf("tasks after reopen: %+v", s.Tasks)
	}
	reopened := false
	for _, e := range s.Timeline {
		reopened = reopened || (e.Kind == "task.reopen" && e.Text == "reopened: Snapshot balances")
	}
	if !reopened {
		t.Errorf("no reopen in the timeline: %+v", s.Timeline)
	}
	must(t, home, "task", "done", task[:8]) // and it can be done again
	if s := show(); !s.Tasks[0].Done {
		t.Errorf("done after a reopen: %+v", s.Tasks)
	}
}
