package main

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tminus-ir/tminus/domain"
)

// Two exports joined into one file (cat a.jsonl b.jsonl > both.jsonl, or
// a saved log --json and a bundle) hold every event the two share twice,
// and the second's lines start over from its genesis. bundle import
// stores an event once and ignores it the second time, in any order, so
// verify FILE says what import will do: a line that repeats an earlier
// line's event, the same signed bytes, is counted as a duplicate, not
// BAD. Its events are checked once each, in fold order, as import takes
// them; but each export joined was written in fold order, so the order of
// the lines is still checked, export by export: a line that sorts before
// the line above is out of order (BAD) unless it repeats an earlier line,
// where the next export starts over (each starts with the genesis, which
// the one before held too). A shuffled stretch is reported with
// duplicates present as without. One event id on two lines with different
// signed bytes (another signature by the same key, or a redacted copy
// beside a full one) is BAD: import would keep whichever it met first,
// and nothing says which the author meant.

// lineEvent is an event and the line it was read from.
type lineEvent struct {
	line int
	ev   *domain.Event
}

// dupScan collects a file's events, setting aside those that repeat one
// seen before.
type dupScan struct {
	events   []lineEvent
	first    map[domain.ID]lineEvent
	dups     int              // lines that repeat an earlier line's event byte for byte
	problems []domain.Problem // the same id with other signed bytes
	order    []domain.Problem // lines out of order within the export they are in
	last     *domain.Event    // the line above's, for the order
}

func newDupScan() *dupScan { return &dupScan{first: map[domain.ID]lineEvent{}} }

// add takes the event read at line n.
func (d *dupScan) add(n int, e *domain.Event) {
	f, seen := d.first[e.ID]
	repeat := seen && bytes.Equal(f.ev.Raw, e.Raw)
	if d.last != nil && !d.last.Key().Less(e.Key()) && !repeat {
		d.order = append(d.order, domain.Problem{Line: n, Msg: fmt.Sprintf(
			"out of order: event %s sorts before the line above it (lines must be in (lamport, id) order, within each export the file joins)", e.ID.Short())})
	}
	d.last = e
	switch {
	case !seen:
		d.first[e.ID] = lineEvent{n, e}
		d.events = append(d.events, lineEvent{n, e})
	case repeat:
		d.dups++
	default:
		msg := fmt.Sprintf("event %s is on line %d too, with other signed bytes (another signature by the same key, or a redacted copy beside a full one): import keeps whichever it reads first", e.ID.Short(), f.line)
		if err := e.Verify(); err != nil {
			msg = fmt.Sprintf("%v (event %s is on line %d too)", err, e.ID.Short(), f.line)
		}
		d.problems = append(d.problems, domain.Problem{Line: n, Msg: msg})
	}
}

// feed gives audit the events once each, in the file's order, or in fold
// order when the file repeats some (it is several files joined), with the
// order problems of the lines then; and the problems of ids with two
// different copies.
func (d *dupScan) feed(audit *forkAudit) {
	if d.dups > 0 {
		// The audit checks the order of what it is given: without
		// duplicates, the file's, as its own check; with them, the
		// order was checked above, export by export.
		slices.SortStableFunc(d.events, func(a, b lineEvent) int {
			switch ka, kb := a.ev.Key(), b.ev.Key(); {
			case ka.Less(kb):
				return -1
			case kb.Less(ka):
				return 1
			}
			return 0
		})
		audit.Problems = append(audit.Problems, d.order...)
	}
	// Every signature first, in batches on all cores: the audit's own
	// check of each then costs nothing (a bad one fails there as before).
	evs := make([]*domain.Event, len(d.events))
	for i, le := range d.events {
		evs[i] = le.ev
	}
	domain.VerifyAll(evs)
	for _, le := range d.events {
		audit.Event(le.line, le.ev)
	}
	audit.Problems = append(audit.Problems, d.problems...)
}
