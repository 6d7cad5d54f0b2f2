package domain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

func (s *State) incident(id ID) (*Incident, error) {
	inc, ok := s.Incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %s not found", id.Short())
	}
	return inc, nil
}

// checkDeclare refuses a declaration from alerts the state does not know.
func (s *State) checkDeclare(b *IncidentDeclare) error {
	for _, al := range b.Alerts {
		if _, ok := s.Alerts[al]; !ok {
			return fmt.Errorf("alert %s not found", al.Short())
		}
	}
	return nil
}

func (s *State) incidentDeclare(a actor, b *IncidentDeclare) error {
	if err := s.checkDeclare(b); err != nil {
		return err
	}
	inc := &Incident{ID: a.id, Title: b.Title, Severity: b.Severity, Status: StatusDeclared, Drill: b.Drill,
		DeclaredAt: a.at, DeclaredBy: a.m.Handle, Leads: map[string]string{RoleReporter: a.m.Handle},
		Reached: map[string]int64{StatusDeclared: a.at}, Alerts: []ID{},
		SevHistory: []SeverityChange{{Event: a.id, At: a.at, By: a.m.Handle, Severity: b.Severity}}}
	if b.Plan != nil {
		p := *b.Plan
		p.Expect = slices.Clone(b.Plan.Expect)
		inc.Plan = &p
	}
	s.Incidents[a.id] = inc
	for _, al := range b.Alerts {
		s.link(inc, s.Alerts[al])
	}
	return nil
}

// link ties an alert to an incident. Linking is not an acknowledgement
// (a drill's facilitator links the alerts it injects); each responder's
// acknowledgement of the alert made before the link counts for the
// incident, the earliest first.
func (s *State) link(inc *Incident, al *Alert) {
	if !containsID(inc.Alerts, al.ID) {
		inc.Alerts = append(inc.Alerts, al.ID)
	}
	al.Incident = inc.ID
	for _, ack := range al.Acks {
		if m := s.Members[ack.By]; m != nil && Responder(inc, m) {
			acknowledge(inc, ack.At, ack.By)
		}
	}
}

// Responder reports whether m's actions on inc count as the team
// responding to it. Observers never do: a drill's simulated peers are
// observers with a writing role, so their scripted actions show in the
// timeline without scoring for the team. Nor does the declarer of a drill,
// its facilitator: the drill's own declaration, injects and links are not
// anybody acknowledging anything.
func Responder(inc *Incident, m *Member) bool {
	if m.Has(RoleObserver) {
		return false
	}
	return !inc.Drill || m.Handle != inc.DeclaredBy
}

// AckKinds are the event kinds by which a responder acknowledges an
// incident: acknowledging one of its alerts, or a first triage action.
// Declaring, linking, notes and tasks are not acknowledgements.
var AckKinds = []string{KindAlertAck, KindIncidentSev, KindIncidentStatus, KindIncidentAssign}

// acknowledge records a responder's acknowledgement at (unix ms): the
// earliest one counts, whatever order the events fold in; of two at the
// same time, the first folded.
func acknowledge(inc *Incident, at int64, by string) {
	if inc.AckedAt == 0 || at < inc.AckedAt {
		inc.AckedAt, inc.AckedBy = at, by
	}
}

// responded records a in the incident's acknowledgement when a is a
// responder.
func (s *State) responded(inc *Incident, a actor) {
	if Responder(inc, a.m) {
		acknowledge(inc, a.at, a.m.Handle)
	}
}

// checkLink is the incident and the alert a link ties, both known.
func (s *State) checkLink(b *IncidentLink) (*Incident, *Alert, error) {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return nil, nil, err
	}
	al, ok := s.Alerts[b.Alert]
	if !ok {
		return nil, nil, fmt.Errorf("alert %s not found", b.Alert.Short())
	}
	return inc, al, nil
}

func (s *State) incidentLink(a actor, b *IncidentLink) error {
	inc, al, err := s.checkLink(b)
	if err != nil {
		return err
	}
	s.link(inc, al)
	return nil
}

