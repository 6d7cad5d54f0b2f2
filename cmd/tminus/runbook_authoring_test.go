package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// teamRunbook writes a runbook into a fresh team directory that the commands of this test
// read (TMINUS_RUNBOOKS), and returns its path.
func teamRunbook(t *testing.T, name, text string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMINUS_RUNBOOKS", dir)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const isolateFront = "---\nid: isolate-db\ntitle: Isolate the database host\nrisk: %s\nquorum: %d\napprovers: [containment, triage]\n" +
	"params:\n  host:\n    description: DNS name of the host\n    pattern: '^[a-z0-9.-]+$'\n---\n" +
	"1. Cut the host off\n   ```sh\n   echo cut {{host}}\n   ```\n"

// TestRunbookAuthoringLowRiskWithQuorum: a team's runbook saying risk: low beside a quorum
// loaded, and its step ran on the proposer's say alone, the quorum never asked for. It is
// refused: runbook list fails with one line naming the file and line and what to do, and
// the step cannot be proposed, so nothing reaches the log.
func TestRunbookAuthoringLowRiskWithQuorum(t *testing.T) {
	home, inc := newWorkspace(t)
	path := teamRunbook(t, "isolate-db.md", strings.NewReplacer("%s", "low", "%d", "2").Replace(isolateFront))

	_, errs, code := tminus(t, home, "runbook", "list")
	want := "tminus: " + path + ":5: quorum: 2 is ignored with risk: low"
	if code != 1 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 0 || !strings.Contains(errs, "set risk: high") {
		t.Fatalf("runbook list: exit %d, stderr %q, want one line starting %q", code, errs, want)
	}
	_, errs, code = tminus(t, home, "runbook", "propose", inc[:8], "isolate-db", "--param", "host=db-1")
	if code != 1 || !strings.Contains(errs, "warning: runbook left out: "+path+":5") || !strings.Contains(errs, "runbook isolate-db not found") {
		t.Fatalf("propose: exit %d: %s", code, errs)
	}
	if log := must(t, home, "log"); strings.Contains(log, domain.KindRunbookPropose) {
		t.Fatalf("a proposal was stored:\n%s", log)
	}
}

// TestRunbookAuthoringQuorumCannotBeMet: a quorum larger than the members who hold an
// approver role can never be met, and the dry run only said "needs 2 more", leaving the
// responders waiting for approvals that cannot come. It now says why and what to do; the
// step still does not run.
func TestRunbookAuthoringQuorumCannotBeMet(t *testing.T) {
	home, inc := newWorkspace(t) // alice alone
	teamRunbook(t, "isolate-db.md", strings.NewReplacer("%s", "high", "%d", "3").Replace(isolateFront))
	id := must(t, home, "runbook", "propose", inc[:8], "isolate-db", "--param", "host=db-1")

	dry, _, _ := tminus(t, home, "runbook", "exec", id[:10], "--dry-run")
	if !strings.Contains(dry, "NO  1/3 approvals from containment or triage: needs 2 more, but only 1 current member(s) hold containment or triage: "+
		"the quorum cannot be met; add members with that role, or lower quorum in the runbook") {
		t.Fatalf("dry run:\n%s", dry)
	}
	if _, errs, code := tminus(t, home, "runbook", "exec", id[:10]); code != 1 || !strings.Contains(errs, "cannot be met") {
		t.Fatalf("exec: exit %d: %s", code, errs)
	}
	if log := must(t, home, "log"); strings.Contains(log, domain.KindRunbookExec) {
		t.Fatalf("a run was recorded:\n%s", log)
	}
}
