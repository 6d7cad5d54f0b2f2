package domain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// IdentityKinds are the kinds that decide who may write: the workspace, its
// roster, keys and proofs. Nothing else changes a member's standing, so a
// fold of these events alone (with the store's forks) answers MayWrite as
// the full fold does, for a fraction of its cost: a command that appends a
// note checks its key against it before signing.
var IdentityKinds = []string{
	KindGenesis, KindMemberPropose, KindMemberApprove,
	KindProofAdd, KindProofRevoke, KindKeyRotate, KindMemberChange,
}

// ErrCannotWrite marks a key whose events would be stored but not counted.
var ErrCannotWrite = errors.New("cannot write")

// MayWrite says whether an event signed by key now would count, and if not,
// why and what to do: the fold would store it and refuse it, so a command
// refuses it before signing instead of reporting success.
func (s *State) MayWrite(key common.Address) error {
	if r := s.RotatedKey(key); r != nil {
		return fmt.Errorf("%w: this key %s is %s's old key, replaced by %s (event %s); nothing it signs now counts: write from the home that holds the new key",
			ErrCannotWrite, key.Hex(), r.Member, r.New.Hex(), r.Event.Short())
	}
	if seq, ok := s.Forked[key]; ok {
		return fmt.Errorf("%w: this key %s signed two events at seq %d (a home restored from an old copy?), so its events from there on do not count: replace it with tminus member rotate",
			ErrCannotWrite, key.Hex(), seq)
	}
	m := s.MemberByKey(key)
	switch {
	case m == nil:
		return fmt.Errorf("%w: %s is not a member of this workspace (a member adds you with tminus member add)", ErrCannotWrite, key.Hex())
	case !m.Active:
		hint := "a member re-adds it with tminus member add"
		if _, cut := s.Cuts[key]; cut { // a cut key cannot come back (uncut)
			hint = "join again with a new key (tminus join in a new home) and have a member add that"
		}
		return fmt.Errorf("%w: %s was removed from this workspace; nothing this key signs counts (%s)", ErrCannotWrite, m.Handle, hint)
	case s.uncut(key) != nil:
		// The member was removed and added back with a new key: the roster
		// lists the cut key beside it, but it stays cut (a thief's copy).
		c := s.Cuts[key]
		return fmt.Errorf("%w: this key %s was revoked at seq %d by roster proposal %s; %s is on the roster again with another key, and nothing this key signs counts: write from the home that holds that key",
			ErrCannotWrite, key.Hex(), c.Seq, c.By.Short(), m.Handle)
	case !m.CanWrite():
		return fmt.Errorf("%w: %s is an observer: observers cannot change anything", ErrCannotWrite, m.Handle)
	}
	return nil
}

// CheckBody is what the fold would say about body signed by author at t
// (unix ms), asked before signing: a command refuses what the fold would
// store and refuse, since a signed event stays in every replica's log
// whatever the fold makes of it. It asks in the fold's order: the author's
// standing (MayWrite), a drill peer's limits, an approval's proof policy,
// then the kind's own rule, through the fold's own checks so the reasons
// read the same. A nil body asks only the standing. Checking leaves s as
// it found it, but like Apply it must not run while another goroutine
// reads s: a policy change is tried on the state and undone (keepIdentity).
//
// It answers for s as it stands: an event folded before this one that s
// has not seen (a peer's concurrent ack, approval or execution) can still
// make the fold refuse it, which is why a command also reads the fold's
// verdict after writing. The body's own fields are Validate's concern,
// which EncodeBody runs before signing.
func (s *State) CheckBody(author common.Address, body Body, t int64) error {
	if err := s.MayWrite(author); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	m := s.MemberByKey(author)
	if m.Has(RoleObserver) {
		if err := s.simulatedMayWrite(m, body); err != nil {
			return err
		}
	}
	switch body.(type) {
	case *MemberApprove, *RunbookApprove:
		if err := s.approvalCounts(m, s.approvedAt(body, t)); err != nil {
			return err
		}
	}
	return s.checkRule(m, author, body, t)
}

// approvalCounts refuses an approval from m below their roles' minimum of
// proofs at t: the fold would keep it without counting it (policyError).
func (s *State) approvalCounts(m *Member, t int64) error {
	if s.MeetsPolicy(m, t) {
		return nil
	}
	min, role := s.MemberMinimum(m)
	return fmt.Errorf("%s's approval would not count: role %s needs %d proofs of distinct kinds (the tminus key counts as one), %s has %d valid (tminus proof add)",
		m.Handle, role, min, m.Handle, s.ProofCount(m.Handle, t))
}

