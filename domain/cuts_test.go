package domain_test

import (
	"maps"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// cutTeam is alice (0), bob (1), carol (2) and dave (3), all voters, with
// an incident declared and a note from each: the roster quorum is 3.
type cutTeam struct {
	*domaintest.Team
	inc *domain.Event
}

func newCutTeam(t *testing.T) *cutTeam {
	t.Helper()
	tm := domaintest.NewTeam(31, 4)
	found(t, tm, domain.Policy{}, "triage", "containment")
	do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", "triage")})
	p := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 2, "carol", "comms")})
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	p = do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 3, "dave", "containment")})
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	c := &cutTeam{Team: tm, inc: do(t, tm, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P2"})}
	for i := range 4 {
		do(t, tm, i, &domain.Note{Incident: c.inc.ID, Text: "here"})
	}
	if st := fold(tm.Events); len(st.Rejected) > 0 || st.RosterQuorum() != 3 {
		t.Fatalf("setup: rejected %+v, quorum %d", st.Rejected, st.RosterQuorum())
	}
	return c
}

// offline signs b as node i's next event from what it last heard, as a
// removed member's node that stays off the network, or a thief's copy of
// it, would: its lamport sorts before everything the others wrote since.
func (c *cutTeam) offline(t *testing.T, i int, b domain.Body) *domain.Event {
	t.Helper()
	e, err := c.Nodes[i].Write(b, c.Clock)
	if err != nil {
		t.Fatal(err)
	}
	c.Events = append(c.Events, e)
	return e
}

// cut is key i's newest seq as every node holds it.
func (c *cutTeam) cut(i int) []domain.KeyCut {
	return []domain.KeyCut{{Key: c.Addr(i), Seq: c.Nodes[i].Seq()}}
}

// remove has proposer propose removing the member of node victim, with
// cuts, and each of approvers approve it.
func (c *cutTeam) remove(t *testing.T, handle string, cuts []domain.KeyCut, proposer int, approvers ...int) *domain.Event {
	t.Helper()
	p := do(t, c.Team, proposer, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: handle}, Cuts: cuts})
	for _, i := range approvers {
		do(t, c.Team, i, &domain.MemberApprove{Proposal: p.ID})
	}
	return p
}

func sameHashShuffled(t *testing.T, events []*domain.Event, forks map[common.Address]uint64) {
	t.Helper()
	want := stateHash(t, domain.Fold(events, forks))
	rng := rand.New(rand.NewSource(7))
	for i := range 10 {
		if got := stateHash(t, domain.Fold(shuffled(rng, events), forks)); got != want {
			t.Fatalf("order %d: hash differs", i)
		}
	}
}

// A removed member who stays offline signs on from what they last heard.
// Their events sort before the removal, and by order alone they counted:
// a severity downgrade and a resolution from someone the roster had
// removed. The removal's cut voids them wherever they sort.
func TestCutVoidsBackdatedEvents(t *testing.T) {
	for _, withCut := range []bool{true, false} {
		c := newCutTeam(t)
		var cuts []domain.KeyCut
		if withCut {
			cuts = c.cut(1)
		}
		for range 3 { // the others move on; bob hears none of it
			do(t, c.Team, 0, &domain.Note{Incident: c.inc.ID, Text: "still draining"})
		}
		rm := c.remove(t, "bob", cuts, 0, 2, 3)
		sev := c.offline(t, 1, &domain.IncidentSeverity{Incident: c.inc.ID, Severity: "P4"})
		res := c.offline(t, 1, &domain.IncidentStatus{Incident: c.inc.ID, Status: domain.StatusResolved})
		if !sev.Key().Less(rm.Key()) {
			t.Fatalf("bob's event %d does not sort before the removal %d: the test shows nothing", sev.Lamport, rm.Lamport)
		}
		st := fold(c.Events)
		if st.Members["bob"].Active {
			t.Fatal("bob was not removed")
		}
		inc := st.Incidents[c.inc.ID]
		if !withCut { // what the cut is for
			accepted(t, st, sev, res)
			if inc.Severity != "P4" {
				t.Errorf("without a cut, the backdated severity should count: %s", inc.Severity)
			}
			continue
		}
		rejected(t, st, sev, domain.ErrCut.Error())
		rejected(t, st, res, "after seq "+strconv.FormatUint(cuts[0].Seq, 10))
		if inc.Severity != "P2" || inc.Status == domain.StatusResolved {
			t.Errorf("the removed member's backdated events counted: severity %s, status %s", inc.Severity, inc.Status)
		}
		if got := st.Cuts[c.Addr(1)]; got.Seq != cuts[0].Seq || got.By != rm.ID {
			t.Errorf("cut in force %+v, want seq %d by %s", got, cuts[0].Seq, rm.ID.Short())
		}
		// What bob signed before the cut still counts.
		if n := len(st.Rejected); n != 2 {
			t.Errorf("%d events rejected, want bob's 2: %+v", n, st.Rejected)
		}
		sameHashShuffled(t, c.Events, nil)
	}
}

