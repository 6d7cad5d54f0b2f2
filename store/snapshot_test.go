package store

import (
	"strings"
	"testing"
)

// A snapshot restores the state it was taken from; a damaged one is an
// error that names it, not another state.
func TestSnapshotParts(t *testing.T) {
	lowerSnapshots(t, 5)
	tm, _ := timelineTeam(t)
	s := newStore(t)
	ingest(t, s, tm.Events...)
	want := storeHash(t, s) // folds everything and saves a snapshot
	if keys := snapshotKeys(t, s); len(keys) != 1 {
		t.Fatalf("snapshots %v", keys)
	}
	var parts int
	s.r.QueryRow("SELECT count(*) FROM snapshot_parts").Scan(&parts)
	if parts < 10 {
		t.Fatalf("%d parts: want one per state field at least", parts)
	}
	if got := storeHash(t, s); got != want {
		t.Fatal("the state from the snapshot differs from the fold")
	}
	for _, c := range []struct{ name, damage, want string }{
		{"bad JSON", "UPDATE snapshot_parts SET data = x'7b22' WHERE field = 'members'", `part "members"`},
		{"unknown field", "UPDATE snapshot_parts SET field = 'nope' WHERE field = 'name'", `unknown field "nope"`},
		{"lost parts", "DELETE FROM snapshot_parts WHERE field = 'last'", "restores a state folded to 0/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx, err := s.w.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec(c.damage); err != nil {
				t.Fatal(err)
			}
			st, err := latestSnapshot(bg, tx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("damaged snapshot: %v, %v; want an error saying %q", st != nil, err, c.want)
			}
		})
	}
}
