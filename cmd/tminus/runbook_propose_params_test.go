package main

import (
	"path/filepath"
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

// A runbooks directory that is not there says which setting named it.
func TestRunbookDirectoryNamedBy(t *testing.T) {
	home, _ := newWorkspace(t)
	missing := filepath.Join(t.TempDir(), "gone")
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"runbook", "list", "--runbooks", missing}, "runbooks directory " + missing + " does not exist (named by --runbooks): fix the path"},
		{missing, []string{"runbook", "list"}, "runbooks directory " + missing + " does not exist (named by TMINUS_RUNBOOKS): fix the path"},
		{missing, []string{"runbook", "show", "evidence-logs"}, "(named by TMINUS_RUNBOOKS)"},
	} {
		t.Setenv("TMINUS_RUNBOOKS", tc.env)
		out, errs, code := tminus(t, home, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%v with TMINUS_RUNBOOKS=%q: exit %d, stdout %q, stderr %q; want %q", tc.args, tc.env, code, out, errs, tc.want)
		}
	}
}
