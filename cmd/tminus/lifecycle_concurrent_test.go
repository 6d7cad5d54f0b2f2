package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// responders is alice (triage, containment) and bob (triage) in two homes
// of one workspace, both holding incident inc: two people working one
// incident who meet by bundle.
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
		{[]string{"task", "assign", inc[:8], "alice"}, 1, "task " + inc[:8] + " not found"},
		{[]string{"task", "assign", task[:8]}, 2, ""},
		{[]string{"timer", "done", task[:8]}, 1, "timer " + task[:8] + " not found"},
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