// checkSeverity refuses a severity the incident already has: it would
// change nothing and count as an acknowledgement.
func (s *State) checkSeverity(b *IncidentSeverity) (*Incident, error) {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return nil, err
	}
	if inc.Severity == b.Severity {
		return nil, fmt.Errorf("incident %s is already %s", inc.ID.Short(), b.Severity)
	}
	return inc, nil
}

func (s *State) incidentSeverity(a actor, b *IncidentSeverity) error {
	inc, err := s.checkSeverity(b)
	if err != nil {
		return err
	}
	inc.SevHistory = append(inc.SevHistory, SeverityChange{Event: a.id, At: a.at, By: a.m.Handle, Severity: b.Severity})
	inc.Severity = b.Severity
	s.responded(inc, a)
	return nil
}

// checkStatus refuses the status the incident already has.
func (s *State) checkStatus(b *IncidentStatus) (*Incident, error) {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return nil, err
	}
	if inc.Status == b.Status {
		return nil, fmt.Errorf("incident %s is already %s", inc.ID.Short(), b.Status)
	}
	return inc, nil
}

func (s *State) incidentStatus(a actor, b *IncidentStatus) error {
	inc, err := s.checkStatus(b)
	if err != nil {
		return err
	}
	inc.StatusHistory = append(inc.StatusHistory, StatusChange{Event: a.id, At: a.at, By: a.m.Handle, Status: b.Status})
	inc.Status = b.Status
	s.responded(inc, a)
	if _, ok := inc.Reached[b.Status]; !ok {
		inc.Reached[b.Status] = a.at
		if b.Status == StatusResolved {
			s.retroTimer(inc, a)
		}
	}
	return nil
}

// retroTimer sets the 72-hour retro deadline on first resolution. Its id
// is derived from the incident so every replica makes the same timer.
func (s *State) retroTimer(inc *Incident, a actor) {
	id := RetroTimerID(inc.ID)
	s.Timers[id] = &Timer{ID: id, Incident: inc.ID, Label: "Retro due", Due: a.at + RetroWindow.Milliseconds(), By: a.m.Handle}
	inc.Timers = append(inc.Timers, id)
}

// checkAssign is what by naming a lead must pass: by holds triage or
// declared the incident, and the lead is a member holding the role.
func (s *State) checkAssign(by *Member, b *IncidentAssign) (*Incident, error) {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return nil, err
	}
	if !by.Has(RoleTriage) && inc.DeclaredBy != by.Handle {
		return nil, fmt.Errorf("%s may not assign leads: needs the triage role or to have declared the incident", by.Handle)
	}
	m, ok := s.Members[b.Member]
	if !ok || !m.Active {
		return nil, fmt.Errorf("%s is not a member", b.Member)
	}
	if !m.Has(b.Role) {
		return nil, fmt.Errorf("%s does not hold the %s role", b.Member, b.Role)
	}
	return inc, nil
}

func (s *State) incidentAssign(a actor, b *IncidentAssign) error {
	inc, err := s.checkAssign(a.m, b)
	if err != nil {
		return err
	}
	inc.Leads[b.Role] = b.Member
	s.responded(inc, a)
	return nil
}

func (s *State) member(handle string) error {
	if m, ok := s.Members[handle]; !ok || !m.Active {
		return fmt.Errorf("%s is not a member", handle)
	}
	return nil
}

// checkTaskAdd is the task's incident, its owner (if any) a member.
func (s *State) checkTaskAdd(b *TaskAdd) (*Incident, error) {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return nil, err
	}
	if b.Owner != "" {
		if err := s.member(b.Owner); err != nil {
			return nil, err
		}
	}
	return inc, nil
}

func (s *State) taskAdd(a actor, b *TaskAdd) error {
	inc, err := s.checkTaskAdd(b)
	if err != nil {
		return err
	}
	s.Tasks[a.id] = &Task{ID: a.id, Incident: inc.ID, Title: b.Title, Owner: b.Owner, Due: b.Due, By: a.m.Handle, At: a.at}
	inc.Tasks = append(inc.Tasks, a.id)
	return nil
}

