package domain

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// RetroWindow is how long after resolution the retro is due.
const RetroWindow = 72 * time.Hour

// Fold returns the state of a set of events. They are sorted by Key here so
// callers cannot get the order wrong; forks names each equivocating author
// and the seq from which their events stop counting.
func Fold(events []*Event, forks map[common.Address]uint64) *State {
	sorted := append([]*Event(nil), events...)
	sortEvents(sorted)
	return foldSorted(sorted, forks, DecideCuts(sorted, forks))
}

// FoldFrom is the state to fold from when neither a snapshot nor any event
// has been folded yet: the forks and cuts in force (DecideCuts) preset.
func FoldFrom(forks map[common.Address]uint64, cuts map[common.Address]Cut) *State {
	s := NewState()
	for a, seq := range forks {
		s.Forked[a] = seq
	}
	if len(cuts) > 0 {
		s.Cuts = make(map[common.Address]Cut, len(cuts))
		for a, c := range cuts {
			s.Cuts[a] = c
		}
	}
	return s
}

func foldSorted(sorted []*Event, forks map[common.Address]uint64, cuts map[common.Address]Cut) *State {
	s := FoldFrom(forks, cuts)
	for _, e := range sorted {
		s.Apply(e)
	}
	return s
}

func sortEvents(evs []*Event) {
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
}

// Apply folds one more event. Events must arrive in Key order after
// s.Last; the caller re-folds from an earlier snapshot otherwise. An event
// that the state does not allow is recorded as rejected, never dropped.
func (s *State) Apply(e *Event) {
	s.Count++
	s.Last = e.Key()
	s.Chain = ID(crypto.Keccak256Hash(s.Chain[:], e.ID[:]))
	if err := s.apply(e); err != nil {
		s.Rejected = append(s.Rejected, Rejection{Event: e.ID, Author: e.Author, Kind: e.Kind, Reason: err.Error()})
	}
}

// ErrForked marks events by an author past their equivocation.
var ErrForked = errors.New("author equivocated")

func (s *State) apply(e *Event) error {
	if seq, ok := s.Forked[e.Author]; ok && e.Seq >= seq && !(e.Seq == seq && e.Kind == KindKeyRotate) {
		// A key.rotate at the fork's seq still stands: it retires the key there,
		// so a thief holding a copy of the old key cannot undo the rotation by
		// signing another event at that seq. Only one rotation of a key applies.
		return fmt.Errorf("%w at seq %d; events from there on do not count", ErrForked, seq)
	}
	if err := s.cutOut(e); err != nil {
		return err
	}
	if err := s.rotatedOut(e); err != nil {
		return err
	}
	if e.Redacted {
		return fmt.Errorf("redacted event has no body to fold")
	}
	body, err := decodeBody(e.Kind, e.Body)
	if err != nil {
		return err
	}
	if g, ok := body.(*Genesis); ok {
		return s.genesis(e, g)
	}
	if s.WS.IsZero() {
		return fmt.Errorf("no genesis folded yet")
	}
	m := s.MemberByKey(e.Author)
	if m == nil || !m.Active {
		return fmt.Errorf("%s is not a member", e.Author.Hex())
	}
	if !m.CanWrite() {
		return fmt.Errorf("%s is an observer (read-only)", m.Handle)
	}
	if m.Has(RoleObserver) {
		if err := s.simulatedMayWrite(m, body); err != nil {
			return err
		}
	}
	a := actor{m: m, at: int64(e.Time), id: e.ID, kind: e.Kind}
	if err := s.approvalGate(a, body); err != nil {
		return err
	}
	if b, ok := body.(identityBody); ok {
		return b.fold(s, a, e)
	}
	if ok, err := s.applyOnChain(a, body); ok {
		return err
	}
	switch b := body.(type) {
	case *MemberPropose:
		return s.memberPropose(a, b)
	case *MemberApprove:
		return s.memberApprove(a, b)
	case *AlertObserve:
		return s.alertObserve(a, b)
	case *AlertAck:
		return s.alertAck(a, b)
	case *IncidentDeclare:
		return s.incidentDeclare(a, b)
	case *IncidentSeverity:
		return s.incidentSeverity(a, b)
	case *IncidentStatus:
		return s.incidentStatus(a, b)
	case *IncidentAssign:
		return s.incidentAssign(a, b)
	case *IncidentLink:
		return s.incidentLink(a, b)
	case *TaskAdd:
		return s.taskAdd(a, b)
	case *TaskDone:
		return s.taskDone(a, b)
	case *TaskAssign:
		return s.taskAssign(a, b)
	case *TaskReopen:
		return s.taskReopen(a, b)
	case *Note:
		return s.note(a, b)
	case *TimerSet:
		return s.timerSet(a, b)
	case *TimerDone:
		return s.timerDone(a, b)
	case *EvidenceAdd:
		return s.evidenceAdd(a, b)
	case *RunbookPropose:
		return s.runbookPropose(a, b)
	case *RunbookApprove:
		return s.runbookApprove(a, b)
	case *RunbookExec:
		return s.runbookExec(a, b)
	}
	return fmt.Errorf("kind %s has no fold rule", e.Kind)
}

