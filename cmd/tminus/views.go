package main

import (
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
)

// The JSON shapes of CLI.md. Members appear as addresses where CLI.md says
// ADDR, with handles alongside. Every time is one format, jsonTimeFormat,
// written by ts: domain state keeps unix milliseconds (its JSON tags feed
// the state hash), so no domain struct with a time in it is printed as it
// is; it gets a view here. The signed lines of log --json and export
// --format jsonl are the exception: their "time" is the signed integer.

// jsonTimeFormat is RFC 3339 in UTC with milliseconds, always three digits:
// "2026-12-06T12:40:37.120Z".
const jsonTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// ts formats unix milliseconds for output; "" for 0 (unset), which the
// views drop with omitempty or show as null.
func ts(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(jsonTimeFormat)
}

// tsOrNil is ts for a field that is always present: null when unset.
func tsOrNil(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ts(ms)
}

func addrOf(s *domain.State, handle string) string {
	if m, ok := s.Members[handle]; ok && len(m.Keys) > 0 {
		return m.Keys[0].Hex()
	}
	return handle
}

func addrsOf(s *domain.State, handles []string) []string {
	out := make([]string, 0, len(handles))
	for _, h := range handles {
		out = append(out, addrOf(s, h))
	}
	return out
}

type taskView struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Owner    string `json:"owner,omitempty"`
	Due      string `json:"due,omitempty"`
	Done     bool   `json:"done"`
	DoneAt   string `json:"done_at,omitempty"`
	Incident string `json:"incident"`
	// Overdue: open, past its due time, and still to be done (on a resolved
	// incident only a follow-up due after the resolution still counts).
	Overdue bool `json:"overdue"`
}

type timerView struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Due   string `json:"due"`
	Every string `json:"every,omitempty"`
	Met   bool   `json:"met"`
	// NextDue is a recurring timer's deadline in force now (Due re-armed
	// every Every); absent on a timer that does not recur.
	NextDue string `json:"next_due,omitempty"`
	// State is where the timer stands now (timerState).
	State string `json:"state"`
}

// Timer states, as the cockpit's T-minus pane shows them.
const (
	timerCounting = "counting" // its deadline in force is to come
	timerOverdue  = "overdue"  // past its deadline, not met
	timerMet      = "met"      // marked met
	timerStopped  = "resolved" // the incident is resolved: stopped (the retro timer excepted)
)

// timerState is where t of inc stands at now (unix ms): a resolved
// incident's timers are stopped, all but its retro timer, and count on if
// it is reopened.
func timerState(inc *domain.Incident, t *domain.Timer, now int64) string {
	switch {
	case t.Met:
		return timerMet
	case !inc.Open() && t.ID != domain.RetroTimerID(inc.ID):
		return timerStopped
	case t.NextDue(now) < now:
		return timerOverdue
	}
	return timerCounting
}

// taskOverdue: t is open and past its due time at now, and its moment has
// not passed with the incident's resolution (a follow-up due after it
// still counts), as the cockpit counts it.
func taskOverdue(inc *domain.Incident, t *domain.Task, now int64) bool {
	if t.Done || t.Due == 0 || t.Due >= now {
		return false
	}
	return inc.Open() || t.Due > inc.ResolvedAt()
}

type incidentView struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status"`
	Drill      bool              `json:"drill"`
	DeclaredAt string            `json:"declared_at"`
	DeclaredBy string            `json:"declared_by"`
	Alerts     []string          `json:"alerts"`
	Tasks      []taskView        `json:"tasks"`
	Timers     []timerView       `json:"timers"`
	Leads      map[string]string `json:"leads"`
	Reached    map[string]string `json:"transitions"`
}

