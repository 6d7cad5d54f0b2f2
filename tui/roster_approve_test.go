package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/ethereum/go-ethereum/common"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
)

// KeyHeads answers as the store backend does: the newest seq signed by each key, every
// event the fake holds counted, pending ones too (this home holds them).
func (f *fake) KeyHeads(_ context.Context, keys []common.Address) (map[common.Address]uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[common.Address]uint64, len(keys))
	for _, k := range keys {
		out[k] = f.seq[k]
	}
	return out, nil
}

// quorumScenario is a roster of four voters with a roster quorum of 3, and alice's
// proposal to remove dave (cutting his key after seq 1), approved by alice (her own,
// counted) and bob: 2/3, pending.
func quorumScenario(t *testing.T) (f *fake, rm domain.ID) {
	t.Helper()
	f = newFake(t, t0)
	f.apply("alice", &domain.Genesis{Name: "acme-sec", Policy: domain.Policy{RosterQuorum: 3},
		Founder: domain.MemberSpec{Address: f.addr("alice"), Handle: "alice", Roles: []string{"triage"}}}, at("02:00:00"))
	for i, h := range []string{"bob", "carol", "dave"} {
		id := f.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd,
			Member: domain.MemberSpec{Address: f.addr(h), Handle: h, Roles: []string{"containment", "triage"}}}, at("02:01:0"+itoa(i)))
		for _, a := range []string{"bob", "carol"}[:i] { // the quorum grows as the roster does
			f.apply(a, &domain.MemberApprove{Proposal: id}, at("02:02:0"+itoa(i)))
		}
		if m := f.st.Members[h]; m == nil || !m.Active {
			t.Fatalf("%s was not added: %+v", h, f.st.Rejected)
		}
	}
	f.apply("dave", &domain.AlertObserve{Fingerprint: "disk", Title: "Disk 85%", Source: "am", Status: domain.AlertFiring},
		at("02:03:00")) // dave's seq 1
	rm = f.apply("alice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "dave"},
		Cuts: []domain.KeyCut{{Key: f.addr("dave"), Seq: 1}}}, at("03:40:00"))
	f.apply("bob", &domain.MemberApprove{Proposal: rm}, at("03:41:00"))
	if p := f.st.Roster[rm]; p == nil || p.Applied || f.st.CountingApprovals(p) != 2 || f.st.RosterQuorum() != 3 {
		t.Fatalf("the removal of dave is not pending at 2/3: %+v %+v", p, f.st.Rejected)
	}
	return f, rm
}

// toChange moves the roster's cursor past the members onto the first pending change.
func toChange(t *testing.T, h *harness) *rosterPane {
	t.Helper()
	h.press("7", "G")
	p := h.m.panes[paneRoster].(*rosterPane)
	if p.change < 0 {
		t.Fatalf("G did not reach the pending changes:\n%s", h.screen())
	}
	h.press("g")
	for range p.cur.n {
		h.press("j")
	}
	if p.change != 0 {
		t.Fatalf("j past the last member selects change %d, want 0:\n%s", p.change, h.screen())
	}
	return p
}

