package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRunbookExecTimeoutMustBePositive: --timeout 0 once ran the step with
// the 5-minute default, unsaid, and a negative one did the same. Both are
// wrong usage (exit 2) that says what to pass, before the gate: nothing is
// run or recorded, and the proposal still runs with a valid bound.
func TestRunbookExecTimeoutMustBePositive(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "echo ran")
	before := eventCount(t, home)
	for _, tc := range []struct{ value, msg string }{
		{"0", "--timeout 0s: want a positive duration, such as 30s, 15m or 2h (without the flag a step is killed after 5m0s"},
		{"0s", "--timeout 0s: want a positive duration"},
		{"-1m", "--timeout -1m0s: want a positive duration"},
		{"-1ns", "--timeout -1ns: want a positive duration"},
		{"soon", `invalid argument "soon" for "--timeout"`},
		{"5", `invalid argument "5" for "--timeout"`}, // a bare number has no unit
	} {
		for _, extra := range [][]string{nil, {"--dry-run"}, {"--json"}} {
			args := append([]string{"runbook", "exec", id[:10], "--timeout", tc.value}, extra...)
			out, errs, code := tminus(t, home, args...)
			if code != 2 || out != "" || !strings.Contains(errs, tc.msg) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", args, code, out, errs, tc.msg)
			}
		}
	}
	if n := eventCount(t, home); n != before {
		t.Fatalf("refused runs stored %d events", n-before)
	}
	out := must(t, home, "runbook", "exec", id[:10], "--timeout", "1m", "--json")
	var r struct {
		ExitCode int  `json:"exit_code"`
		TimedOut bool `json:"timed_out"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ExitCode != 0 || r.TimedOut {
		t.Fatalf("exec --timeout 1m: %s (%v)", out, err)
	}
	help := must(t, home, "runbook", "exec", "--help")
	if !strings.Contains(help, "a positive duration") || !strings.Contains(help, "(default 5m0s)") {
		t.Errorf("help does not say what --timeout takes:\n%s", help)
	}
}

// TestRunbookExecTwiceSaysWhatToDo: a second exec of a proposal was refused
// with "executed by alice" alone, and the responder retried exec. It says
// how the run ended, where it is recorded, and that a rerun is a new
// proposal; nothing runs or is stored.
func TestRunbookExecTwiceSaysWhatToDo(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "exit 3")
	_, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if code != 1 || !strings.Contains(errs, "exited 3 (recorded)") {
		t.Fatalf("first exec: exit %d, %s", code, errs)
	}
	rec := strings.Fields(strings.SplitN(errs, "recorded as ", 2)[1])[0]
	before := eventCount(t, home)
	want := "not executed yet: executed by alice (exit 3, recorded as " + rec + "): a proposal runs once; propose the step again to rerun it"
	for _, args := range [][]string{{"runbook", "exec", id[:10]}, {"runbook", "exec", id[:10], "--dry-run"}} {
		if _, errs, code := tminus(t, home, args...); code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, %s; want %q", args, code, errs, want)
		}
	}
	if n := eventCount(t, home); n != before {
		t.Errorf("a refused exec stored %d events", n-before)
	}
}
