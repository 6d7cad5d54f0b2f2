package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// cutsScenario is rosterScenario with revocations, folded by the real fold:
//   - carol added erin, who wrote two notes; carol then removed her, cutting her key
//     after seq 2 (what carol held), so erin's third note, signed later, does not count;
//   - alice proposed removing dave, cutting his key after seq 3; alice is below
//     containment's minimum, so her own approval does not count and it stays pending.
func cutsScenario(t *testing.T) (s *scenario, removeDave domain.ID) {
	t.Helper()
	s = rosterScenario(t)
	s.apply("carol", &domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: s.addr("erin"), Handle: "erin", Roles: []string{"observer"}}}, at("03:40:00"))
	if m := s.st.Members["erin"]; m == nil || !m.Active {
		t.Fatalf("erin was not added: %+v", s.st.Rejected)
	}
	s.apply("erin", &domain.Note{Incident: s.p1, Text: "erin one"}, at("03:41:00"))
	s.apply("erin", &domain.Note{Incident: s.p1, Text: "erin two"}, at("03:41:30"))
	s.apply("carol", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "erin"},
		Cuts: []domain.KeyCut{{Key: s.addr("erin"), Seq: 2}}}, at("03:42:00"))
	late := s.apply("erin", &domain.Note{Incident: s.p1, Text: "erin three, after her cut"}, at("03:42:30"))
	if c, ok := s.st.Cuts[s.addr("erin")]; !ok || c.Seq != 2 {
		t.Fatalf("erin's cut is not in force: %+v", s.st.Cuts)
	}
	if rejected(s.st, late) == "" {
		t.Fatal("erin's note past her cut counts")
	}
	removeDave = s.apply("alice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "dave"},
		Cuts: []domain.KeyCut{{Key: s.addr("dave"), Seq: 3}}}, at("03:44:00"))
	if p := s.st.Roster[removeDave]; p == nil || p.Applied || p.Void != "" {
		t.Fatalf("the removal of dave is not pending: %+v %+v", p, s.st.Rejected)
	}
	return s, removeDave
}

// The roster tab says which keys are revoked and after which seq their events stop
// counting, and what a pending removal will cut, in words, at 80 and in the grid.
func TestRosterPaneCuts(t *testing.T) {
	s, removeDave := cutsScenario(t)
	short := removeDave.Short()
	erin, dave := s.addr("erin").Hex()[:10]+"…", s.addr("dave").Hex()[:10]+"…"
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("7")
		title := "Roster · 4 members · 1 PENDING · 1 BELOW MIN · 1 EXPIRING"
		if sz[0] == 160 { // a 62-column frame: the count gives up its word
			title = "Roster · 4 · 1 PENDING · 1 BELOW MIN · 1 EXPIRING"
		}
		rosterTitle(t, h, title)
		if sz[0] == 160 {
			h.contains("7 " + title + " ")
		}
		h.contains(
			"PENDING ROSTER CHANGES · quorum 1",
			short+"  remove dave · by alice 03:44 · 0/1 approvals",
			"will cut dave's key "+dave+" after seq 3",
			"REVOKED KEYS",
			"erin  "+erin+"  counts up to seq 2 · removed 03:42",
		)
		if row := rosterRows(t, h)["dave"]; !strings.Contains(row, "REMOVAL PENDING") {
			t.Errorf("%dx%d: dave's row does not say his removal is pending: %q", sz[0], sz[1], row)
		}
		h.lacks("erin  observer") // removed: not in the member list
		h.press("j")              // the details still follow the cursor, under the changes
		h.contains("bob · proofs 2 of 2 that containment needs")
	}
}

// Once the removal applies, dave leaves the list, the proposal leaves the pending
// changes, and his key shows among the revoked ones: nothing stale after a fold.
func TestRosterPaneCutApplies(t *testing.T) {
	s, removeDave := cutsScenario(t)
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	s.external("bob", &domain.MemberApprove{Proposal: removeDave}, at("03:50:00"))
	h.poll()
	if p := s.st.Roster[removeDave]; p == nil || !p.Applied {
		t.Fatalf("bob's approval did not apply the removal: %+v", s.st.Rejected)
	}
	rosterTitle(t, h, "Roster · 3 members · 1 BELOW MIN · 1 EXPIRING")
	h.lacks("PENDING", "REMOVAL PENDING", "will cut")
	h.contains(" dave  "+s.addr("dave").Hex()[:10]+"…  counts up to seq 3 · removed 03:50",
		" erin  "+s.addr("erin").Hex()[:10]+"…  counts up to seq 2 · removed 03:42")
}