// Approving a removal end to end: the confirmation says what is approved, y signs a
// member.approve of that proposal as this device's key, and the next refresh shows the
// change applied: dave gone from the list and his key among the revoked ones.
func TestRosterApproveRemoval(t *testing.T) {
	f, rm := quorumScenario(t)
	f.me = "carol"
	h := newHarness(t, f, 100, 30)
	p := toChange(t, h)
	h.contains("▸"+rm.Short()+"  remove dave · by alice 03:40 · 2/3 approvals",
		"approvals 2/3: alice, bob · 1 more needed", "A approves it, after a confirmation")
	if !p.approveKey().Enabled() {
		t.Fatal("A is off on a pending change")
	}
	h.press("A")
	if h.m.dialog == nil {
		t.Fatalf("A opened no confirmation:\n%s", h.screen())
	}
	dave := f.addr("dave").Hex()
	h.contains("Approve roster change "+rm.Short()+"?",
		"$ tminus member approve",
		"remove dave from the roster · roles containment, triage · proposed by alice 03:40",
		"cuts dave's key "+dave+" after seq 1: what it signs later",
		"approvals 2/3: alice, bob · 1 more needed · yours makes 3/3: it applies at once",
		"y approve   n/esc cancel")
	if !strings.Contains(strings.ReplaceAll(h.screen(), "\n", ""), rm.String()) {
		t.Errorf("the confirmation does not name the whole proposal id %s:\n%s", rm, h.screen())
	}
	h.lacks("this home holds") // dave signed nothing past the cut
	h.press("y")
	// The harness runs the signing command and the refresh that follows it.
	if n := len(f.events); f.events[n-1].Kind != domain.KindMemberApprove {
		t.Fatalf("last folded event is %s", f.events[n-1].Kind)
	}
	e := f.events[len(f.events)-1]
	if e.Author != f.addr("carol") {
		t.Errorf("signed by %s, want carol's key", e.Author.Hex())
	}
	b, err := domain.DecodeBody(e.Kind, e.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ap, ok := b.(*domain.MemberApprove); !ok || ap.Proposal != rm {
		t.Fatalf("signed %#v, want the approval of %s", b, rm.Short())
	}
	if pr := f.st.Roster[rm]; pr == nil || !pr.Applied || f.st.Members["dave"].Active {
		t.Fatalf("the removal did not apply: %+v %+v", pr, f.st.Rejected)
	}
	h.contains("✓ approved roster change " + rm.Short() + ": it applied (remove dave)")
	h.lacks("PENDING ROSTER CHANGES", "REMOVAL PENDING")
	h.contains(" dave  " + f.addr("dave").Hex()[:10] + "…  counts up to seq 1 · removed 03:57")
	if p.change != -1 || p.approveKey().Enabled() {
		t.Errorf("with no change left the selection is change %d, A enabled %v", p.change, p.approveKey().Enabled())
	}
	if got := p.rows[p.cur.pos].m.Handle; got != "carol" {
		t.Errorf("after the change applied the cursor is on %s, want the last member, carol", got)
	}
}

// An approval that does not apply the change yet: the pane shows the new tally after
// the refresh, the change still selected.
func TestRosterApproveCountsTowardsTheQuorum(t *testing.T) {
	s, rm := cutsScenario(t)
	s.me = "bob"
	s.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: s.addr("frank"), Handle: "frank", Roles: []string{"observer"}}}, at("03:45:00"))
	h := newHarness(t, s.fake, 100, 30)
	p := toChange(t, h)
	if p.selChange != rm {
		t.Fatalf("selected %s, want the removal of dave %s", p.selChange.Short(), rm.Short())
	}
	h.press("j") // the second change: alice's addition of frank, 0/1
	h.contains("approvals 0/1: none that count yet · 1 more needed")
	h.press("A")
	h.contains("add frank · roles observer · key "+s.addr("frank").Hex(), "yours makes 1/1: it applies at once")
	h.press("y")
	h.contains("✓ approved roster change")
	if m := s.st.Members["frank"]; m == nil || !m.Active {
		t.Fatalf("frank was not added: %+v", s.st.Rejected)
	}
	// The addition is gone from the changes; the removal of dave, still pending, is
	// selected in its place.
	if p.change != 0 || p.selChange != rm {
		t.Errorf("after the addition applied, change %d (%s) is selected", p.change, p.selChange.Short())
	}
	rosterTitle(t, h, "Roster · 5 members · 1 PENDING · 1 BELOW MIN · 1 EXPIRING")
}

// n, esc and a refusal close the box and sign nothing.
func TestRosterApproveCancel(t *testing.T) {
	for _, k := range []string{"esc", "n"} {
		f, rm := quorumScenario(t)
		f.me = "carol"
		h := newHarness(t, f, 80, 24)
		toChange(t, h)
		h.press("A", k)
		if h.m.dialog != nil {
			t.Fatalf("%s left the confirmation open", k)
		}
		h.contains("cancelled: nothing was signed")
		h.poll()
		if len(f.pending) != 0 || f.st.CountingApprovals(f.st.Roster[rm]) != 2 {
			t.Errorf("%s: signed %d events; approvals %d", k, len(f.pending), f.st.CountingApprovals(f.st.Roster[rm]))
		}
		h.contains("remove dave · by alice 03:40 · 2/3 approvals")
	}
}

