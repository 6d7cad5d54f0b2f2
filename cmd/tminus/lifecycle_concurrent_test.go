package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// responders is alice (the founder) and bob (triage) in two homes of one
// workspace, both holding incident inc: two people working one incident who
// meet by bundle.
func responders(t *testing.T) (alice, bob, inc string) {
	t.Helper()
	dir := t.TempDir()
	alice = founder(t, dir, 1)
	bob, bobAddr := joinHome(t, dir, "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	inc = must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	carry(t, alice, bob)
	return alice, bob, inc
}

// meet carries each home's events to the other and checks that both fold
// them to the same state.
func meet(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := filepath.Join(t.TempDir(), "a.jsonl"), filepath.Join(t.TempDir(), "b.jsonl")
	must(t, a, "bundle", "export", fa)
	must(t, b, "bundle", "export", fb)
	must(t, a, "bundle", "import", fb)
	must(t, b, "bundle", "import", fa)
	if ha, hb := must(t, a, "state-hash"), must(t, b, "state-hash"); ha != hb {
		t.Fatalf("replicas differ after meeting: %s vs %s", ha, hb)
	}
}

// Two responders change one incident at once: each replica ends at the
// same severity, status and task, the timeline shows every change that
// counted in the order that decided it, and what did not count (the same
// severity twice, a task done twice) is marked REJECTED in the log.
func TestLifecycleConcurrentChanges(t *testing.T) {
	alice, bob, inc := responders(t)
	task := must(t, alice, "task", "add", inc[:8], "--title", "Pause the vault")
	carry(t, alice, bob)

	must(t, alice, "incident", "severity", inc[:8], "P2")
	must(t, bob, "incident", "severity", inc[:8], "P3")
	must(t, alice, "task", "done", task[:8])
	must(t, bob, "task", "done", task[:8])
	meet(t, alice, bob)
	sa, sb := showIncident(t, alice, inc), showIncident(t, bob, inc)
	if sa.Status != sb.Status || len(sa.Tasks) != 1 || len(sb.Tasks) != 1 {
		t.Fatalf("replicas show %+v and %+v", sa, sb)
	}
	shown := must(t, bob, "incident", "show", inc[:8])
	var last string
	for _, line := range strings.Split(shown, "\n") {
		if i := strings.Index(line, "severity P"); i >= 0 {
			last = line[i:]
		}
	}
	head := strings.SplitN(shown, "\n", 2)[0]
	if !strings.HasSuffix(last, head[1:3]) || strings.Count(shown, "severity P") != 2 {
		t.Errorf("the timeline's last severity change %q does not end at the severity shown (%s):\n%s", last, head, shown)
	}
	if strings.Count(shown, "done: Pause the vault") != 1 {
		t.Errorf("the task shows done other than once:\n%s", shown)
	}
	if log := must(t, alice, "log"); !strings.Contains(log, "REJECTED: task "+task[:10]+" is already done") {
		t.Errorf("the second done is not marked as refused:\n%s", log)
	}
	// incident show says which change did not count, where the incident is read.
	var nc struct {
		NotCounted []struct{ At, By, Kind, Reason, Event string } `json:"not_counted"`
	}
	mustJSON(t, must(t, alice, "incident", "show", inc[:8], "--json"), &nc)
	if len(nc.NotCounted) != 1 || nc.NotCounted[0].Kind != "task.done" || !strings.Contains(nc.NotCounted[0].Reason, "already done") ||
		!timelineRow.MatchString("  "+nc.NotCounted[0].At) {
		t.Errorf("not_counted: %+v, want the second task.done", nc.NotCounted)
	}
	if !strings.Contains(must(t, bob, "incident", "show", inc[:8]), "not counted (signed, stored, refused by the fold):") {
		t.Errorf("incident show does not say what did not count")
	}

	// The same severity from both at once: one counts, one is refused.
	must(t, alice, "incident", "severity", inc[:8], "P1")
	must(t, bob, "incident", "severity", inc[:8], "P1")
	meet(t, alice, bob)
	if log := must(t, bob, "log"); !strings.Contains(log, "is already P1") {
		t.Errorf("the second P1 is not marked as refused:\n%s", log)
	}
	// One contains while the other resolves: both count, in one order.
	must(t, alice, "incident", "status", inc[:8], "contained")
	must(t, bob, "incident", "status", inc[:8], "resolved")
	meet(t, alice, bob)
	if a, b := showIncident(t, alice, inc).Status, showIncident(t, bob, inc).Status; a != b || (a != "contained" && a != "resolved") {
		t.Errorf("statuses %q and %q", a, b)
	}
	fails(t, bob, inc[:8]+" is an incident, not a task", "task", "done", inc[:8])
	fails(t, bob, task[:8]+" is a task, not an incident", "incident", "show", task[:8])
}

// Two responders take the same task at once, and both mark it done: each
// replica shows one owner and the task done once; the timeline shows both
// takes, so who won is readable, and the second done is listed as refused.
func TestLifecycleConcurrentTaskTake(t *testing.T) {
	alice, bob, inc := responders(t)
	task := must(t, alice, "task", "add", inc[:8], "--title", "Pause the vault")
	carry(t, alice, bob)
	must(t, alice, "task", "assign", task[:8], "alice")
	must(t, bob, "task", "assign", task[:8], "bob")
	meet(t, alice, bob)
	owner := func(home string) string {
		var v struct{ Tasks []struct{ Owner string } }
		mustJSON(t, must(t, home, "incident", "show", inc[:8], "--json"), &v)
		return v.Tasks[0].Owner
	}
	won := owner(alice)
	if (won != "alice" && won != "bob") || owner(bob) != won {
		t.Fatalf("owners %q and %q after meeting", won, owner(bob))
	}
	shown := must(t, bob, "incident", "show", inc[:8])
	if strings.Count(shown, `task "Pause the vault" -> `) != 2 {
		t.Errorf("the timeline does not show both takes:\n%s", shown)
	}
	fails(t, alice, "already "+won+"'s", "task", "assign", task[:8], won)

	must(t, alice, "task", "done", task[:8])
	must(t, bob, "task", "done", task[:8])
	meet(t, alice, bob)
	if log := must(t, bob, "log"); !strings.Contains(log, "REJECTED: task "+task[:10]+" is already done") {
		t.Errorf("the second done is not shown as refused:\n%s", log)
	}
	fails(t, bob, "already done", "task", "done", task[:8])
}

// task assign and timer done refuse what cannot be: an unknown or
// mistyped id, a non-member, a timer met already.
func TestLifecycleAssignAndTimerDoneBadInput(t *testing.T) {
	home, inc := newWorkspace(t)
	task := must(t, home, "task", "add", inc[:8], "--title", "Snapshot")
	timer := must(t, home, "timer", "set", inc[:8], "--label", "Update", "--in", "30m")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"task", "assign", task[:8], "carol"}, 1, "member carol not found"},
		{[]string{"task", "assign", "abc", "alice"}, 2, "at least 6"},
		{[]string{"task", "assign", "zzzzzzzz", "alice"}, 2, "not hex"},
		{[]string{"task", "assign", inc[:8], "alice"}, 1, inc[:8] + " is an incident, not a task"},
		{[]string{"task", "assign", task[:8]}, 2, ""},
		{[]string{"timer", "done", task[:8]}, 1, task[:8] + " is a task, not a timer"},
		{[]string{"timer", "done", "abc"}, 2, "at least 6"},
	}
	for _, c := range cases {
		before := eventCount(t, home)
		_, errs, code := tminus(t, home, c.args...)
		if code != c.code || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, c.want) {
			t.Errorf("tminus %s: exit %d, %q; want exit %d, %q", strings.Join(c.args, " "), code, errs, c.code, c.want)
		}
		if eventCount(t, home) != before {
			t.Errorf("tminus %s stored an event", strings.Join(c.args, " "))
		}
	}
	must(t, home, "task", "assign", task[:8], "alice")
	must(t, home, "timer", "done", timer[:8])
	fails(t, home, "already met", "timer", "done", timer[:8])
	if tm := timerLabelled(t, showIncident(t, home, inc), "Update"); !tm.Met || tm.State != "met" {
		t.Errorf("a met timer: %+v", tm)
	}
	// The retro timer has no event of its own; its id still works.
	must(t, home, "incident", "status", inc[:8], "resolved")
	retro := timerLabelled(t, showIncident(t, home, inc), "Retro due")
	must(t, home, "timer", "done", retro.ID[:8])
	if tm := timerLabelled(t, showIncident(t, home, inc), "Retro due"); tm.State != "met" {
		t.Errorf("the retro timer after timer done: %+v", tm)
	}
}

