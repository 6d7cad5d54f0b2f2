package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// TestRunbookExecRefusedBeforeRunningWhenTheRecordWouldNotCount: the gate asked whether the
// executor's member holds containment, not whether this key can still sign: from a key
// that equivocated (a home restored from an old copy) the step ran, and then its record
// was refused, so an approved containment step ran and still looked unexecuted to
// everyone. exec now refuses before running, and says why.
func TestRunbookExecRefusedBeforeRunningWhenTheRecordWouldNotCount(t *testing.T) {
	home, inc := newWorkspace(t)
	marker := filepath.Join(t.TempDir(), "ran")
	id := lowRiskRunbook(t, home, inc, "touch "+marker)

	// A copy of the home signs another event at the same seq; importing it forks the key.
	copyHome := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", home, copyHome).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	must(t, home, "note", inc[:8], "from the home")
	must(t, copyHome, "note", inc[:8], "from the old copy")
	bundle := filepath.Join(t.TempDir(), "fork.jsonl")
	must(t, copyHome, "bundle", "export", bundle)
	tminus(t, home, "bundle", "import", bundle)
	if log := must(t, home, "log"); !strings.Contains(log, "equivocated") {
		t.Fatalf("the fork was not imported:\n%s", log)
	}

	_, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the step ran although its record could not count")
	}
	if code != 1 || !strings.Contains(errs, "may not run here") || !strings.Contains(errs, "signed two events") {
		t.Fatalf("exec from a forked key: exit %d: %s", code, errs)
	}
	if log := must(t, home, "log"); strings.Contains(log, domain.KindRunbookExec) {
		t.Fatalf("a run was recorded:\n%s", log)
	}
}
