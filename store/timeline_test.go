package store

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// timelineTeam is team's incident with an event of each kind that reaches
// a timeline, by alice and bob, plus a second incident whose events must
// stay out of the first one's timeline.
func timelineTeam(t *testing.T) (*domaintest.Team, *domain.Event) {
	t.Helper()
	tm, inc := team(t, 41)
	al := do(t, tm, 1, &domain.AlertObserve{Fingerprint: "fp-1", Title: "vault outflow", Source: "chain", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: inc.ID, Alert: domain.AlertID("fp-1")})
	do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID("fp-1")})
	do(t, tm, 0, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"})
	do(t, tm, 1, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	task := do(t, tm, 0, &domain.TaskAdd{Incident: inc.ID, Title: "pause the bridge", Owner: "bob"})
	do(t, tm, 1, &domain.TaskDone{Task: task.ID})
	timer := do(t, tm, 0, &domain.TimerSet{Incident: inc.ID, Label: "status update", Due: int64(al.Time) + 60_000})
	do(t, tm, 0, &domain.TimerDone{Timer: timer.ID})
	other := do(t, tm, 1, &domain.IncidentDeclare{Title: "Unrelated", Severity: "P4"})
	do(t, tm, 1, note(other, "not about the vault"))
	do(t, tm, 0, note(inc, "drained 1,200 ETH"))
	return tm, inc
}

// The store's timeline is the fold's description of exactly the events
// about the incident, whichever path stored them: appended, ingested in
// order, or released from orphans.
func TestTimelineMatchesFold(t *testing.T) {
	tm, inc := timelineTeam(t)
	st := domain.Fold(tm.Events, nil)
	want := st.Timeline(st.Incidents[inc.ID], tm.Events)
	if len(want) != 11 {
		t.Fatalf("the fold's timeline has %d entries: %+v", len(want), want)
	}
	reversed := make([]*domain.Event, 0, len(tm.Events))
	for i := len(tm.Events) - 1; i >= 3; i-- {
		reversed = append(reversed, tm.Events[i])
	}
	for name, load := range map[string]func(*Store){
		"in order": func(s *Store) { ingest(t, s, tm.Events...) },
		"orphans":  func(s *Store) { ingest(t, s, tm.Events[:3]...); ingest(t, s, reversed...) },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			load(s)
			checkTimeline(t, s, inc.ID, want)
		})
	}
}

func checkTimeline(t *testing.T, s *Store, inc domain.ID, want []domain.Entry) {
	t.Helper()
	st, err := s.State(bg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Timeline(bg, st, st.Incidents[inc])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline\n got %+v\nwant %+v", got, want)
	}
}

// An incident with more subjects than one query binds still shows all.
func TestTimelineManySubjects(t *testing.T) {
	tm, inc := team(t, 42)
	const tasks = 1_100
	for i := range tasks {
		do(t, tm, i%2, &domain.TaskAdd{Incident: inc.ID, Title: fmt.Sprintf("task %d", i)})
	}
	for _, id := range []int{3, 600, 1099} {
		do(t, tm, 1, &domain.TaskDone{Task: tm.Events[3+id].ID})
	}
	s := newStore(t)
	ingest(t, s, tm.Events...)
	st, err := s.State(bg)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := s.Timeline(bg, st, st.Incidents[inc.ID])
	if err != nil || len(tl) != 1+tasks+3 {
		t.Fatalf("%d entries, want %d: %v", len(tl), 1+tasks+3, err)
	}
	if last := tl[len(tl)-1]; last.Text != "done: task 1099" || last.By != "bob" {
		t.Fatalf("last entry %+v", last)
	}
}

// A store made before the subject index gets it filled on open, and its
// snapshots, folded into the old state, are dropped.
func TestSubjectsMigration(t *testing.T) {
	tm, inc := timelineTeam(t)
	path := filepath.Join(t.TempDir(), "tminus.db")
	s := openAt(t, path)
	ingest(t, s, tm.Events...)
	st, _ := s.State(bg)
	want, err := s.Timeline(bg, st, st.Incidents[inc.ID])
	if err != nil || len(want) != 11 {
		t.Fatalf("%d entries: %v", len(want), err)
	}
	// Back to the schema before the index, with a snapshot.
	subjects := slices.IndexFunc(migrations, func(m migration) bool { return strings.Contains(m.sql, "ADD COLUMN subject") })
	for _, q := range []string{
		"DROP INDEX events_identity", // a later migration's
		"DROP INDEX events_subject",
		"ALTER TABLE events DROP COLUMN subject",
		"DROP TABLE snapshot_parts",
		"DROP TABLE snapshots",
		"CREATE TABLE snapshots (lamport INTEGER NOT NULL, id BLOB NOT NULL, count INTEGER NOT NULL, state BLOB NOT NULL, PRIMARY KEY (lamport, id))",
		"INSERT INTO snapshots (lamport, id, count, state) VALUES (1, x'00', 1, '{}')",
		fmt.Sprintf("PRAGMA user_version = %d", subjects),
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	s = openAt(t, path)
	var snaps int
	if err := s.r.QueryRow("SELECT count(*) FROM snapshots").Scan(&snaps); err != nil || snaps != 0 {
		t.Fatalf("%d snapshots after the migration: %v", snaps, err)
	}
	checkTimeline(t, s, inc.ID, want)
}
