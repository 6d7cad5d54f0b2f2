package tui

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// TestProposalWhoseTermsAreNotTheRunbooks: a proposal of a high-risk runbook signed with
// risk low (or a smaller quorum) read "ready" and "low risk: no approvals needed" in the
// list, as if nobody else had to look at it. The gate refuses it here; the list says so
// before anyone presses x.
func TestProposalWhoseTermsAreNotTheRunbooks(t *testing.T) {
	s := newScenario(t)
	cmd := "cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' \"pause()\" --rpc-url 'mainnet' '--ledger'"
	s.apply("bob", &domain.RunbookPropose{Incident: s.p1, Runbook: "contract-pause", RunbookHash: domain.CommandHash("contract-pause.md"),
		Step: 2, StepTitle: "Pause", Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskLow}, at("03:50:00"))
	h := newHarness(t, s.fake, 160, 48)
	h.press("4")
	h.contains("≠ runbook", "not the runbook's gate (risk high quorum 2): cannot run here")
	h.lacks("low risk: no approvals needed")
	h.press("A")
	h.contains("contract-pause step 2 is not the runbook's gate (risk high quorum 2): it cannot run here; propose the step again")
	h.lacks("it needs no approvals")
}
