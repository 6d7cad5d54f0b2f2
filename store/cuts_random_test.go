package store

import (
	"maps"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// Histories where keys are stolen and members removed while offline
// (domaintest.Revocations) reach a store in random causal orders, in
// batches, with snapshots every few events and a view refreshed after each
// batch; one order is the fold's own. In two histories copied keys
// equivocate. Revocations, and so cuts, arrive after the backdated events they
// void were folded into the view and into snapshots. After every batch the
// view is the pure fold of what the store holds; at the end the store's
// state, the view and a fresh view are the fold of every event.
var (
	revPlain = domaintest.RevocationOptions{Steps: 160}
	revForks = domaintest.RevocationOptions{Steps: 160, Forks: true}
)

func TestCutsRandomStoreConvergence(t *testing.T) {
	lowerSnapshots(t, 8)
	refolds := 0 // batches after which the view's cuts changed
	voided := 0  // events a view had counted that a cut voided later
	cases := []struct {
		seed int64
		opts domaintest.RevocationOptions
	}{
		{1, revPlain}, {2, revPlain}, {3, revPlain}, {4, revPlain}, {5, revPlain}, {6, revPlain},
		{21, revForks}, {22, revForks}, // copied keys equivocate
	}
	for _, c := range cases {
		seed := c.seed
		h, err := domaintest.Revocations(seed, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		forks := domaintest.Forks(h.Events)
		if c.opts.Forks && len(forks) == 0 {
			t.Fatalf("seed %d: no fork", seed)
		}
		want := domain.Fold(h.Events, forks)
		wantHash := stateHash(t, want)
		rng := rand.New(rand.NewSource(seed))
		for run := range 3 {
			// Run 0 arrives in fold order: no event sorts before what the
			// view folded, so only a change of cuts makes it fold again.
			order := domaintest.CausalOrder(rng, h.Events)
			if run == 0 {
				sort.Slice(order, func(i, j int) bool { return order[i].Key().Less(order[j].Key()) })
			}
			if len(order) != len(h.Events) {
				t.Fatalf("seed %d: a causal order of %d of %d events", seed, len(order), len(h.Events))
			}
			s := newStore(t)
			var v *View
			var held []*domain.Event
			for len(order) > 0 {
				n := min(len(order), 1+rng.Intn(25))
				ingest(t, s, order[:n]...)
				held, order = append(held, order[:n]...), order[n:]
				if v == nil {
					if v, err = s.NewView(bg); err != nil {
						t.Fatal(err)
					}
				} else {
					before := v.State()
					if _, err := v.Refresh(bg); err != nil {
						t.Fatal(err)
					}
					if !maps.Equal(before.Cuts, v.State().Cuts) {
						refolds++
						voided += newlyCut(before, v.State(), held[:len(held)-n])
					}
				}
				if rng.Intn(3) == 0 {
					if _, err := s.State(bg); err != nil { // saves a snapshot past 8 new events
						t.Fatal(err)
					}
				}
				if got, want := stateHash(t, v.State()), stateHash(t, domain.Fold(held, domaintest.Forks(held))); got != want {
					t.Fatalf("seed %d run %d, %d events held: the view differs from the fold; view cuts %v, fold cuts %v",
						seed, run, len(held), v.State().Cuts, domain.Fold(held, domaintest.Forks(held)).Cuts)
				}
			}
			if n, o := count(t, s), orphans(t, s); n != int64(len(h.Events)) || o != 0 {
				t.Fatalf("seed %d run %d: %d of %d events stored, %d orphans", seed, run, n, len(h.Events), o)
			}
			if got := storeHash(t, s); got != wantHash {
				t.Fatalf("seed %d run %d: store state differs from the fold", seed, run)
			}
			if got := stateHash(t, v.State()); got != wantHash {
				t.Fatalf("seed %d run %d: view state differs from the fold", seed, run)
			}
			fresh, err := s.NewView(bg)
			if err != nil {
				t.Fatal(err)
			}
			if got := stateHash(t, fresh.State()); got != wantHash {
				t.Fatalf("seed %d run %d: a fresh view differs from the fold", seed, run)
			}
			if got, err := s.Forks(bg); err != nil || !reflect.DeepEqual(got, forks) {
				t.Fatalf("seed %d run %d: store forks %v (%v), want %v", seed, run, got, err, forks)
			}
			if cuts, err := s.Cuts(bg); err != nil || !maps.Equal(cuts, want.Cuts) {
				t.Fatalf("seed %d run %d: store cuts %v (%v), fold cuts %v", seed, run, cuts, err, want.Cuts)
			}
			if len(snapshotKeys(t, s)) == 0 {
				t.Fatalf("seed %d run %d: no snapshot taken", seed, run)
			}
		}
	}
	if refolds == 0 || voided == 0 {
		t.Fatalf("views saw their cuts change after %d batches, voiding %d events they had counted: the test shows nothing", refolds, voided)
	}
	t.Logf("views saw their cuts change after %d batches, voiding %d events they had counted", refolds, voided)
}

// newlyCut counts the events of held that counted in before and are cut
// in after.
func newlyCut(before, after *domain.State, held []*domain.Event) int {
	n := 0
	for _, e := range held {
		if rejection(before, e.ID) == "" && strings.Contains(rejection(after, e.ID), domain.ErrCut.Error()) {
			n++
		}
	}
	return n
}
