package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/tminus-ir/tminus/domain"
)

// Each event is indexed by what it is about (domain.Subject, the events
// table's subject column), so an incident's timeline is read on demand
// instead of living in the folded state.

// subjectKey is the index's key for a subject: its first 8 bytes. Keys
// are 8 bytes, not 32, to keep the index small on the writer's path; a
// colliding key only brings an extra row that State.Timeline skips.
// Events about nothing (workspace and roster) have none.
func subjectKey(e *domain.Event) (any, error) {
	subj, err := e.Subject()
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID.Short(), err)
	}
	if subj.IsZero() {
		return nil, nil
	}
	return keyOf(subj), nil
}

func keyOf(id domain.ID) int64 { return int64(binary.BigEndian.Uint64(id[:8])) }

// fillSubjects indexes the events of a store made before the subject
// column.
func fillSubjects(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT "+rowCols+" FROM events")
	if err != nil {
		return err
	}
	type entry struct {
		ins int64
		key any
	}
	var todo []entry
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return err
		}
		key, err := subjectKey(r.Event)
		if err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, entry{r.Arrival, key})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, "UPDATE events SET subject = ? WHERE ins = ?")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, t := range todo {
		if _, err := st.ExecContext(ctx, t.key, t.ins); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "CREATE INDEX events_subject ON events (subject)")
	return err
}

// Timeline is the incident's timeline as st describes it: the stored
// events about its subjects, in fold order, those st folded and applied.
func (s *Store) Timeline(ctx context.Context, st *domain.State, inc *domain.Incident) ([]domain.Entry, error) {
	evs, err := s.SubjectEvents(ctx, inc.Subjects())
	if err != nil {
		return nil, err
	}
	return st.Timeline(inc, evs), nil
}

// Evidence is what the incident's record names as evidence, as st
// describes it (domain.State.EvidenceOf).
func (s *Store) Evidence(ctx context.Context, st *domain.State, inc *domain.Incident) ([]domain.EvidenceItem, error) {
	evs, err := s.SubjectEvents(ctx, inc.Alerts)
	if err != nil {
		return nil, err
	}
	return st.EvidenceOf(inc, evs), nil
}

// SubjectEvents reads the stored events about any of subjects (and, the
// index's key being 8 bytes, rarely a few others), in fold order.
func (s *Store) SubjectEvents(ctx context.Context, subjects []domain.ID) ([]*domain.Event, error) {
	seen := map[int64]bool{}
	var evs []*domain.Event
	const chunk = 500 // well under SQLite's limit on bound parameters
	for len(subjects) > 0 {
		n := min(chunk, len(subjects))
		args := make([]any, n)
		for i, id := range subjects[:n] {
			args[i] = keyOf(id)
		}
		subjects = subjects[n:]
		q := "SELECT " + rowCols + " FROM events WHERE subject IN (?" + strings.Repeat(", ?", n-1) + ")"
		rows, err := s.r.QueryContext(ctx, q, args...)
		err = eachRow(rows, err, func(r Row) error {
			if !seen[r.Arrival] {
				seen[r.Arrival] = true
				evs = append(evs, r.Event)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
	return evs, nil
}
