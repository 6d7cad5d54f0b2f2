package domain

import (
	"fmt"
	"strings"
)

// An incident's timeline is not part of the state: at a million events it
// would be most of it (docs/design.md, "State size"). The store indexes
// each event by its Subject; a timeline is read on demand, the events of
// an incident's subjects in fold order, and described from the state.

// Subject is what an event is about, as an incident's timeline finds it:
// the incident, task, timer, runbook proposal or alert its body names, or
// for a declaration the incident it founds. Zero for workspace and roster
// events, which belong to no incident.
func Subject(id ID, b Body) ID {
	switch b := b.(type) {
	case *IncidentDeclare:
		return id
	case *AlertObserve:
		return AlertID(b.Fingerprint)
	case *AlertAck:
		return b.Alert
	case *IncidentSeverity:
		return b.Incident
	case *IncidentStatus:
		return b.Incident
	case *IncidentAssign:
		return b.Incident
	case *IncidentLink:
		return b.Incident
	case *TaskAdd:
		return b.Incident
	case *TaskDone:
		return b.Task
	case *TaskAssign:
		return b.Task
	case *TaskReopen:
		return b.Task
	case *Note:
		return b.Incident
	case *TimerSet:
		return b.Incident
	case *TimerDone:
		return b.Timer
	case *EvidenceAdd:
		return b.Incident
	case *RunbookPropose:
		return b.Incident
	case *RunbookApprove:
		return b.Proposal
	case *RunbookExec:
		return b.Proposal
	}
	if id, ok := onChainSubject(b); ok {
		return id
	}
	return ID{}
}

// Subjects are the ids whose events make up the incident's timeline: the
// incident itself, its alerts, tasks, timers and runbook proposals.
func (inc *Incident) Subjects() []ID {
	out := make([]ID, 0, 1+len(inc.Alerts)+len(inc.Tasks)+len(inc.Timers)+len(inc.Proposals))
	out = append(out, inc.ID)
	out = append(out, inc.Alerts...)
	out = append(out, inc.Tasks...)
	out = append(out, inc.Timers...)
	out = append(out, inc.Proposals...)
	return append(out, inc.SafeTxs...)
}

// Timeline describes the incident's events, given in fold order: those
// about its subjects that the fold applied, so callers may pass more.
// Every alert observation of a linked alert shows, including those before
// the link: they are how the incident began.
func (s *State) Timeline(inc *Incident, events []*Event) []Entry {
	subjects := make(map[ID]bool, 8)
	for _, id := range inc.Subjects() {
		subjects[id] = true
	}
	applied := s.appliedFilter()
	out := []Entry{}
	for _, e := range events {
		if !applied(e) {
			continue
		}
		b, err := decodeBody(e.Kind, e.Body)
		if err != nil || !subjects[Subject(e.ID, b)] {
			continue
		}
		by := s.Handle(e.Author)
		for _, text := range s.describe(inc, e, b) {
			out = append(out, Entry{Event: e.ID, At: int64(e.Time), By: by, Kind: e.Kind, Text: text})
		}
	}
	return out
}

// appliedFilter tells the events read on demand that the fold applied: not
// rejected, not redacted, not past what this state has folded.
func (s *State) appliedFilter() func(*Event) bool {
	rejected := make(map[ID]bool, len(s.Rejected))
	for _, r := range s.Rejected {
		rejected[r.Event] = true
	}
	return func(e *Event) bool { return !rejected[e.ID] && !e.Redacted && !s.Last.Less(e.Key()) }
}

// describe is the timeline text of an applied event, from the final state:
// what changed is read from the histories the state keeps.
func (s *State) describe(inc *Incident, e *Event, body Body) []string {
	switch b := body.(type) {
	case *IncidentDeclare:
		drill := ""
		if b.Drill {
			drill = "DRILL "
		}
		out := []string{fmt.Sprintf("%sdeclared [%s] %s", drill, b.Severity, b.Title)}
		for _, al := range b.Alerts {
			out = append(out, "linked alert "+s.alertTitle(al))
		}
		return out
	case *AlertObserve:
		text := fmt.Sprintf("%s %s %s", strings.ToUpper(b.Status), b.Title, b.Fingerprint)
		if b.Payload != "" {
			text += " payload sha256 " + b.Payload[:12] // evidence: tminus evidence get
		}
		return []string{text}
	case *AlertAck:
		return []string{"acknowledged " + s.alertTitle(b.Alert)}
	case *IncidentLink:
		return []string{"linked alert " + s.alertTitle(b.Alert)}
	case *IncidentSeverity:
		from := "?"
		for i, c := range inc.SevHistory {
			if c.Event == e.ID && i > 0 {
				from = inc.SevHistory[i-1].Severity
			}
		}
		return []string{fmt.Sprintf("severity %s -> %s", from, b.Severity)}
	case *IncidentStatus:
		from := StatusDeclared
		for i, c := range inc.StatusHistory {
			if c.Event == e.ID && i > 0 {
				from = inc.StatusHistory[i-1].Status
			}
		}
		return []string{fmt.Sprintf("status %s -> %s", from, b.Status)}
	case *IncidentAssign:
		return []string{fmt.Sprintf("%s lead: %s", b.Role, b.Member)}
	case *TaskAdd:
		return []string{"task: " + b.Title}
	case *TaskDone:
		return []string{"done: " + s.taskTitle(b.Task)}
	case *TaskAssign:
		return []string{fmt.Sprintf("task %q -> %s", s.taskTitle(b.Task), b.Owner)}
	case *TaskReopen:
		return []string{"reopened: " + s.taskTitle(b.Task)}
	case *Note:
		return []string{b.Text}
	case *TimerSet:
		return []string{"timer: " + b.Label}
	case *TimerDone:
		label := b.Timer.Short()
		if t, ok := s.Timers[b.Timer]; ok {
			label = t.Label
		}
		return []string{"met: " + label}
	case *EvidenceAdd:
		return []string{fmt.Sprintf("evidence %s sha256 %s", b.Name, b.SHA256[:12])}
	case *RunbookPropose:
		return []string{fmt.Sprintf("proposed %s step %d: %s", b.Runbook, b.Step, b.Command)}
	case *RunbookApprove:
		p, ok := s.Proposals[b.Proposal]
		if !ok {
			return nil
		}
		// Approvals are kept in fold order: this one's place is the count
		// it brought the proposal to.
		n := len(p.Approvals)
		for i, h := range p.Approvals {
			if h == s.Handle(e.Author) {
				n = i + 1
			}
		}
		return []string{fmt.Sprintf("approved %s step %d (%d/%d)", p.Runbook, p.Step, n, p.Quorum)}
	case *RunbookExec:
		p, ok := s.Proposals[b.Proposal]
		if !ok {
			return nil
		}
		how := ""
		switch {
		case b.TimedOut:
			how = " (timed out, killed)"
		case b.ExitCode == 130: // 128+SIGINT: tminus stopped it, or the command was interrupted
			how = " (interrupted)"
		}
		cut := ""
		if b.Truncated {
			cut = ", its middle cut"
		}
		return []string{fmt.Sprintf("executed %s step %d: exit %d%s in %dms, output sha256 %s%s",
			p.Runbook, p.Step, b.ExitCode, how, b.DurationMs, b.Output[:12], cut)}
	}
	return s.describeOnChain(e, body)
}

func (s *State) alertTitle(id ID) string {
	if al, ok := s.Alerts[id]; ok {
		return al.Title
	}
	return id.Short()
}

func (s *State) taskTitle(id ID) string {
	if t, ok := s.Tasks[id]; ok {
		return t.Title
	}
	return id.Short()
}