// The import that brings the losing half of a concurrent change says how
// many of its events do not count, so the responder learns it there, not
// later from the log.
func TestLifecycleImportSaysWhatDidNotCount(t *testing.T) {
	alice, bob, inc := responders(t)
	task := must(t, alice, "task", "add", inc[:8], "--title", "Pause the vault")
	carry(t, alice, bob)
	must(t, alice, "task", "done", task[:8])
	must(t, bob, "task", "done", task[:8])
	fa, fb := filepath.Join(t.TempDir(), "a.jsonl"), filepath.Join(t.TempDir(), "b.jsonl")
	must(t, alice, "bundle", "export", fa)
	must(t, bob, "bundle", "export", fb)
	// One of the two dones loses, whichever the fold orders second: one
	// import brings it to a home that counted the other.
	var counts []float64
	for _, c := range []struct{ home, file string }{{alice, fb}, {bob, fa}} {
		out, errs, code := tminus(t, c.home, "bundle", "import", c.file, "--json")
		if code != 0 {
			t.Fatalf("import: exit %d, %s", code, errs)
		}
		var rep map[string]any
		mustJSON(t, out, &rep)
		n, _ := rep["not_counted"].(float64)
		counts = append(counts, n)
		if (n > 0) != strings.Contains(errs, "do not count: the fold refused them") {
			t.Errorf("not_counted %v, stderr %q", n, errs)
		}
	}
	if counts[0]+counts[1] != 1 {
		t.Errorf("not_counted %v: want the losing done counted once, on the import that brought it", counts)
	}
}