// checkRule is the kind's own fold rule for body by m's key author at t,
// the case for each kind in the order of State.apply.
func (s *State) checkRule(m *Member, author common.Address, body Body, t int64) error {
	switch b := body.(type) {
	case *Genesis:
		return fmt.Errorf("workspace already has a genesis")
	case *ProofAdd:
		return errOf(s.checkProofAdd(m, author, b, t))
	case *ProofRevoke:
		return errOf(s.revocable(m.Handle, b.Proof))
	case *KeyRotate:
		return s.checkKeyRotate(m, author, b, t)
	case *MemberChange:
		defer s.keepIdentity()()
		return s.checkChange(b, t)
	case *SafePropose:
		return errOf(s.incident(b.Incident))
	case *SafeSign:
		return errOf(s.checkSafeSign(b))
	case *SafeExec:
		return errOf(s.checkSafeExec(m, b))
	case *AnchorRecord, *AlertObserve:
		return nil
	case *MemberPropose:
		return s.checkMemberPropose(b)
	case *MemberApprove:
		return s.checkMemberApprove(m, b)
	case *AlertAck:
		return s.checkAlertAck(m, b)
	case *IncidentDeclare:
		return s.checkDeclare(b)
	case *IncidentSeverity:
		return errOf(s.checkSeverity(b))
	case *IncidentStatus:
		return errOf(s.checkStatus(b))
	case *IncidentAssign:
		return errOf(s.checkAssign(m, b))
	case *IncidentLink:
		_, _, err := s.checkLink(b)
		return err
	case *TaskAdd:
		return errOf(s.checkTaskAdd(b))
	case *TaskDone:
		return errOf(s.checkTaskDone(b))
	case *TaskAssign:
		return errOf(s.checkTaskAssign(b))
	case *TaskReopen:
		return errOf(s.checkTaskReopen(b))
	case *Note:
		return errOf(s.incident(b.Incident))
	case *TimerSet:
		return errOf(s.incident(b.Incident))
	case *TimerDone:
		return errOf(s.checkTimerDone(b))
	case *EvidenceAdd:
		return errOf(s.incident(b.Incident))
	case *RunbookPropose:
		return errOf(s.incident(b.Incident))
	case *RunbookApprove:
		return errOf(s.checkRunbookApprove(m, b))
	case *RunbookExec:
		return errOf(s.checkRunbookExec(m, b))
	}
	return fmt.Errorf("kind %s has no fold rule", body.Kind())
}

// errOf keeps the error of a check that also returns what it found.
func errOf[T any](_ T, err error) error { return err }

// keepIdentity returns what puts the identity part back as it is now:
// checkChange tries a policy on the live state (ident makes the part, and
// its maps, on first use), and a check must leave no trace in the state's
// hash.
func (s *State) keepIdentity() func() {
	id := s.Identity
	if id == nil {
		return func() { s.Identity = nil }
	}
	saved := *id
	return func() { *id = saved }
}

// The checks below are memberPropose's, memberApprove's and alertAck's
// (fold.go calls them before it changes anything).

// checkMemberPropose refuses adding a key an active member holds, a new
// member without a role, and removing a non-member or the last member.
func (s *State) checkMemberPropose(b *MemberPropose) error {
	switch b.Action {
	case ActionAdd:
		if h, ok := s.Keys[b.Member.Address]; ok && s.Members[h].Active {
			return fmt.Errorf("%s is already a key of %s", b.Member.Address.Hex(), h)
		}
		if m, ok := s.Members[b.Member.Handle]; (!ok || !m.Active) && len(b.Member.Roles) == 0 {
			return fmt.Errorf("a new member needs at least one role")
		}
		return s.uncut(b.Member.Address)
	case ActionRemove:
		m, ok := s.Members[b.Member.Handle]
		if ok && !m.Active && len(b.Cuts) > 0 {
			return s.checkCuts(m, b.Cuts) // a concurrent second removal: only its cuts can count
		}
		if !ok || !m.Active {
			return fmt.Errorf("%s is not a member", b.Member.Handle)
		}
		if s.lastVoter(m) {
			return fmt.Errorf("cannot remove the last member who can approve roster changes")
		}
		return s.checkCuts(m, b.Cuts)
	}
	return nil
}

// lastVoter: removing m would leave no member, or none who can approve a
// roster change, and the roster could never change again.
func (s *State) lastVoter(m *Member) bool {
	return s.ActiveMembers() == 1 || (m.Votes() && s.Voters() == 1)
}

// checkMemberApprove refuses approving a roster proposal that is unknown,
// applied, void, or approved by m already.
func (s *State) checkMemberApprove(m *Member, b *MemberApprove) error {
	p, ok := s.Roster[b.Proposal]
	switch {
	case !ok:
		return fmt.Errorf("roster proposal %s not found", b.Proposal.Short())
	case p.Applied:
		return fmt.Errorf("roster proposal %s already applied", b.Proposal.Short())
	case p.Void != "":
		return fmt.Errorf("roster proposal %s is void: %s", b.Proposal.Short(), p.Void)
	case p.Approvals[m.Handle]:
		return fmt.Errorf("%s already approved roster proposal %s", m.Handle, b.Proposal.Short())
	}
	return nil
}

// checkAlertAck refuses acknowledging an unknown alert, or one m has
// acknowledged already.
func (s *State) checkAlertAck(m *Member, b *AlertAck) error {
	al, ok := s.Alerts[b.Alert]
	if !ok {
		return fmt.Errorf("alert %s not found", b.Alert.Short())
	}
	if containsStr(al.Ackers(), m.Handle) {
		return fmt.Errorf("%s already acknowledged alert %s", m.Handle, b.Alert.Short())
	}
	return nil
}
