package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// BUG (found by the randomized cut tests, cuts_random_test.go): a thief
// holding a revoked key disables the revocation's cut by approving the
// revocation itself. With the cut in force its approval (past the cut)
// does not count, the revocation falls short of the quorum, so DecideCuts
// drops it; with no cut in force the approval counts and the revocation
// applies. The final state has bob removed, no cut in force, and the
// thief's backdated resolution counting: docs/design.md promises that once
// the proposal applies, nothing the key signed past its cut counts.
//
// The thief needs nothing but to approve and broadcast: the others see
// the removal applied and approve no more. The randomized histories hit
// it with rotations too (a thief approving the rotation of its own key).
//
// Proposed fix (domain/cuts.go cutOut): a key's approval of a revocation
// that cuts that very key is exempt from the cut. Approving one's own
// revocation can only help it apply, so the exemption cannot carry
// anything else, and with it the revocation applies under its own cut and
// DecideCuts keeps it.
func TestBugThiefApprovingItsOwnRemovalDisablesTheCut(t *testing.T) {
	c := newCutTeam(t)
	for range 3 { // bob's key is stolen; bob writes no more
		do(t, c.Team, 0, &domain.Note{Incident: c.inc.ID, Text: "still draining"})
	}
	cut := c.cut(1)
	res := c.offline(t, 1, &domain.IncidentStatus{Incident: c.inc.ID, Status: domain.StatusResolved})
	rm := do(t, c.Team, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: cut})
	do(t, c.Team, 2, &domain.MemberApprove{Proposal: rm.ID})
	// The thief, reading the network, approves bob's removal: the third
	// approval of a quorum of 3. Everyone sees bob removed; dave does not
	// approve any more.
	thiefOK := do(t, c.Team, 1, &domain.MemberApprove{Proposal: rm.ID})
	if !res.Key().Less(rm.Key()) {
		t.Fatal("the thief's resolution does not sort before the removal: the test shows nothing")
	}
	st := fold(c.Events)
	if !st.Roster[rm.ID].Applied || st.Members["bob"].Active {
		t.Fatalf("bob's removal did not apply: %+v", st.Roster[rm.ID])
	}
	if got, ok := st.Cuts[c.Addr(1)]; !ok || got.Seq != cut[0].Seq {
		t.Errorf("bob's removal applied, yet his cut is not in force: cuts %v (the thief's approval %s: %q)",
			st.Cuts, thiefOK.ID.Short(), reason(st, thiefOK.ID))
	}
	rejected(t, st, res, domain.ErrCut.Error())
	if st.Incidents[c.inc.ID].Status == domain.StatusResolved {
		t.Error("the thief resolved the incident")
	}
}