// A lost key the roster replaces is cut the same way: the thief's copy
// signs from the seq it holds, sorting before the rotation.
func TestCutVoidsAThiefAfterARosterRotation(t *testing.T) {
	p := newProofTeam(t)
	alice := domaintest.SSHKey("alice")
	do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	inc := do(t, p.Team, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	for range 3 {
		do(t, p.Team, 1, &domain.Note{Incident: inc.ID, Text: "bob works"})
	}
	seq := p.Nodes[0].Seq()
	prop := do(t, p.Team, 1, &domain.MemberChange{Action: domain.ChangeRotate, Rotation: &domain.Rotation{
		Member: "alice", Old: p.Addr(0), New: p.Addr(3), Endorsement: *p.sshProof(t, 3, alice, epoch, 30*24*time.Hour), Cut: &seq}})
	do(t, p.Team, 2, &domain.MemberApprove{Proposal: prop.ID})
	thief, err := p.Nodes[0].Write(&domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved}, p.Clock)
	if err != nil {
		t.Fatal(err)
	}
	if !thief.Key().Less(prop.Key()) {
		t.Fatal("the thief's event does not sort before the rotation: the test shows nothing")
	}
	all := append(append([]*domain.Event(nil), p.Events...), thief)
	st := fold(all)
	if !st.Roster[prop.ID].Applied {
		t.Fatalf("rotation not applied: %+v", st.Roster[prop.ID])
	}
	rejected(t, st, thief, domain.ErrCut.Error())
	if st.Incidents[inc.ID].Status == domain.StatusResolved {
		t.Error("the thief resolved the incident")
	}
	sameHashShuffled(t, all, nil)
}

// bob's stolen key approves, backdated, a pending removal of carol that
// needed one more approval; honest members then remove bob, carol among
// them. Bob's cut voids his approval, so carol stays, and her approval of
// bob's removal counts. Cutting both (the fixed point from "every
// revocation that applied") would have voided every cut and let the thief
// stand.
func TestCutOfAThiefUndoesTheRemovalHeCarried(t *testing.T) {
	c := newCutTeam(t)
	pa := do(t, c.Team, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}, Cuts: c.cut(2)})
	do(t, c.Team, 3, &domain.MemberApprove{Proposal: pa.ID})
	do(t, c.Team, 1, &domain.Note{Incident: c.inc.ID, Text: "bob, last honest word"})
	bobCut := c.cut(1)
	for range 3 {
		do(t, c.Team, 0, &domain.Note{Incident: c.inc.ID, Text: "alice"})
	}
	pb := c.remove(t, "bob", bobCut, 3, 0, 2)
	tip := c.offline(t, 1, &domain.MemberApprove{Proposal: pa.ID})
	if !tip.Key().Less(pb.Key()) {
		t.Fatal("the thief's approval does not sort before bob's removal")
	}
	st := fold(c.Events)
	rejected(t, st, tip, domain.ErrCut.Error())
	if st.Roster[pa.ID].Applied || !st.Members["carol"].Active {
		t.Errorf("carol's removal, carried by the thief's voided approval, applied")
	}
	if !st.Roster[pb.ID].Applied || st.Members["bob"].Active {
		t.Errorf("bob's removal did not apply: %+v", st.Roster[pb.ID])
	}
	if _, ok := st.Cuts[c.Addr(2)]; ok {
		t.Errorf("carol's key is cut: %+v", st.Cuts)
	}
	sameHashShuffled(t, c.Events, nil)
}

func TestCutRefusals(t *testing.T) {
	c := newCutTeam(t)
	other := do(t, c.Team, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"},
		Cuts: []domain.KeyCut{{Key: c.Addr(2), Seq: 1}}})
	rm := c.remove(t, "bob", c.cut(1), 0, 2, 3)
	back := do(t, c.Team, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(c.Team, 1, "bob", "triage")})
	st := fold(c.Events)
	rejected(t, st, other, "is not a key of bob")
	accepted(t, st, rm)
	rejected(t, st, back, "was cut at seq")
	if err := st.CheckBody(c.Addr(0), &domain.MemberPropose{Action: domain.ActionAdd, Member: member(c.Team, 1, "bob", "triage")}, c.Clock); err == nil {
		t.Error("CheckBody allows adding a cut key back")
	}

	malformed := []struct {
		name string
		body domain.Body
		want string
	}{
		{"add with cuts", &domain.MemberPropose{Action: domain.ActionAdd, Member: member(c.Team, 1, "bob"), Cuts: c.cut(1)}, "only a removal cuts"},
		{"zero key", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: []domain.KeyCut{{Seq: 1}}}, "needs a key"},
		{"key twice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: append(c.cut(1), c.cut(1)...)}, "cut twice"},
		{"too many", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: manyCuts(domain.MaxCuts + 1)}, "at most"},
	}
	for _, m := range malformed {
		if err := m.body.Validate(); err == nil || !strings.Contains(err.Error(), m.want) {
			t.Errorf("%s: %v, want %q", m.name, err, m.want)
		}
	}
}

