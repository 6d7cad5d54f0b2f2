package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// IdentityState, read through the kind index, tells every author the same
// as the full fold, forks included, and counts as no fold.
func TestIdentityState(t *testing.T) {
	for _, seed := range []int64{3, 4} {
		h, err := domaintest.Generate(seed, 4, 250)
		if err != nil {
			t.Fatal(err)
		}
		s := newStore(t)
		ingest(t, s, h.Events...)
		var at *domain.Event
		for _, e := range h.Events {
			if e.Author == h.Nodes[2].Address() {
				at = e
			}
		}
		twin, err := h.Nodes[2].Equivocate(at, &domain.Note{Incident: domain.ID{1}, Text: "the other story"})
		if err != nil {
			t.Fatal(err)
		}
		ingest(t, s, twin)
		full, err := s.State(bg)
		if err != nil {
			t.Fatal(err)
		}
		folds := s.Folds()
		ident, err := s.IdentityState(bg)
		if err != nil {
			t.Fatal(err)
		}
		if s.Folds() != folds {
			t.Errorf("IdentityState counted as a fold")
		}
		if ident.Count >= full.Count/4 {
			t.Errorf("seed %d: identity fold read %d of %d events", seed, ident.Count, full.Count)
		}
		for i, n := range h.Nodes {
			a, b := full.MayWrite(n.Address()), ident.MayWrite(n.Address())
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("seed %d node %d: full fold %v, identity fold %v", seed, i, a, b)
			}
		}
		if err := ident.MayWrite(h.Nodes[2].Address()); err == nil {
			t.Errorf("seed %d: the equivocating author may still write", seed)
		}
		if err := ident.MayWrite(common.Address{1}); err == nil {
			t.Errorf("seed %d: a stranger may write", seed)
		}
	}
}

// The partial index lists exactly the domain's identity kinds, and the
// query uses it rather than scanning the log.
func TestIdentityIndex(t *testing.T) {
	var want []string
	for _, k := range domain.IdentityKinds {
		want = append(want, "'"+k+"'")
	}
	if got := "kind IN (" + strings.Join(want, ", ") + ")"; got != identityKinds {
		t.Fatalf("identityKinds is %s, domain.IdentityKinds gives %s: add a migration that recreates events_identity", identityKinds, got)
	}
	s := newStore(t)
	var id, parent, unused int
	var detail string
	err := s.r.QueryRow("EXPLAIN QUERY PLAN SELECT "+rowCols+" FROM events WHERE "+identityKinds).Scan(&id, &parent, &unused, &detail)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "events_identity") {
		t.Errorf("query plan %q does not use events_identity", detail)
	}
}

// A store made before the identity index gets it on open, filled from the
// events it holds.
func TestIdentityIndexMigration(t *testing.T) {
	h, err := domaintest.Generate(5, 3, 150)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tminus.db")
	s := openAt(t, path)
	ingest(t, s, h.Events...)
	at := slices.IndexFunc(migrations, func(m migration) bool { return strings.Contains(m.sql, "events_identity") })
	for _, q := range []string{"DROP INDEX events_identity", fmt.Sprintf("PRAGMA user_version = %d", at)} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s = openAt(t, path)
	var n int
	if err := s.r.QueryRow("SELECT count(*) FROM events INDEXED BY events_identity WHERE " + identityKinds).Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range h.Events {
		if slices.Contains(domain.IdentityKinds, e.Kind) {
			want++
		}
	}
	if n != want || n == 0 {
		t.Errorf("the index holds %d events, want the %d identity events", n, want)
	}
}
