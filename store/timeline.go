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

// The subjects table indexes each event by what it is about
// (domain.Subject), so an incident's timeline is read on demand instead
// of living in the folded state.

// subjectKey is the index's key for a subject: its first 8 bytes. Keys
// are 8 bytes, not 32, to keep the index small on the writer's path; a
// colliding key only brings an extra row that State.Timeline skips.
func subjectKey(id domain.ID) int64 { return int64(binary.BigEndian.Uint64(id[:8])) }

// indexSubject records the event just inserted under its subject.
func (in *inserter) indexSubject(e *domain.Event) error {
	subj, err := e.Subject()
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID.Short(), err)
	}
	if subj.IsZero() {
		return nil
	}
	return in.exec("INSERT INTO subjects (subject, ins) VALUES (?, last_insert_rowid())", subjectKey(subj))
}

// fillSubjects indexes the events of a store made before the subjects
// table.
func fillSubjects(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT "+rowCols+" FROM events")
	if err != nil {
		return err
	}
	type entry struct{ key, ins int64 }
	var todo []entry
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return err
		}
		subj, err := r.Subject()
		if err != nil {
			rows.Close()
			return fmt.Errorf("event %s: %w", r.ID.Short(), err)
		}
		if !subj.IsZero() {
			todo = append(todo, entry{subjectKey(subj), r.Arrival})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, "INSERT INTO subjects (subject, ins) VALUES (?, ?)")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, t := range todo {
		if _, err := st.ExecContext(ctx, t.key, t.ins); err != nil {
			return err
		}
	}
	return nil
}

// Timeline is the incident's timeline as st describes it: the stored
// events about its subjects, in fold order, those st folded and applied.
func (s *Store) Timeline(ctx context.Context, st *domain.State, inc *domain.Incident) ([]domain.Entry, error) {
	seen := map[int64]bool{}
	var evs []*domain.Event
	subjects := inc.Subjects()
	const chunk = 500 // well under SQLite's limit on bound parameters
	for len(subjects) > 0 {
		n := min(chunk, len(subjects))
		args := make([]any, n)
		for i, id := range subjects[:n] {
			args[i] = subjectKey(id)
		}
		subjects = subjects[n:]
		q := "SELECT " + prefixed("e.", rowCols) + " FROM subjects s JOIN events e ON e.ins = s.ins WHERE s.subject IN (?" +
			strings.Repeat(", ?", n-1) + ")"
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
	return st.Timeline(inc, evs), nil
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = alias + c
	}
	return strings.Join(parts, ", ")
}