// actor is the member behind an event, with the event's own facts.
type actor struct {
	m    *Member
	at   int64
	id   ID
	kind string
}

func (s *State) genesis(e *Event, g *Genesis) error {
	if !s.WS.IsZero() {
		return fmt.Errorf("workspace already has a genesis")
	}
	if g.Founder.Address != e.Author {
		return fmt.Errorf("genesis founder %s is not its signer", g.Founder.Address.Hex())
	}
	s.WS, s.Name, s.Policy = e.ID, g.Name, g.Policy
	s.addMember(g.Founder, int64(e.Time))
	return nil
}

func (s *State) addMember(spec MemberSpec, at int64) {
	if m, ok := s.Members[spec.Handle]; ok && m.Active {
		m.Keys = append(m.Keys, spec.Address)
		s.Keys[spec.Address] = m.Handle
		return
	}
	m := &Member{Handle: spec.Handle, Roles: NormalizeRoles(spec.Roles), Keys: []common.Address{spec.Address},
		Enode: spec.Enode, Active: true, AddedAt: at}
	if old, ok := s.Members[spec.Handle]; ok { // re-admitted: keep old keys for display
		for _, k := range old.Keys {
			if k != spec.Address {
				m.Keys = append(m.Keys, k)
			}
		}
	}
	s.Members[spec.Handle] = m
	s.Keys[spec.Address] = m.Handle
}

func (s *State) memberPropose(a actor, b *MemberPropose) error {
	if err := s.checkMemberPropose(b); err != nil {
		return err
	}
	p := &RosterProposal{ID: a.id, Action: b.Action, Member: b.Member, By: a.m.Handle, At: a.at,
		Approvals: map[string]bool{}, Cuts: b.Cuts}
	if s.MeetsPolicy(a.m, a.at) { // the proposer counts once
		p.Approvals[a.m.Handle] = true
	}
	s.Roster[a.id] = p
	s.tryApply(p, a.at)
	return nil
}

func (s *State) memberApprove(a actor, b *MemberApprove) error {
	if err := s.checkMemberApprove(a.m, b); err != nil {
		return err
	}
	p := s.Roster[b.Proposal]
	p.Approvals[a.m.Handle] = true
	s.tryApply(p, a.at)
	return nil
}

// CountingApprovals are a roster proposal's approvals by current members,
// the ones its quorum counts: a removed member's approval stays recorded
// but no longer counts.
func (s *State) CountingApprovals(p *RosterProposal) int {
	return s.current(maps.Keys(p.Approvals))
}

// CountingRunbookApprovals are a runbook proposal's approvals by current
// members, the ones the local gate counts (the fold took each from a member
// holding an approver role; one removed since no longer counts).
func (s *State) CountingRunbookApprovals(p *Proposal) int {
	return s.current(slices.Values(p.Approvals))
}