func (s *State) task(id ID) (*Task, *Incident, error) {
	t, ok := s.Tasks[id]
	if !ok {
		return nil, nil, fmt.Errorf("task %s not found", id.Short())
	}
	return t, s.Incidents[t.Incident], nil
}

// checkTaskDone refuses a task that is unknown or done already.
func (s *State) checkTaskDone(b *TaskDone) (*Task, error) { return s.taskDoneIs(b.Task, false) }

// taskDoneIs is the task if its done is done, else why not.
func (s *State) taskDoneIs(id ID, done bool) (*Task, error) {
	t, _, err := s.task(id)
	if err != nil {
		return nil, err
	}
	switch {
	case t.Done == done:
		return t, nil
	case t.Done:
		return nil, fmt.Errorf("task %s is already done", t.ID.Short())
	default:
		return nil, fmt.Errorf("task %s is not done", t.ID.Short())
	}
}

func (s *State) taskDone(a actor, b *TaskDone) error {
	t, err := s.checkTaskDone(b)
	if err != nil {
		return err
	}
	t.Done, t.DoneAt, t.DoneBy = true, a.at, a.m.Handle
	return nil
}

// checkTaskReopen refuses a task that is unknown or not done.
func (s *State) checkTaskReopen(b *TaskReopen) (*Task, error) { return s.taskDoneIs(b.Task, true) }

func (s *State) taskReopen(_ actor, b *TaskReopen) error {
	t, err := s.checkTaskReopen(b)
	if err != nil {
		return err
	}
	t.Done, t.DoneAt, t.DoneBy = false, 0, ""
	return nil
}

// checkTaskAssign is the task, its new owner a member.
func (s *State) checkTaskAssign(b *TaskAssign) (*Task, error) {
	t, _, err := s.task(b.Task)
	if err != nil {
		return nil, err
	}
	if err := s.member(b.Owner); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *State) taskAssign(a actor, b *TaskAssign) error {
	t, err := s.checkTaskAssign(b)
	if err != nil {
		return err
	}
	t.Owner = b.Owner
	return nil
}

// note changes nothing the state keeps: its text is read with the
// timeline, and the state's Chain covers it.
func (s *State) note(a actor, b *Note) error {
	_, err := s.incident(b.Incident)
	return err
}

func (s *State) timerSet(a actor, b *TimerSet) error {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return err
	}
	s.Timers[a.id] = &Timer{ID: a.id, Incident: inc.ID, Label: b.Label, Due: b.Due, Every: b.Every, By: a.m.Handle}
	inc.Timers = append(inc.Timers, a.id)
	return nil
}

// checkTimerDone refuses a timer that is unknown or met already.
func (s *State) checkTimerDone(b *TimerDone) (*Timer, error) {
	t, ok := s.Timers[b.Timer]
	if !ok {
		return nil, fmt.Errorf("timer %s not found", b.Timer.Short())
	}
	if t.Met {
		return nil, fmt.Errorf("timer %s is already met", t.ID.Short())
	}
	return t, nil
}

func (s *State) timerDone(a actor, b *TimerDone) error {
	t, err := s.checkTimerDone(b)
	if err != nil {
		return err
	}
	t.Met, t.MetAt = true, a.at
	return nil
}

func (s *State) evidenceAdd(a actor, b *EvidenceAdd) error {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return err
	}
	inc.Evidence = append(inc.Evidence, Evidence{Event: a.id, Name: b.Name, SHA256: b.SHA256, Size: b.Size, By: a.m.Handle, At: a.at})
	return nil
}

func (s *State) runbookPropose(a actor, b *RunbookPropose) error {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return err
	}
	p := &Proposal{ID: a.id, Incident: inc.ID, Runbook: b.Runbook, RunbookHash: b.RunbookHash, Step: b.Step,
		StepTitle: b.StepTitle, Params: b.Params, Command: b.Command, CommandHash: b.CommandHash, Risk: b.Risk,
		Quorum: b.Quorum, Approvers: b.Approvers, By: a.m.Handle, At: a.at, Approvals: []string{}}
	if p.approver(a.m) && s.MeetsPolicy(a.m, a.at) { // the proposer counts once
		p.Approvals = append(p.Approvals, a.m.Handle)
	}
	s.Proposals[a.id] = p
	inc.Proposals = append(inc.Proposals, a.id)
	return nil
}

