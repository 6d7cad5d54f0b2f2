package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// A task marked done by mistake, or whose fix did not hold, is reopened:
// not done, nobody's done, and it can be done again. Reopening a task that
// is not done, or unknown, is refused.
func TestTaskReopen(t *testing.T) {
	tm := domaintest.NewTeam(3, 2)
	found(t, tm, domain.Policy{}, "containment", "triage")
	add(t, tm, 0, member(tm, 1, "bob", "comms"))
	inc := declare(t, tm, 0, "Vault drain")
	task := do(t, tm, 1, &domain.TaskAdd{Incident: inc.ID, Title: "freeze treasury", Owner: "bob", Due: domaintest.Epoch + 60_000})
	open := do(t, tm, 0, &domain.TaskReopen{Task: task.ID})
	unknown := do(t, tm, 0, &domain.TaskReopen{Task: domain.ID{9}})
	done := do(t, tm, 1, &domain.TaskDone{Task: task.ID})
	reopen := do(t, tm, 0, &domain.TaskReopen{Task: task.ID})
	twice := do(t, tm, 1, &domain.TaskReopen{Task: task.ID})

	st := fold(tm.Events)
	accepted(t, st, task, done, reopen)
	rejected(t, st, open, "is not done")
	rejected(t, st, unknown, "not found")
	rejected(t, st, twice, "is not done")
	if tk := st.Tasks[task.ID]; tk.Done || tk.DoneAt != 0 || tk.DoneBy != "" || tk.Owner != "bob" || tk.Due != domaintest.Epoch+60_000 {
		t.Fatalf("reopened task: %+v", tk)
	}
	again := do(t, tm, 1, &domain.TaskDone{Task: task.ID})
	st = fold(tm.Events)
	accepted(t, st, again)
	if tk := st.Tasks[task.ID]; !tk.Done || tk.DoneBy != "bob" || tk.DoneAt != int64(again.Time) {
		t.Fatalf("done again: %+v", tk)
	}
	if err := st.CheckBody(tm.Addr(0), &domain.TaskReopen{Task: task.ID}, domaintest.Epoch); err != nil {
		t.Fatalf("check of a reopen of a done task: %v", err)
	}
	_, lines := timelineOf(t, tm.Events, inc)
	var got []string
	for _, l := range lines {
		if l.Kind == domain.KindTaskReopen {
			got = append(got, l.Text)
		}
	}
	if len(got) != 1 || got[0] != "reopened: freeze treasury" {
		t.Fatalf("timeline's reopen lines: %q", got)
	}
}
