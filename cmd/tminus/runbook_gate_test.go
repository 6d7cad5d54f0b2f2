package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// TestRunbookExecRefusesTermsTheRunbookDoesNotSet: the proposal event carries the step's
// risk, quorum and approver roles, and the fold counts approvals against those; only the
// local runbook file says what they must be. A member who signs a proposal of a high-risk
// step with risk low, a smaller quorum or laxer approvers must not get it run here without
// the quorum the runbook sets, although its content hash and command match.
func TestRunbookExecRefusesTermsTheRunbookDoesNotSet(t *testing.T) {
	w := newCockpitWorkspace(t)
	for _, tc := range []struct {
		name   string
		forge  func(b *domain.RunbookPropose)
		reason string
	}{
		{"risk low", func(b *domain.RunbookPropose) { b.Risk, b.Quorum, b.Approvers = domain.RiskLow, 0, nil }, "risk high"},
		{"quorum 1", func(b *domain.RunbookPropose) { b.Quorum = 1 }, "quorum 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := w.pauseProposal(t)
			tc.forge(body)
			id := w.bobs(t, body)
			out, errs, code := tminus(t, w.home, "runbook", "exec", id[:10])
			if code != 1 || !strings.Contains(errs, "may not run here") || !strings.Contains(errs, tc.reason) {
				t.Fatalf("exec of a proposal with forged terms: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if log := must(t, w.home, "log"); strings.Contains(log, domain.KindRunbookExec) {
				t.Fatalf("a run was recorded:\n%s", log)
			}
			if dry, _, _ := tminus(t, w.home, "runbook", "exec", id[:10], "--dry-run"); !strings.Contains(dry, "NO ") {
				t.Fatalf("dry run shows no refusal:\n%s", dry)
			}
		})
	}
}

// TestRunbookExecAfterTheQuorumChanged: a team that changes a runbook's quorum changes its
// file, so a proposal made before does not run under either quorum: lowered, its old
// approvals do not meet it by the back door; raised, they do not pass for the new one.
// The refusal says what to do about it.
func TestRunbookExecAfterTheQuorumChanged(t *testing.T) {
	w := newCockpitWorkspace(t)
	path := filepath.Join(os.Getenv("TMINUS_RUNBOOKS"), "stand-in-pause.md")
	for _, quorum := range []string{"quorum: 1", "quorum: 3"} {
		t.Run(quorum, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(standIn), 0o600); err != nil {
				t.Fatal(err)
			}
			id := must(t, w.home, "runbook", "propose", w.incident[:8], "stand-in-pause", "--param", "target=vault")
			if err := os.WriteFile(path, []byte(strings.Replace(standIn, "quorum: 2", quorum, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errs, code := tminus(t, w.home, "runbook", "exec", id[:10])
			if code != 1 || !strings.Contains(errs, "local runbook file matches the proposal") ||
				!strings.Contains(errs, "propose the step again") {
				t.Fatalf("exec after the file changed: exit %d: %s", code, errs)
			}
		})
	}
}

// The dry run's gate lines read "ok  what" and "NO  what: why", without
// a trailing space or a why run into the what.
func TestDryRunGateLines(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "true")
	must(t, home, "runbook", "exec", id[:10])
	dry, _, _ := tminus(t, home, "runbook", "exec", id[:10], "--dry-run")
	var gate []string
	for _, l := range strings.Split(dry, "\n") {
		if strings.HasPrefix(l, "  ok  ") || strings.HasPrefix(l, "  NO  ") {
			gate = append(gate, l)
		}
		if strings.TrimRight(l, " ") != l {
			t.Errorf("trailing space: %q", l)
		}
	}
	if len(gate) == 0 || !strings.HasPrefix(gate[0], "  NO  not executed yet: executed by ") {
		t.Fatalf("gate lines: %q (dry run: %s)", gate, dry)
	}
}