func (p *Proposal) approver(m *Member) bool {
	for _, r := range p.Approvers {
		if m.Has(r) {
			return true
		}
	}
	return false
}

// Approved reports whether the proposal's gate is met.
func (p *Proposal) Approved() bool {
	return p.Risk == RiskLow || len(p.Approvals) >= p.Quorum
}

// checkRunbookApprove is the proposal m may approve: not executed, m one
// of its approvers, not approved by m already.
func (s *State) checkRunbookApprove(m *Member, b *RunbookApprove) (*Proposal, error) {
	p, ok := s.Proposals[b.Proposal]
	if !ok {
		return nil, fmt.Errorf("runbook proposal %s not found", b.Proposal.Short())
	}
	if p.Exec != nil {
		return nil, fmt.Errorf("runbook proposal %s already executed", p.ID.Short())
	}
	if !p.approver(m) {
		return nil, fmt.Errorf("%s is not an approver for %s (needs %s)", m.Handle, p.Runbook, strings.Join(p.Approvers, " or "))
	}
	if containsStr(p.Approvals, m.Handle) {
		return nil, fmt.Errorf("%s already approved runbook proposal %s", m.Handle, p.ID.Short())
	}
	return p, nil
}

func (s *State) runbookApprove(a actor, b *RunbookApprove) error {
	p, err := s.checkRunbookApprove(a.m, b)
	if err != nil {
		return err
	}
	p.Approvals = append(p.Approvals, a.m.Handle)
	return nil
}

// checkRunbookExec is the proposal m may record a run of: m holds
// containment, it is not executed, its gate is met.
func (s *State) checkRunbookExec(m *Member, b *RunbookExec) (*Proposal, error) {
	p, ok := s.Proposals[b.Proposal]
	if !ok {
		return nil, fmt.Errorf("runbook proposal %s not found", b.Proposal.Short())
	}
	if !m.Has(RoleContainment) {
		return nil, fmt.Errorf("%s may not execute: needs the containment role", m.Handle)
	}
	if p.Exec != nil {
		return nil, fmt.Errorf("runbook proposal %s already executed", p.ID.Short())
	}
	if !p.Approved() {
		return nil, fmt.Errorf("runbook proposal %s has %d of %d approvals", p.ID.Short(), len(p.Approvals), p.Quorum)
	}
	return p, nil
}

func (s *State) runbookExec(a actor, b *RunbookExec) error {
	p, err := s.checkRunbookExec(a.m, b)
	if err != nil {
		return err
	}
	p.Exec = &Execution{Event: a.id, By: a.m.Handle, At: a.at, ExitCode: b.ExitCode, DurationMs: b.DurationMs,
		Output: b.Output, OutputSize: b.OutputSize, Truncated: b.Truncated, TimedOut: b.TimedOut}
	return nil
}

func containsID(list []ID, id ID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// OpenIncidentOf is the open incident an alert belongs to: its current link
// when that incident is open, else the earliest-declared open incident that
// lists it; nil when none is open. Declaring a new incident from such an
// alert would move its link while the old incident still lists it, so the
// CLI and the cockpit refuse that before signing.
func (s *State) OpenIncidentOf(alert ID) *Incident {
	al := s.Alerts[alert]
	if al == nil {
		return nil
	}
	open := func(inc *Incident) bool { return inc != nil && inc.Status != StatusResolved }
	if inc := s.Incidents[al.Incident]; open(inc) {
		return inc
	}
	var holder *Incident
	for _, inc := range s.Incidents {
		if open(inc) && slices.Contains(inc.Alerts, alert) && (holder == nil || before(inc, holder)) {
			holder = inc
		}
	}
	return holder
}

// RetroTimerID is the id of an incident's retro timer, derived from the
// incident so every replica makes the same one on first resolution.
func RetroTimerID(incident ID) ID {
	return ID(crypto.Keccak256Hash([]byte("tminus/retro/"), incident[:]))
}
