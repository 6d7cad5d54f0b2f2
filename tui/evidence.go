package tui

import (
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// evidence is what the incident had kept as evidence when a proposal was made.
type evidence struct {
	n          int    // evidence files and outputs of steps that did their work
	failed     int    // runs that failed, were interrupted or timed out: not counted
	latest, by string // the latest counted item, and who kept it
	at         int64
}

// evidenceBefore counts what the incident had kept as evidence when pr was proposed:
// evidence records, and the captured output of runbook steps already run. Evidence first:
// the lead sees whether anything was collected before containment changes the scene.
// A run that exited non-zero (130: interrupted) or timed out recorded its output, but
// that output is an error message or half a capture, not the evidence the step was for:
// it is counted apart, so "evidence before it" never rests on a failed collection.
func evidenceBefore(s *domain.State, inc *domain.Incident, pr *domain.Proposal) evidence {
	var e evidence
	note := func(name, who string, when int64) {
		e.n++
		if when >= e.at {
			e.latest, e.by, e.at = name, who, when
		}
	}
	for _, ev := range inc.Evidence {
		if ev.At <= pr.At {
			note(ev.Name, ev.By, ev.At)
		}
	}
	for _, id := range inc.Proposals {
		q := s.Proposals[id]
		if q == nil || q.ID == pr.ID || q.Exec == nil || q.Exec.At > pr.At {
			continue
		}
		if q.Exec.ExitCode != 0 || q.Exec.TimedOut {
			e.failed++
			continue
		}
		note(q.Runbook+" step "+itoa(q.Step)+" output", q.Exec.By, q.Exec.At)
	}
	return e
}

// failedNote is " (1 failed run not counted)", or "" when no run failed.
func (e evidence) failedNote() string {
	switch e.failed {
	case 0:
		return ""
	case 1:
		return " (1 failed run not counted)"
	}
	return " (" + itoa(e.failed) + " failed runs not counted)"
}

// none is the warning for no evidence, with the failed runs that were left out.
func (e evidence) none() string {
	return "no evidence on the incident before this proposal" + e.failedNote()
}

// some is the line for evidence kept: how much (and the failed runs left out), the latest.
func (e evidence) some(now time.Time, loc *time.Location) string {
	return "evidence before it: " + itoa(e.n) + e.failedNote() + ", latest " + clean(e.latest) + " by " + e.by + " " +
		clock(e.at, now, loc, false)
}
