package main

import (
	"strings"
	"testing"
)

// TestRunbookApproveLowRisk: approving a low-risk proposal said "alice is not an approver
// for probe (needs )", the fold's words for a role gate with no roles, which reads as if
// the responder lacked a role. It says the step needs no approvals and what runs it, and
// nothing is stored.
func TestRunbookApproveLowRisk(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "true")
	before := eventCount(t, home)
	_, errs, code := tminus(t, home, "runbook", "approve", id[:10])
	if code != 1 || !strings.Contains(errs, "low risk: it needs no approvals") || !strings.Contains(errs, "tminus runbook exec "+id[:10]) {
		t.Fatalf("approve of a low-risk proposal: exit %d: %s", code, errs)
	}
	if after := eventCount(t, home); after != before {
		t.Fatalf("%d events stored", after-before)
	}
}