// current counts the handles of members still on the roster.
func (s *State) current(handles iter.Seq[string]) int {
	n := 0
	for h := range handles {
		if m, ok := s.Members[h]; ok && m.Active {
			n++
		}
	}
	return n
}

// tryApply applies a roster proposal once approvals from distinct current
// members reach the roster quorum.
func (s *State) tryApply(p *RosterProposal, at int64) {
	q := s.RosterQuorum()
	if s.CountingApprovals(p) < q {
		return
	}
	switch p.Action {
	case ActionAdd:
		if h, ok := s.Keys[p.Member.Address]; ok && s.Members[h].Active {
			p.Void = "key already belongs to " + h
			return
		}
		if err := s.uncut(p.Member.Address); err != nil {
			p.Void = err.Error()
			return
		}
		s.addMember(p.Member, at)
	case ActionRemove:
		m, ok := s.Members[p.Member.Handle]
		if ok && !m.Active && len(p.Cuts) > 0 && s.checkCuts(m, p.Cuts) == nil {
			// A second removal of one member, proposed concurrently from
			// another view: it removes no one, but its quorum approved its
			// cuts, and where two cut one key the lower seq stands (cutsOf).
			break
		}
		if !ok || !m.Active {
			p.Void = p.Member.Handle + " is no longer a member"
			return
		}
		if s.lastVoter(m) {
			p.Void = "cannot remove the last member who can approve roster changes"
			return
		}
		m.Active = false
	default:
		if err := s.applyChange(p, at); err != nil {
			p.Void = err.Error()
			return
		}
	}
	p.Applied, p.AppliedAt, p.Quorum, p.appliedN = true, at, q, s.Count
}

func (s *State) alertObserve(a actor, b *AlertObserve) error {
	id := AlertID(b.Fingerprint)
	al, ok := s.Alerts[id]
	if !ok {
		al = &Alert{ID: id, Fingerprint: b.Fingerprint, FirstSeen: a.at}
		s.Alerts[id] = al
	}
	al.Title, al.Source, al.Status, al.Labels = b.Title, b.Source, b.Status, b.Labels
	if b.Severity != "" {
		al.Severity = b.Severity
	}
	if b.Reorged {
		al.Reorged = true
	}
	if a.at > al.LastSeen {
		al.LastSeen = a.at
	}
	if a.at < al.FirstSeen {
		al.FirstSeen = a.at
	}
	al.Count++
	if !containsStr(al.Observers, a.m.Handle) {
		al.Observers = append(al.Observers, a.m.Handle)
	}
	s.Watchers[a.m.Handle] = true
	return nil
}

func (s *State) alertAck(a actor, b *AlertAck) error {
	if err := s.checkAlertAck(a.m, b); err != nil {
		return err
	}
	al := s.Alerts[b.Alert]
	al.Acks = append(al.Acks, Ack{By: a.m.Handle, At: a.at})
	if inc := s.Incidents[al.Incident]; inc != nil {
		s.responded(inc, a)
	}
	return nil
}

// simulatedMayWrite gates a member who holds the observer role beside a
// writing role: that is how a drill adds a simulated peer, whose key sits on
// the facilitator's disk. It may write only what a peer inject writes
// (a note, a severity, a task, an acknowledgement of an alert), and only on
// a drill incident, so the key can never touch a real incident or the
// roster.
func (s *State) simulatedMayWrite(m *Member, body Body) error {
	var inc ID
	switch b := body.(type) {
	case *Note:
		inc = b.Incident
	case *IncidentSeverity:
		inc = b.Incident
	case *TaskAdd:
		inc = b.Incident
	case *AlertAck:
		if al, ok := s.Alerts[b.Alert]; ok {
			inc = al.Incident
		}
	default:
		return fmt.Errorf("%s is an observer with a writing role (a drill's simulated peer): it may not write %s", m.Handle, body.Kind())
	}
	if i, ok := s.Incidents[inc]; !ok || !i.Drill {
		return fmt.Errorf("%s is an observer with a writing role (a drill's simulated peer): it may write only on drill incidents", m.Handle)
	}
	return nil
}

func containsStr(list []string, s string) bool { return contains(list, s) }
