package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// identityOnly keeps the events of the kinds that decide who may write.
func identityOnly(events []*domain.Event) []*domain.Event {
	var out []*domain.Event
	for _, e := range events {
		if slices.Contains(domain.IdentityKinds, e.Kind) {
			out = append(out, e)
		}
	}
	return out
}

// sameStanding fails when the full fold and the identity-only fold answer
// MayWrite differently for key.
func sameStanding(t *testing.T, full, ident *domain.State, key common.Address, where string) {
	t.Helper()
	a, b := full.MayWrite(key), ident.MayWrite(key)
	if (a == nil) != (b == nil) || (a != nil && a.Error() != b.Error()) {
		t.Errorf("%s, %s: full fold says %v, identity fold says %v", where, key.Hex()[:10], a, b)
	}
}

// Each reason a key cannot write has its own message, and the identity
// kinds alone reach the same verdict as the whole log.
func TestMayWrite(t *testing.T) {
	tm := domaintest.NewTeam(5, 7)
	const (
		alice, bob, carol, dave, erin, aliceNew, stranger = 0, 1, 2, 3, 4, 5, 6
	)
	g := do(t, tm, alice, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1},
		Founder: member(tm, alice, "alice", domain.RoleContainment, domain.RoleTriage)})
	for _, m := range []domain.MemberSpec{
		member(tm, bob, "bob", domain.RoleContainment),
		member(tm, carol, "carol", domain.RoleTriage),
		member(tm, dave, "dave", domain.RoleObserver),
		member(tm, erin, "erin", domain.RoleComms),
	} {
		do(t, tm, alice, &domain.MemberPropose{Action: domain.ActionAdd, Member: m})
	}
	inc := do(t, tm, bob, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	do(t, tm, carol, &domain.Note{Incident: inc.ID, Text: "before the removal"})
	do(t, tm, alice, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}})
	key := domaintest.SSHKey("alice")
	epoch := time.UnixMilli(domaintest.Epoch).UTC()
	own, err := domaintest.KeyProof(key, g.ID, tm.Addr(alice), epoch, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	do(t, tm, alice, own)
	endorse, err := domaintest.KeyProof(key, g.ID, tm.Addr(aliceNew), epoch, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	do(t, tm, alice, &domain.KeyRotate{New: tm.Addr(aliceNew), Endorsement: *endorse})
	for i := 0; i < 3; i++ {
		do(t, tm, erin, &domain.Note{Incident: inc.ID, Text: "erin's notes"})
	}
	forks := map[common.Address]uint64{tm.Addr(erin): 2}

	full, ident := tm.Fold(forks), domain.Fold(identityOnly(tm.Events), forks)
	for _, c := range []struct {
		who  int
		want string // "" = may write
	}{
		{bob, ""},
		{aliceNew, ""},
		{alice, "old key, replaced by " + tm.Addr(aliceNew).Hex()},
		{carol, "carol was removed from this workspace"},
		{dave, "dave is an observer"},
		{erin, "signed two events at seq 2"},
		{stranger, "is not a member of this workspace"},
	} {
		err := full.MayWrite(tm.Addr(c.who))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("node %d: %v, want allowed", c.who, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, domain.ErrCannotWrite)):
			t.Errorf("node %d: %v, want %q", c.who, err, c.want)
		}
		sameStanding(t, full, ident, tm.Addr(c.who), "scenario")
	}
}

// In random histories the identity fold agrees with the whole log at every
// point, for every author: no other kind changes who may write.
func TestMayWriteFromIdentityKindsAlone(t *testing.T) {
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		for n := 1; n <= len(h.Events); n += 1 + n/4 {
			prefix := h.Events[:n]
			full, ident := fold(prefix), fold(identityOnly(prefix))
			for _, node := range h.Nodes {
				sameStanding(t, full, ident, node.Address(), fmt.Sprintf("seed %d, %d events", seed, n))
			}
		}
	}
}