// What the state would not count is refused in words in the confirmation, with no y:
// pressing it signs nothing.
func TestRosterApproveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		scene func(t *testing.T) (*fake, domain.ID)
		me    string
		want  []string
	}{
		{"already approved", quorumScenario, "bob",
			[]string{"NO bob already approved roster proposal"}},
		{"own proposal", quorumScenario, "alice",
			[]string{"NO alice proposed this change, and the proposal counts as their approval", "from other members (quorum 3)"}},
		{"not counting", func(t *testing.T) (*fake, domain.ID) { s, rm := cutsScenario(t); return s.fake, rm }, "alice",
			[]string{"NO alice's approval would not count: role containment needs 2 proofs"}},
		{"not a member", quorumScenario, "mallory",
			[]string{"NO this device is not a member of the workspace yet"}},
		{"observer", func(t *testing.T) (*fake, domain.ID) {
			f, rm := quorumScenario(t)
			id := f.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd,
				Member: domain.MemberSpec{Address: f.addr("olga"), Handle: "olga", Roles: []string{"observer"}}}, at("03:42:00"))
			f.apply("bob", &domain.MemberApprove{Proposal: id}, at("03:42:10"))
			f.apply("carol", &domain.MemberApprove{Proposal: id}, at("03:42:20"))
			return f, rm
		}, "olga", []string{"NO cannot write: olga is an observer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rm := tt.scene(t)
			f.me = tt.me
			h := newHarness(t, f, 100, 30)
			toChange(t, h)
			h.press("A")
			if h.m.dialog == nil {
				t.Fatalf("A showed no box:\n%s", h.screen())
			}
			h.contains(append([]string{"Approve roster change " + rm.Short(), "nothing to sign: the state would not count this approval",
				"esc close"}, tt.want...)...)
			h.lacks("y approve   n/esc", "yours makes")
			h.press("y")
			if h.m.dialog == nil {
				t.Error("y closed a refusal as if it confirmed")
			}
			h.press("esc")
			h.poll()
			if len(f.pending) != 0 {
				t.Errorf("a refused approval signed %d events", len(f.pending))
			}
		})
	}
}

// A change applied elsewhere while the box is open: y refuses with the fold's words
// and signs nothing. A change the state no longer holds is refused in the status line.
func TestRosterApproveAppliedMeanwhile(t *testing.T) {
	f, rm := quorumScenario(t)
	f.me = "carol"
	h := newHarness(t, f, 100, 30)
	toChange(t, h)
	h.press("A")
	f.external("dave", &domain.MemberApprove{Proposal: rm}, at("03:50:00"))
	h.poll()
	if pr := f.st.Roster[rm]; !pr.Applied {
		t.Fatalf("dave's approval did not apply the change: %+v", f.st.Rejected)
	}
	h.press("y")
	h.contains("✗ roster proposal " + rm.Short() + " already applied")
	h.poll()
	if len(f.pending) != 0 {
		t.Errorf("approving an applied change signed %d events", len(f.pending))
	}
	h.send(rosterApproveRequest{id: domain.ID{1}})
	h.contains("✗ roster proposal " + domain.ID{1}.Short() + " not found")
	if h.m.dialog != nil {
		t.Error("a box opened for an unknown proposal")
	}
}

// What `tminus member approve` warns of, the confirmation says: this home holds events
// of a cut key past the cut, which will not count once the change applies.
func TestRosterApproveWarnsOfEventsPastTheCut(t *testing.T) {
	s, _ := cutsScenario(t)
	s.me = "bob"
	s.apply("dave", &domain.Note{Incident: s.p1, Text: "dave, after alice proposed his removal"}, at("03:45:00"))
	h := newHarness(t, s.fake, 80, 24)
	toChange(t, h)
	h.press("A")
	h.contains("! this home holds dave's events up to seq 4: the 1 past the cut will not",
		"approvals 0/1: none that count yet · 1 more needed · yours makes 1/1: it",
		"y approve   n/esc cancel")
	h.lacks("… more")
	checkFrame(t, "confirmation with a warning", h.view(), 80, 24)
}

// The key line and help list A only where there is a change to approve, lit on a
// change, dim on a member; A on a member says why it does nothing. The roster's copy
// never switches the runbooks pane's Approve, which the runbooks pane sets for its own
// selection.
func TestRosterApproveKeys(t *testing.T) {
	s := rosterScenario(t)
	h := newHarness(t, s.fake, 160, 48)
	h.press("7")
	h.lacks("approve change") // nothing pending: nothing to approve
	h.press("?")
	h.lacks("approve change")
	h.press("esc")

	s2, _ := cutsScenario(t)
	h = newHarness(t, s2.fake, 160, 48)
	h.press("4") // bob's waiting proposal: the runbooks pane turns Approve on
	if !h.m.ctx.Keys.Approve.Enabled() {
		t.Fatal("the runbooks pane did not enable Approve on a waiting proposal")
	}
	h.press("7")
	p := h.m.panes[paneRoster].(*rosterPane)
	h.contains("A approve change")
	if p.approveKey().Enabled() {
		t.Error("A is on with a member selected")
	}
	h.press("A")
	h.contains("✗ A approves a pending roster change: select one under PENDING ROSTER CHANGES")
	h.press("?")
	h.contains("Roster (this pane)", "(A)          approve change")
	h.press("esc", "G")
	h.press("?")
	h.contains("A            approve change")
	h.lacks("(A)          approve change")
	h.press("esc")
	h.tick(time.Second) // every pane rebuilds
	h.press("4")
	if !h.m.ctx.Keys.Approve.Enabled() {
		t.Error("moving in the roster switched the runbooks pane's Approve off")
	}
	h.press("A") // the runbooks pane's own refusal: alice is below containment's minimum
	h.contains("✗ alice's approval would not count")
}

