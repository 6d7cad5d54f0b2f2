package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// Found by the randomized cut tests (cuts_random_test.go): a thief
// holding a revoked key disabled the revocation's cut by approving the
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
// The fix (cutOut): a key's approval of a revocation
// that cuts that very key is exempt from the cut. Approving one's own
// revocation can only help it apply, so the exemption cannot carry
// anything else, and with it the revocation applies under its own cut and
// DecideCuts keeps it.
func TestThiefApprovingItsOwnRemovalKeepsTheCut(t *testing.T) {
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

// Found by the randomized cut tests: DecideCuts took its candidates
// only from the revocations that apply with no cut in force. A revocation
// that applies only once a cut is in force is never one, so it applies in
// the final state with its cuts not in force. Here two concurrent removals
// of carol race: with no cut in force the first applies, carried by a
// thief's approval with bob's stolen key, and the second is refused
// (carol is no longer a member). With bob's cut in force, which DecideCuts
// keeps, the first falls short and the second applies: carol is removed,
// and her offline, backdated downgrade counts though the removal that
// applied cut her before it.
//
// The fix (DecideCuts): after the pass over the
// candidates, fold with the kept cuts; any revocation that applies there,
// carries cuts and was never tried becomes a candidate, tried the same
// way (latest first); repeat until a pass brings no new one. Each
// proposal is tried once, so it ends, and the result is still a function
// of the event set.
func TestRevocationApplyingOnlyUnderACutGetsItsCut(t *testing.T) {
	tm := domaintest.NewTeam(53, 5)
	found(t, tm, domain.Policy{}, "triage", "containment")
	do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", "triage")})
	p := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 2, "carol", "triage")})
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	p = do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 3, "dave", "triage")})
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	p = do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 4, "erin", "triage")})
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	do(t, tm, 2, &domain.MemberApprove{Proposal: p.ID})
	inc := do(t, tm, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	for i := range 5 {
		do(t, tm, i, &domain.Note{Incident: inc.ID, Text: "here"})
	}
	if st := fold(tm.Events); len(st.Rejected) > 0 || st.ActiveMembers() != 5 || st.RosterQuorum() != 3 {
		t.Fatalf("setup: rejected %+v, %d members, quorum %d", st.Rejected, st.ActiveMembers(), st.RosterQuorum())
	}
	// bob's key is stolen and carol goes offline: each is cut at what
	// everyone holds now.
	bobCut := []domain.KeyCut{{Key: tm.Addr(1), Seq: tm.Nodes[1].Seq()}}
	carolCut := []domain.KeyCut{{Key: tm.Addr(2), Seq: tm.Nodes[2].Seq()}}
	offline := func(i int, b domain.Body) *domain.Event {
		t.Helper()
		e, err := tm.Nodes[i].Write(b, tm.Clock)
		if err != nil {
			t.Fatal(err)
		}
		tm.Events = append(tm.Events, e)
		return e
	}
	down := offline(2, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P4"})
	r1 := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}, Cuts: carolCut})
	do(t, tm, 1, &domain.MemberApprove{Proposal: r1.ID}) // the thief, reading the network
	do(t, tm, 3, &domain.MemberApprove{Proposal: r1.ID})
	r2 := do(t, tm, 4, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}, Cuts: carolCut})
	do(t, tm, 0, &domain.MemberApprove{Proposal: r2.ID})
	r0 := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: bobCut})
	do(t, tm, 3, &domain.MemberApprove{Proposal: r0.ID})
	do(t, tm, 4, &domain.MemberApprove{Proposal: r0.ID})
	do(t, tm, 3, &domain.MemberApprove{Proposal: r2.ID})

	st := fold(tm.Events)
	if !st.Roster[r0.ID].Applied || st.Members["bob"].Active || st.Members["carol"].Active {
		t.Fatalf("setup: bob's removal %+v, bob active %v, carol active %v", st.Roster[r0.ID], st.Members["bob"].Active, st.Members["carol"].Active)
	}
	for _, r := range []*domain.Event{r1, r2} {
		p := st.Roster[r.ID]
		if p == nil || !p.Applied {
			continue
		}
		if got, ok := st.Cuts[tm.Addr(2)]; !ok || got.Seq != carolCut[0].Seq {
			t.Errorf("carol's removal %s applied, yet her cut is not in force: cuts %v", r.ID.Short(), st.Cuts)
		}
	}
	rejected(t, st, down, domain.ErrCut.Error())
	if sev := st.Incidents[inc.ID].Severity; sev != "P1" {
		t.Errorf("carol's backdated downgrade counted: severity %s", sev)
	}
}