type entryView struct {
	At    string `json:"at"`
	By    string `json:"by"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Event string `json:"event"`
}

type evidenceView struct {
	Name   string `json:"name"`
	Hash   string `json:"hash"`   // as evidence list names it
	SHA256 string `json:"sha256"` // the same; kept for scripts that read it
	Size   int64  `json:"size"`
	By     string `json:"by"`
	At     string `json:"at"`
	Event  string `json:"event"`
}

type proposalView struct {
	ID        string            `json:"id"`
	Runbook   string            `json:"runbook"`
	Step      int               `json:"step"`
	Command   string            `json:"command"`
	Params    map[string]string `json:"params,omitempty"`
	Risk      string            `json:"risk"`
	Quorum    int               `json:"quorum"`
	Approvals []string          `json:"approvals"`
	Approved  bool              `json:"approved"` // the gate: approvals by current members
	removed   map[string]bool   // approvers no longer on the roster: listed, not counted
	By        string            `json:"by"`
	At        string            `json:"at"`
	Exec      *execView         `json:"exec,omitempty"`
}

// execView is domain.Execution with its time formatted.
type execView struct {
	Event      string `json:"event"`
	By         string `json:"by"`
	At         string `json:"at"`
	ExitCode   int    `json:"exit_code"`
	DurationMs int64  `json:"duration_ms"`
	Output     string `json:"output"`
	OutputSize int64  `json:"output_size"`
	Truncated  bool   `json:"truncated,omitempty"`
	TimedOut   bool   `json:"timed_out,omitempty"`
}

func viewExec(x *domain.Execution) *execView {
	if x == nil {
		return nil
	}
	return &execView{Event: x.Event.String(), By: x.By, At: ts(x.At), ExitCode: x.ExitCode, DurationMs: x.DurationMs,
		Output: x.Output, OutputSize: x.OutputSize, Truncated: x.Truncated, TimedOut: x.TimedOut}
}

type incidentDetail struct {
	incidentView
	Timeline  []entryView    `json:"timeline"`
	Notes     []entryView    `json:"notes"`
	Evidence  []evidenceView `json:"evidence"`
	Proposals []proposalView `json:"proposals"`
	SafeTxs   []safeView     `json:"safe_txs"` // cmd_safe.go
	// NotCounted are this incident's events the fold refused (cmd_incident.go).
	NotCounted []refusedView `json:"not_counted"`
}

// viewIncident is inc as the JSON shows it at now (unix ms), which says
// which timers and tasks are overdue.
func viewIncident(s *domain.State, inc *domain.Incident, now int64) incidentView {
	v := incidentView{ID: inc.ID.String(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status, Drill: inc.Drill,
		DeclaredAt: ts(inc.DeclaredAt), DeclaredBy: inc.DeclaredBy, Alerts: []string{}, Tasks: []taskView{},
		Timers: []timerView{}, Leads: map[string]string{}, Reached: map[string]string{}}
	for _, a := range inc.Alerts {
		v.Alerts = append(v.Alerts, a.String())
	}
	for _, id := range inc.Tasks {
		tv := viewTask(s.Tasks[id])
		tv.Overdue = taskOverdue(inc, s.Tasks[id], now)
		v.Tasks = append(v.Tasks, tv)
	}
	for _, id := range inc.Timers {
		t := s.Timers[id]
		tv := timerView{ID: t.ID.String(), Label: t.Label, Due: ts(t.Due), Met: t.Met, State: timerState(inc, t, now)}
		if t.Every > 0 {
			tv.Every = (time.Duration(t.Every) * time.Millisecond).String()
			tv.NextDue = ts(t.NextDue(now))
		}
		v.Timers = append(v.Timers, tv)
	}
	for r, h := range inc.Leads {
		v.Leads[r] = addrOf(s, h)
	}
	for st, at := range inc.Reached {
		v.Reached[st] = ts(at)
	}
	return v
}

func viewTask(t *domain.Task) taskView {
	return taskView{ID: t.ID.String(), Title: t.Title, Owner: t.Owner, Due: ts(t.Due), Done: t.Done, DoneAt: ts(t.DoneAt),
		Incident: t.Incident.String()}
}

func viewIncidentDetail(s *domain.State, inc *domain.Incident, timeline []domain.Entry, now int64) incidentDetail {
	d := incidentDetail{incidentView: viewIncident(s, inc, now), Timeline: []entryView{}, Notes: []entryView{},
		Evidence: []evidenceView{}, Proposals: []proposalView{}, SafeTxs: []safeView{}, NotCounted: []refusedView{}}
	for _, id := range inc.SafeTxs {
		if p := s.Safe[id]; p != nil {
			d.SafeTxs = append(d.SafeTxs, viewSafe(s, p))
		}
	}
	for _, e := range timeline {
		ev := entryView{At: ts(e.At), By: e.By, Kind: e.Kind, Text: e.Text, Event: e.Event.String()}
		d.Timeline = append(d.Timeline, ev)
		if e.Kind == domain.KindNote {
			d.Notes = append(d.Notes, ev)
		}
	}
	for _, e := range inc.Evidence {
		d.Evidence = append(d.Evidence, evidenceView{Name: e.Name, Hash: e.SHA256, SHA256: e.SHA256, Size: e.Size, By: e.By, At: ts(e.At), Event: e.Event.String()})
	}
	for _, id := range inc.Proposals {
		p := s.Proposals[id]
		v := proposalView{ID: p.ID.String(), Runbook: p.Runbook, Step: p.Step, Command: p.Command,
			Params: p.Params, Risk: p.Risk, Quorum: p.Quorum, Approvals: p.Approvals, Approved: runbooks.Approved(s, p), By: p.By,
			At: ts(p.At), Exec: viewExec(p.Exec)}
		for _, h := range p.Approvals {
			if m := s.Members[h]; m == nil || !m.Active {
				if v.removed == nil {
					v.removed = map[string]bool{}
				}
				v.removed[h] = true
			}
		}
		d.Proposals = append(d.Proposals, v)
	}
	return d
}

type alertView struct {
	ID          string            `json:"id"`
	Fingerprint string            `json:"fingerprint"`
	Title       string            `json:"title"`
	Source      string            `json:"source"`
	Severity    string            `json:"severity"`
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Observers   []string          `json:"observers"`
	ObservedBy  []string          `json:"observed_by"` // handles
	Corroborate string            `json:"corroboration"`
	AckedBy     []string          `json:"acked_by"`
	// FiringAckedBy are the acks since the alert last started firing
	// (domain.Firing): acked_by keeps every member's ack ever, which an
	// alert that resolved and fired again still carries.
	FiringAckedBy []string `json:"firing_acked_by"`
	Refired       string   `json:"refired_at,omitempty"`
	Incident      string   `json:"incident"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	Reorged       bool     `json:"reorged,omitempty"`
	// Suggested is the workspace policy's suggestion (init --suggest-p1-at).
	Suggested string `json:"suggested_severity,omitempty"`
}

// viewAlert is the alert's view; f is its current firing (alertFirings),
// nil for an alert nobody acked.
func viewAlert(s *domain.State, al *domain.Alert, f *domain.Firing) alertView {
	v := alertView{ID: al.ID.String(), Fingerprint: al.Fingerprint, Title: al.Title, Source: al.Source, Severity: al.Severity,
		Status: al.Status, Labels: al.Labels, Observers: addrsOf(s, al.Observers), ObservedBy: al.Observers,
		Corroborate: s.Corroboration(al), AckedBy: addrsOf(s, al.Ackers()), FiringAckedBy: addrsOf(s, f.Ackers()),
		FirstSeen: ts(al.FirstSeen), LastSeen: ts(al.LastSeen), Reorged: al.Reorged, Suggested: s.Suggestion(al)}
	if f != nil && f.Refired != 0 {
		v.Refired = ts(f.Refired)
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if !al.Incident.IsZero() {
		v.Incident = al.Incident.String()
	}
	return v
}

// viewDuration reads back a duration a view formatted (timerView.Every).
func viewDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}