// A read-only view (a drill review) drops A: the caption names the command instead,
// help leaves the key out and A does nothing.
func TestRosterApproveReadOnly(t *testing.T) {
	s, _ := cutsScenario(t)
	s.me = "bob"
	h := newHarness(t, s.fake, 100, 30)
	h.m.ctx.Keys.DisableDestructive()
	h.press("7", "G")
	h.contains("PENDING ROSTER CHANGES · quorum 1 · tminus member approve ID", "tminus member approve "+
		h.m.panes[paneRoster].(*rosterPane).selChange.Short()+" approves it")
	h.lacks("approve change")
	h.press("A")
	if h.m.dialog != nil || len(s.pending) != 0 {
		t.Error("A acted in a read-only view")
	}
	h.lacks("✗")
}

// The cursor walks members and changes without leaving the frame, at every size, the
// confirmation too; the selected change stays in view in a short pane.
func TestRosterApproveSizes(t *testing.T) {
	s, _ := cutsScenario(t)
	s.me = "bob"
	for i, hd := range []string{"bob", "carol", "dave"} {
		s.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{
			Address: s.addr("new-" + hd), Handle: "new-" + hd, Roles: []string{"observer"}}}, at("03:45:0"+itoa(i)))
	}
	h := newHarness(t, s.fake, 80, 24)
	h.press("7")
	p := h.m.panes[paneRoster].(*rosterPane)
	for _, sz := range sizes {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		if h.m.lay.mode == modeTooSmall {
			// Nothing but the too-small screen is drawn, and keys move nothing unseen.
			h.press("j", "A")
			checkFrame(t, "too small", h.view(), sz[0], sz[1])
			if p.change != -1 || p.cur.pos != 0 || h.m.dialog != nil {
				t.Errorf("%dx%d: keys acted on the hidden roster: change %d, member %d", sz[0], sz[1], p.change, p.cur.pos)
			}
			continue
		}
		for range 9 {
			h.press("j")
			checkFrame(t, "roster walking changes", h.view(), sz[0], sz[1])
			if p.change >= 0 && p.Height >= 8 && p.Width >= 40 {
				if !strings.Contains(strings.Join(paneLines(h, paneRoster), "\n"), "▸"+p.selChange.Short()) {
					t.Errorf("%dx%d: the selected change %s is not in view:\n%s", sz[0], sz[1], p.selChange.Short(), h.screen())
				}
			}
		}
		if p.change != 3 {
			t.Errorf("%dx%d: 9 j from the top select change %d, want the last, 3", sz[0], sz[1], p.change)
		}
		h.press("A")
		checkFrame(t, "roster confirmation", h.view(), sz[0], sz[1])
		h.press("esc", "k")
		if p.change != 2 {
			t.Errorf("k from the last change selects %d", p.change)
		}
		h.press("g")
		if p.change != -1 || p.cur.pos != 0 {
			t.Errorf("g selects change %d, member %d", p.change, p.cur.pos)
		}
	}
	if len(s.pending) != 0 {
		t.Errorf("walking and cancelling signed %d events", len(s.pending))
	}
}

// TestRosterApproveGolden: the confirmation of a removal over the roster tab at 80x24,
// Ascii profile, with the warning of an event past the cut; -update rewrites
// testdata/TestRosterApproveGolden. Only the jump host's tab: the wall grid would hold
// every other pane's rows too (TestRosterApproveSizes checks the box fits there).
func TestRosterApproveGolden(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	for _, sz := range [][2]int{{80, 24}} {
		t.Run("approve-"+itoa(sz[0])+"x"+itoa(sz[1]), func(t *testing.T) {
			s, _ := cutsScenario(t)
			s.me = "bob"
			s.apply("dave", &domain.Note{Incident: s.p1, Text: "dave, after alice proposed his removal"}, at("03:45:00"))
			goldenRun(t, s.fake, "dark", sz[0], sz[1], []string{"7", "G", "A", "wait:n/esc cancel"})
		})
	}
}