func manyCuts(n int) []domain.KeyCut {
	out := make([]domain.KeyCut, n)
	for i := range out {
		out[i].Key = common.Address{byte(i + 1)}
	}
	return out
}

// A snapshot keeps the cuts in force and each revocation's cuts.
func TestSnapshotRestoresCuts(t *testing.T) {
	c := newCutTeam(t)
	c.remove(t, "bob", c.cut(1), 0, 2, 3)
	c.offline(t, 1, &domain.Note{Incident: c.inc.ID, Text: "bob, offline"})
	st := fold(c.Events)
	if len(st.Cuts) != 1 {
		t.Fatalf("cuts in force: %+v", st.Cuts)
	}
	want, err := domain.CanonicalBytes(st)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for _, size := range []int{1, 200} {
		back, _, err := domain.Restore(st, size, rng.Perm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := domain.CanonicalBytes(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) || !maps.Equal(back.Cuts, st.Cuts) {
			t.Fatalf("parts of %d bytes: restored cuts %+v, want %+v", size, back.Cuts, st.Cuts)
		}
	}
}

// Two removals of carol proposed from two views, each reaching its quorum:
// the first to apply removes her, the second removes no one, but its
// approvers approved its cut too, and the lower seq stands. Before, the
// second was void and the looser cut let carol's events between them count.
func TestConcurrentRemovalsKeepTheTighterCut(t *testing.T) {
	c := newCutTeam(t)
	tight := c.cut(2)
	pa := do(t, c.Team, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}, Cuts: tight})
	late := do(t, c.Team, 2, &domain.Note{Incident: c.inc.ID, Text: "carol, after alice's cut"})
	pb := do(t, c.Team, 1, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}, Cuts: c.cut(2)})
	do(t, c.Team, 3, &domain.MemberApprove{Proposal: pa.ID})
	do(t, c.Team, 3, &domain.MemberApprove{Proposal: pb.ID})
	do(t, c.Team, 0, &domain.MemberApprove{Proposal: pb.ID}) // pb applies: carol removed
	do(t, c.Team, 1, &domain.MemberApprove{Proposal: pa.ID}) // pa reaches its quorum too
	st := fold(c.Events)
	if !st.Roster[pa.ID].Applied || !st.Roster[pb.ID].Applied || st.Members["carol"].Active {
		t.Fatalf("removals: %+v / %+v", st.Roster[pa.ID], st.Roster[pb.ID])
	}
	if got := st.Cuts[c.Addr(2)]; got.Seq != tight[0].Seq || got.By != pa.ID {
		t.Errorf("cut in force %+v, want the tighter seq %d by %s", got, tight[0].Seq, pa.ID.Short())
	}
	rejected(t, st, late, domain.ErrCut.Error())
	sameHashShuffled(t, c.Events, nil)
}

// A removed member's node no longer reports, so k/n counts only watchers
// still on the roster; and a removed, cut key is told to join again, as
// it cannot be added back.
func TestRemovedMemberLeavesCorroborationAndCannotComeBack(t *testing.T) {
	c := newCutTeam(t)
	do(t, c.Team, 0, &domain.AlertObserve{Fingerprint: "fp", Title: "Outflow", Source: "chain", Status: domain.AlertFiring})
	do(t, c.Team, 2, &domain.AlertObserve{Fingerprint: "fp-2", Title: "Lag", Source: "chain", Status: domain.AlertFiring})
	c.remove(t, "carol", c.cut(2), 0, 1, 3)
	st := fold(c.Events)
	if got := st.Corroboration(st.Alerts[domain.AlertID("fp")]); got != "1/1" {
		t.Errorf("corroboration %s, want 1/1: carol's node no longer reports", got)
	}
	if err := st.MayWrite(c.Addr(2)); err == nil || !strings.Contains(err.Error(), "join again with a new key") {
		t.Errorf("a removed, cut key: %v", err)
	}
}
