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
