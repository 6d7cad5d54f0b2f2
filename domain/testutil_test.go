package domain_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// do writes b as node i's next event and fails the test if it cannot be
// sealed. Whether the fold accepts it is for the test to check.
func do(t *testing.T, tm *domaintest.Team, i int, b domain.Body) *domain.Event {
	t.Helper()
	e, err := tm.Do(i, b)
	if err != nil {
		t.Fatalf("node %d %s: %v", i, b.Kind(), err)
	}
	return e
}

func member(tm *domaintest.Team, i int, handle string, roles ...string) domain.MemberSpec {
	return domain.MemberSpec{Address: tm.Addr(i), Handle: handle, Roles: domain.NormalizeRoles(roles)}
}

// found writes the genesis by node 0 as alice with roles.
func found(t *testing.T, tm *domaintest.Team, policy domain.Policy, roles ...string) *domain.Event {
	t.Helper()
	return do(t, tm, 0, &domain.Genesis{Name: "acme", Policy: policy, Founder: member(tm, 0, "alice", roles...)})
}

// reason is why the fold rejected an event, or "" when it counted.
func reason(st *domain.State, id domain.ID) string {
	for _, r := range st.Rejected {
		if r.Event == id {
			return r.Reason
		}
	}
	return ""
}

func accepted(t *testing.T, st *domain.State, events ...*domain.Event) {
	t.Helper()
	for _, e := range events {
		if r := reason(st, e.ID); r != "" {
			t.Errorf("%s %s by %s rejected: %s", e.Kind, e.ID.Short(), st.Handle(e.Author), r)
		}
	}
}

func rejected(t *testing.T, st *domain.State, e *domain.Event, want string) {
	t.Helper()
	r := reason(st, e.ID)
	switch {
	case r == "":
		t.Errorf("%s %s by %s counted, want it rejected with %q", e.Kind, e.ID.Short(), st.Handle(e.Author), want)
	case !strings.Contains(r, want):
		t.Errorf("%s %s rejected with %q, want %q", e.Kind, e.ID.Short(), r, want)
	}
}

func stateHash(t *testing.T, st *domain.State) string {
	t.Helper()
	h, err := st.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fold(events []*domain.Event) *domain.State { return domain.Fold(events, nil) }

func forked(a common.Address, seq uint64) map[common.Address]uint64 {
	return map[common.Address]uint64{a: seq}
}
