package main

import (
	"strings"
	"testing"
)

// runbook propose --param: a name given twice with two values is wrong
// usage, not the last one silently; the same value twice is harmless; a
// name left out is wrong usage. Nothing is proposed for a refusal.
func TestRunbookProposeParams(t *testing.T) {
	home, inc := newWorkspace(t)
	before := eventCount(t, home)
	for _, tc := range []struct {
		params []string
		msg    string
	}{
		{[]string{"host=a", "host=b", "since=-1h"}, `--param host given twice, as "a" and "b": give it once`},
		{[]string{"host=a", "=1", "since=-1h"}, `--param "=1": want name=value (tminus runbook show RUNBOOK lists its params)`},
		{[]string{"host", "since=-1h"}, `--param "host": want name=value`},
	} {
		args := []string{"runbook", "propose", inc[:8], "evidence-logs"}
		for _, p := range tc.params {
			args = append(args, "--param", p)
		}
		out, errs, code := tminus(t, home, args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.params, code, out, errs, tc.msg)
		}
	}
	if n := eventCount(t, home); n != before {
		t.Fatalf("refused proposals stored %d events", n-before)
	}
	id := must(t, home, "runbook", "propose", inc[:8], "evidence-logs", "--param", "host=db1.example.org", "--param", "host=db1.example.org", "--param", "since=-1h")
	if out := must(t, home, "runbook", "exec", id[:10], "--dry-run"); !strings.Contains(out, "db1.example.org") {
		t.Errorf("the proposal's command lacks the host:\n%s", out)
	}
}
