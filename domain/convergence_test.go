package domain_test

import (
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/quick"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// convergenceSeeds each name one random history of 3 to 5 authors.
var convergenceSeeds = []int64{1, 2, 3, 4, 5, 6, 7, 9} // 8 lost its runbook approvals when task reopens joined the histories

var histories sync.Map // seed -> *domaintest.History

func history(t *testing.T, seed int64) *domaintest.History {
	t.Helper()
	if h, ok := histories.Load(seed); ok {
		return h.(*domaintest.History)
	}
	h, err := domaintest.Generate(seed, 3+int(seed%3), 300)
	if err != nil {
		t.Fatal(err)
	}
	histories.Store(seed, h)
	return h
}

func shuffled(rng *rand.Rand, events []*domain.Event) []*domain.Event {
	out := append([]*domain.Event(nil), events...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// The generated histories are worth converging on: most events count,
// every author joined, there are conflicts the fold had to settle.
func TestGeneratedHistoriesAreRich(t *testing.T) {
	reopens := 0
	defer func() {
		if reopens == 0 {
			t.Error("no history reopens a task")
		}
	}()
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		st := fold(h.Events)
		kinds := map[string]int{}
		for _, e := range h.Events {
			kinds[e.Kind]++
		}
		reopens += kinds[domain.KindTaskReopen]
		if len(h.Events) < 100 || len(st.Rejected) > len(h.Events)/4 || st.ActiveMembers() != len(h.Nodes) ||
			len(st.Incidents) == 0 || kinds[domain.KindMemberApprove] == 0 || kinds[domain.KindIncidentSev] < 3 ||
			kinds[domain.KindIncidentStatus] < 3 || kinds[domain.KindRunbookApprove] == 0 {
			t.Errorf("seed %d: %d events, %d rejected, %d of %d members, %d incidents, kinds %v",
				seed, len(h.Events), len(st.Rejected), st.ActiveMembers(), len(h.Nodes), len(st.Incidents), kinds)
		}
		for _, r := range st.Rejected {
			if strings.Contains(r.Reason, "not a member") && r.Kind != domain.KindIncidentAssign && r.Kind != domain.KindTaskAdd && r.Kind != domain.KindTaskAssign {
				t.Errorf("seed %d: a causally valid history has an event from a non-member: %+v", seed, r)
			}
		}
	}
}

// The same event set, delivered in any order, folds to the same state.
func TestConvergenceAnyOrder(t *testing.T) {
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		want := stateHash(t, fold(h.Events))
		rng := rand.New(rand.NewSource(seed))
		for i := 0; i < 40; i++ {
			if got := stateHash(t, fold(shuffled(rng, h.Events))); got != want {
				t.Fatalf("seed %d order %d: hash %s, want %s", seed, i, got, want)
			}
		}
		// Each replica, before the final exchange, held a causally closed
		// subset; folding it must not depend on order either.
		for n, node := range h.Nodes {
			part := node.Events()
			want := stateHash(t, fold(part))
			if got := stateHash(t, fold(shuffled(rng, part))); got != want {
				t.Fatalf("seed %d replica %d: hash differs by order", seed, n)
			}
		}
	}
}

// An equivocation (two events for one author and seq) makes that author's
// events stop counting from the fork on, identically in every order.
func TestConvergenceWithEquivocation(t *testing.T) {
	for _, seed := range convergenceSeeds[:4] {
		h := history(t, seed)
		node := h.Nodes[1]
		var mine []*domain.Event
		for _, e := range h.Events {
			if e.Author == node.Address() {
				mine = append(mine, e)
			}
		}
		if len(mine) < 4 {
			t.Fatalf("seed %d: author 1 wrote only %d events", seed, len(mine))
		}
		at := mine[len(mine)/2]
		twin, err := node.Equivocate(at, &domain.Note{Incident: domain.ID{1}, Text: "the other story"})
		if err != nil {
			t.Fatal(err)
		}
		all := append(append([]*domain.Event(nil), h.Events...), twin)
		forks := forked(node.Address(), at.Seq)
		st := domain.Fold(all, forks)
		want := stateHash(t, st)
		rng := rand.New(rand.NewSource(seed))
		for i := 0; i < 20; i++ {
			if got := stateHash(t, domain.Fold(shuffled(rng, all), forks)); got != want {
				t.Fatalf("seed %d order %d: hash differs", seed, i)
			}
		}
		for _, e := range append(mine, twin) {
			r := reason(st, e.ID)
			if e.Seq >= at.Seq && !strings.Contains(r, domain.ErrForked.Error()) {
				t.Errorf("seed %d: seq %d after the fork at %d counted (%q)", seed, e.Seq, at.Seq, r)
			}
			if e.Seq < at.Seq && strings.Contains(r, domain.ErrForked.Error()) {
				t.Errorf("seed %d: seq %d before the fork rejected", seed, e.Seq)
			}
		}
	}
}

// A snapshot (the encoded state after a prefix of the fold order) plus the
// rest of the events folds to the same state as the whole: the store's
// start-up and re-fold rely on it.
func TestConvergenceFromSnapshot(t *testing.T) {
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		want := stateHash(t, fold(h.Events))
		ordered := append([]*domain.Event(nil), h.Events...)
		sortByKey(ordered)
		rng := rand.New(rand.NewSource(seed))
		for i := 0; i < 5; i++ {
			cut := rng.Intn(len(ordered) + 1)
			st, _, err := domain.Restore(fold(ordered[:cut]), 512, rng.Perm)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ordered[cut:] {
				st.Apply(e)
			}
			if got := stateHash(t, st); got != want {
				t.Fatalf("seed %d: snapshot at %d of %d then the rest: hash %s, want %s", seed, cut, len(ordered), got, want)
			}
		}
	}
}

func sortByKey(events []*domain.Event) {
	sort.Slice(events, func(i, j int) bool { return events[i].Key().Less(events[j].Key()) })
}

// testing/quick draws the seeds: any generated history, two orders, one
// state.
func TestConvergenceQuick(t *testing.T) {
	check := func(seed uint16, order int64) bool {
		h, err := domaintest.Generate(int64(seed)+1000, 3, 120)
		if err != nil {
			t.Log(err)
			return false
		}
		rng := rand.New(rand.NewSource(order))
		a, err1 := fold(shuffled(rng, h.Events)).Hash()
		b, err2 := fold(shuffled(rng, h.Events)).Hash()
		return err1 == nil && err2 == nil && a == b
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 8, Rand: rand.New(rand.NewSource(42))}); err != nil {
		t.Fatal(err)
	}
}