// Many pending changes never push the list off a small pane.
func TestRosterPaneCutsSizes(t *testing.T) {
	s, _ := cutsScenario(t)
	for i, h := range []string{"bob", "carol", "dave"} {
		// Below-min alice's additions stay pending: a long list of changes.
		s.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{
			Address: s.addr("new-" + h), Handle: "new-" + h, Roles: []string{"observer"}}}, at("03:45:0"+itoa(i)))
	}
	h := newHarness(t, s.fake, 80, 24)
	h.press("7")
	rosterTitle(t, h, "Roster · 4 members · 4 PENDING · 1 BELOW MIN · 1 EXPIRING")
	for _, sz := range append(sizes, [2]int{80, 24}) {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkFrame(t, "roster with changes", h.view(), sz[0], sz[1])
		for range 5 {
			h.press("j")
			checkFrame(t, "roster with changes", h.view(), sz[0], sz[1])
		}
		if sz[1] >= 20 && sz[0] >= 60 { // the list keeps its rows, the changes come after
			rows := rosterRows(t, h)
			if len(rows) != 4 {
				t.Errorf("%dx%d: %d member rows", sz[0], sz[1], len(rows))
			}
		}
		h.press("g")
	}
}

// A pending rotation marks the member's row and says which key it cuts, after which seq.
func TestRosterPanePendingRotation(t *testing.T) {
	s := rosterScenario(t)
	end, err := domaintest.KeyProof(domaintest.SSHKey("bob"), s.st.WS, s.addr("bob-2"), at("03:45:00"), proof.DefaultValidity)
	if err != nil {
		t.Fatal(err)
	}
	cut := uint64(1)
	rot := s.apply("alice", &domain.MemberChange{Action: domain.ChangeRotate, Rotation: &domain.Rotation{Member: "bob",
		Old: s.addr("bob"), New: s.addr("bob-2"), Endorsement: *end, Cut: &cut}}, at("03:45:00"))
	if p := s.st.Roster[rot]; p == nil || p.Applied || p.Void != "" {
		t.Fatalf("the rotation is not pending: %+v %+v", p, s.st.Rejected)
	}
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	bob, bob2 := s.addr("bob").Hex()[:10]+"…", s.addr("bob-2").Hex()[:10]+"…"
	h.contains(rot.Short()+"  rotate bob's key "+bob+" to "+bob2+" · by alice 03:45 · 0/1 approvals",
		"will cut bob's key "+bob+" after seq 1: later events will not count")
	if row := rosterRows(t, h)["bob"]; !strings.Contains(row, "ROTATION PENDING") {
		t.Errorf("bob's row does not say his rotation is pending: %q", row)
	}
	h.lacks("REVOKED KEYS") // nothing cut yet
}

// A cut at seq 0 (the proposer held none of the key's events) says that none count,
// not "after seq 0", pending and in force.
func TestRosterPaneCutAtZero(t *testing.T) {
	s := rosterScenario(t)
	s.apply("carol", &domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: s.addr("erin"), Handle: "erin", Roles: []string{"observer"}}}, at("03:40:00"))
	rm := s.apply("alice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "erin"},
		Cuts: []domain.KeyCut{{Key: s.addr("erin"), Seq: 0}}}, at("03:41:00"))
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	h.contains("will cut erin's key " + s.addr("erin").Hex()[:10] + "…: none of its events will count")
	h.lacks("after seq 0")
	s.external("carol", &domain.MemberApprove{Proposal: rm}, at("03:42:00"))
	h.poll()
	h.contains(" erin  " + s.addr("erin").Hex()[:10] + "…  counts none of its events · removed 03:42")
}
