package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunbookBrokenTeamFile: one broken file in the team's directory (a teammate's typo
// pulled at 3 a.m.) made every runbook command fail and kept the cockpit from opening, an
// approved step of another runbook included. It is reported and left out; runbook list,
// the check a team runs on the directory, still fails on it; and the embedded runbook the
// broken file overrides does not stand in for it.
func TestRunbookBrokenTeamFile(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "echo contained")
	dir := os.Getenv("TMINUS_RUNBOOKS")
	broken := "---\nid: host-quarantine\ntitle: Our quarantine\nrisk: hihg\n---\n1. Cut\n   ```sh\n   true\n   ```\n"
	if err := os.WriteFile(filepath.Join(dir, "quarantine.md"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if code != 0 || out != "contained" || !strings.Contains(errs, "warning: runbook left out: "+filepath.Join(dir, "quarantine.md")+":4: risk must be low or high") {
		t.Fatalf("exec of another runbook's approved step: exit %d, %q\n%s", code, out, errs)
	}
	if _, errs, code := tminus(t, home, "runbook", "list"); code != 1 || !strings.Contains(errs, "quarantine.md:4") {
		t.Fatalf("runbook list: exit %d: %s", code, errs)
	}
	_, errs, code = tminus(t, home, "runbook", "propose", inc[:8], "host-quarantine", "--param", "host=web-1")
	if code == 0 || !strings.Contains(errs, "runbook host-quarantine not found") {
		t.Fatalf("propose of the broken override: exit %d: %s", code, errs)
	}
	if got := must(t, home, "runbook", "show", "probe"); !strings.Contains(got, "echo contained") {
		t.Fatalf("show of a good runbook: %s", got)
	}
}
