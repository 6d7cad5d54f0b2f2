package main

import (
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
