package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
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

// TestRunbookApproveCountsCurrentMembers: an approval from a member removed since does not
// count at the gate, but runbook approve reported it: "2 of 2" from the approval that left
// the step one short, so nobody went after the approval still missing.
func TestRunbookApproveCountsCurrentMembers(t *testing.T) {
	w := newCockpitWorkspace(t)
	id := w.bobs(t, w.pauseProposal(t)) // bob's proposal counts as his approval
	removal := must(t, w.home, "member", "remove", "bob")
	rid, err := domain.ParseID(removal)
	if err != nil {
		t.Fatal(err)
	}
	w.bobs(t, &domain.MemberApprove{Proposal: rid}) // the roster quorum of two
	out := must(t, w.home, "runbook", "approve", id[:10], "--json")
	var got struct{ Approvals, Quorum int }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Approvals != 1 || got.Quorum != 2 {
		t.Fatalf("approve --json = %s: want 1 approval of 2 (bob was removed)", out)
	}
	if _, errs, _ := tminus(t, w.home, "runbook", "exec", id[:10], "--dry-run"); !strings.Contains(errs, "1/2 approvals") {
		t.Fatalf("the gate disagrees: %s", errs)
	}
	// incident show keeps bob's approval on record, but its approved is the gate's.
	var shown struct {
		Proposals []struct {
			Approvals []string
			Approved  bool
		}
	}
	mustJSON(t, must(t, w.home, "incident", "show", w.incident[:8], "--json"), &shown)
	if len(shown.Proposals) != 1 || len(shown.Proposals[0].Approvals) != 2 || shown.Proposals[0].Approved {
		t.Fatalf("incident show --json proposals = %+v: want both approvals listed and approved false", shown.Proposals)
	}
}
