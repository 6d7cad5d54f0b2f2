package store

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// cutHistory is alice, bob and carol; bob stays offline after his note,
// the others remove him with a cut at that note, and bob's node signs on:
// its events sort before the removal (domain/cuts.go).
func cutHistory(t *testing.T) (before, offline, removal []*domain.Event) {
	t.Helper()
	tm := domaintest.NewTeam(41, 3)
	do := func(i int, b domain.Body) *domain.Event {
		t.Helper()
		e, err := tm.Do(i, b)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	spec := func(i int, h string) domain.MemberSpec {
		return domain.MemberSpec{Address: tm.Addr(i), Handle: h, Roles: []string{domain.RoleTriage}}
	}
	do(0, &domain.Genesis{Name: "acme", Founder: spec(0, "alice")})
	do(0, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(1, "bob")})
	p := do(0, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(2, "carol")})
	do(1, &domain.MemberApprove{Proposal: p.ID})
	inc := do(0, &domain.IncidentDeclare{Title: "drain", Severity: "P2"})
	do(1, &domain.Note{Incident: inc.ID, Text: "bob, last heard"})
	for range 4 {
		do(0, &domain.Note{Incident: inc.ID, Text: "alice"})
	}
	before = append(before, tm.Events...)
	cut := []domain.KeyCut{{Key: tm.Addr(1), Seq: tm.Nodes[1].Seq()}}
	removal = append(removal,
		do(0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "bob"}, Cuts: cut}))
	removal = append(removal, do(2, &domain.MemberApprove{Proposal: removal[0].ID}))
	for _, b := range []domain.Body{
		&domain.IncidentSeverity{Incident: inc.ID, Severity: "P4"},
		&domain.Note{Incident: inc.ID, Text: "bob, offline"},
	} {
		e, err := tm.Nodes[1].Write(b, tm.Clock)
		if err != nil {
			t.Fatal(err)
		}
		offline = append(offline, e)
	}
	return before, offline, removal
}

// The removal reaches a store after bob's backdated events were folded,
// into a view and into a snapshot: both fold again, and the store's state
// is the pure fold's, with bob's events voided.
func TestRemovalCutRefoldsViewAndSnapshots(t *testing.T) {
	lowerSnapshots(t, 2)
	before, offline, removal := cutHistory(t)
	s := newStore(t)
	ingest(t, s, before...)
	v, err := s.NewView(bg)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, offline...)
	if _, err := v.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(bg); err != nil { // saves a snapshot counting bob's events
		t.Fatal(err)
	}
	if n := len(v.State().Rejected); n != 0 {
		t.Fatalf("before the removal, %d events rejected: %+v", n, v.State().Rejected)
	}
	ingest(t, s, removal...)
	if _, err := v.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	all := append(append(append([]*domain.Event(nil), before...), offline...), removal...)
	want := stateHash(t, domain.Fold(all, nil))
	if got := stateHash(t, v.State()); got != want {
		t.Errorf("view after the removal differs from the pure fold; rejected: %+v", v.State().Rejected)
	}
	if got := storeHash(t, s); got != want {
		t.Errorf("store state after the removal differs from the pure fold")
	}
	for _, e := range offline {
		if r := rejection(v.State(), e.ID); r == "" {
			t.Errorf("bob's backdated %s counts after his removal", e.Kind)
		}
	}
	cuts, err := s.Cuts(bg)
	if err != nil || len(cuts) != 1 {
		t.Errorf("cuts in force: %v, %v", cuts, err)
	}
	// A store that receives everything in one go agrees.
	fresh := newStore(t)
	ingest(t, fresh, all...)
	if got := storeHash(t, fresh); got != want {
		t.Errorf("a fresh store differs from the pure fold")
	}
}

func rejection(st *domain.State, id domain.ID) string {
	for _, r := range st.Rejected {
		if r.Event == id {
			return r.Reason
		}
	}
	return ""
}
