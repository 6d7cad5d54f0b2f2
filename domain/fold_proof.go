package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain/proof"
)

// ErrRotated marks events by a key after its rotation.
var ErrRotated = errors.New("key rotated out")

// identityBody is a body whose fold rule lives in this file.
type identityBody interface {
	fold(s *State, a actor, e *Event) error
}

func (b *ProofAdd) fold(s *State, a actor, e *Event) error     { return s.proofAdd(a, e.Author, b) }
func (b *ProofRevoke) fold(s *State, a actor, e *Event) error  { return s.proofRevoke(a, b) }
func (b *KeyRotate) fold(s *State, a actor, e *Event) error    { return s.keyRotate(a, e, b) }
func (b *MemberChange) fold(s *State, a actor, e *Event) error { return s.memberChange(a, b) }

// rotatedOut refuses an event of a retired key signed after its rotation.
// Seq orders one key's events the same on every replica, so every replica
// draws the line at the same event.
func (s *State) rotatedOut(e *Event) error {
	r := s.RotatedKey(e.Author)
	if r == nil || e.Seq <= r.Seq {
		return nil
	}
	if r.Seq == 0 {
		return fmt.Errorf("%w: the roster replaced %s's key %s with %s (event %s); its later events do not count: write from the home that holds %s",
			ErrRotated, r.Member, e.Author.Hex(), r.New.Hex(), r.Event.Short(), r.New.Hex())
	}
	return fmt.Errorf("%w at seq %d: %s's key %s was replaced by %s (event %s); its events after that do not count: write from the home that holds %s",
		ErrRotated, r.Seq, r.Member, e.Author.Hex(), r.New.Hex(), r.Event.Short(), r.New.Hex())
}

// at formats a signed time for a rejection reason.
func at(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

// approvalGate refuses the approval of a member below their roles' minimum
// of proofs when it was signed: their history stands, but the approval does
// not count toward a runbook gate or a roster quorum.
func (s *State) approvalGate(a actor, body Body) error {
	switch body.(type) {
	case *MemberApprove, *RunbookApprove:
		return s.policyError(a.m, s.approvedAt(body, a.at))
	}
	return nil
}

// approvedAt is the time an approval's proofs are judged at: its signed
// time, but never before the proposal it approves was made. Its signer
// chooses the signed time; dating it back to when a since-expired proof was
// valid would otherwise count it. No honest approval predates its proposal,
// so only a lagging clock moves, to the proposal's time.
func (s *State) approvedAt(body Body, t int64) int64 {
	switch b := body.(type) {
	case *MemberApprove:
		if p := s.Roster[b.Proposal]; p != nil {
			return max(t, p.At)
		}
	case *RunbookApprove:
		if p := s.Proposals[b.Proposal]; p != nil {
			return max(t, p.At)
		}
	}
	return t
}

// policyError says why m's approvals do not count at t, or nil when they do.
func (s *State) policyError(m *Member, t int64) error {
	if s.MeetsPolicy(m, t) {
		return nil
	}
	min, role := s.MemberMinimum(m)
	return fmt.Errorf("%s's approval does not count: role %s needs %d proofs of distinct kinds (the tminus key counts as one), %s had %d valid at %s (tminus proof add)",
		m.Handle, role, min, m.Handle, s.ProofCount(m.Handle, t), at(t))
}

// checkProof verifies a proof body as every replica does: the signature
// (proof.Check, pure), then what the roster decides: the statement names
// this workspace and the member's key want, it is valid at t, and a
// certificate is from a trusted CA with the member's handle among its
// principals.
func (s *State) checkProof(m *Member, b *ProofAdd, want common.Address, t int64) (proof.Checked, error) {
	when := time.UnixMilli(t).UTC()
	c, err := proof.Check(b.Proof(), when)
	if err != nil {
		return c, fmt.Errorf("%s proof does not verify: %w", b.ProofKind, err)
	}
	st := c.Statement
	if st.Workspace != s.WS.String() {
		return c, fmt.Errorf("statement is for workspace %s, this is %s: a proof is not valid in another workspace; sign the statement this workspace prints (tminus proof statement)", shortText(st.Workspace), s.WS.Short())
	}
	if st.Member != want {
		return c, fmt.Errorf("statement names key %s, not %s: sign a statement that names %s", st.Member.Hex(), want.Hex(), want.Hex())
	}
	if st.Kind != b.ProofKind {
		return c, fmt.Errorf("statement is for a %s proof, the event records a %s proof: record it as a %s proof, or sign a statement for %s", st.Kind, b.ProofKind, st.Kind, b.ProofKind)
	}
	if err := c.ValidAt(when); err != nil {
		return c, fmt.Errorf("%s proof not valid at the event's time %s: %w", b.ProofKind, at(t), err)
	}
	if b.ProofKind == proof.KindSSHCert {
		if _, ok := s.readIdent().CAs[c.CA]; !ok {
			return c, fmt.Errorf("certificate is signed by CA %s, which the roster does not trust (tminus member ca add)", c.CA)
		}
		if !contains(c.Principals, m.Handle) {
			return c, fmt.Errorf("certificate principals %q do not include %s: have the CA issue a certificate naming %s (ssh-keygen -s CA -n %s)", c.Principals, m.Handle, m.Handle, m.Handle)
		}
	}
	return c, nil
}

func shortText(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// boundElsewhere names the other member holding fingerprint in a proof
// that still stands, or "".
func (s *State) boundElsewhere(fingerprint, handle string) string {
	for _, p := range s.readIdent().Proofs {
		if p.Fingerprint == fingerprint && p.Member != handle && !p.Revoked {
			return p.Member
		}
	}
	return ""
}

// checkProofAdd is what a proof.add by m's key author must pass at t: the
// proof checks (checkProof) and its key proves no other member.
func (s *State) checkProofAdd(m *Member, author common.Address, b *ProofAdd, t int64) (proof.Checked, error) {
	c, err := s.checkProof(m, b, author, t)
	if err != nil {
		return c, err
	}
	if other := s.boundElsewhere(c.Fingerprint, m.Handle); other != "" {
		return c, fmt.Errorf("key %s is already bound to %s: one proof key proves one member; prove another key, or %s revokes that proof first (tminus proof revoke)", c.Fingerprint, other, other)
	}
	// The same statement twice would be two standing proofs of one key, and
	// revoking "its" proof would leave the other counting; a revoked one
	// recorded again would undo the revocation.
	for _, p := range s.MemberProofs(m.Handle) {
		if p.Kind == b.ProofKind && p.Fingerprint == c.Fingerprint &&
			p.IssuedAt == c.Statement.IssuedAt.UnixMilli() && p.Expires == c.Statement.Expires.UnixMilli() {
			if p.Revoked {
				return c, fmt.Errorf("this statement was recorded as proof %s and revoked: it cannot count again (sign a new statement)", p.ID.Short())
			}
			return c, fmt.Errorf("this statement is already recorded as proof %s: nothing to add (a renewal signs a new statement)", p.ID.Short())
		}
	}
	return c, nil
}

func (s *State) proofAdd(a actor, author common.Address, b *ProofAdd) error {
	c, err := s.checkProofAdd(a.m, author, b, a.at)
	if err != nil {
		return err
	}
	p := &Proof{ID: a.id, Member: a.m.Handle, Kind: b.ProofKind, Fingerprint: c.Fingerprint, Algorithm: c.Algorithm,
		PublicKey: b.PublicKey, IssuedAt: c.Statement.IssuedAt.UnixMilli(), Expires: c.Statement.Expires.UnixMilli(),
		CA: c.CA, Principals: c.Principals, ValidAfter: unixMilli(c.ValidAfter), ValidBefore: unixMilli(c.ValidBefore),
		KeyExpires: unixMilli(c.KeyExpires), At: a.at}
	s.ident().Proofs[a.id] = p
	return nil
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// revocable is the proof id names, when handle may revoke it.
func (s *State) revocable(handle string, id ID) (*Proof, error) {
	p, ok := s.readIdent().Proofs[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("proof %s not found (tminus proof list shows ids)", id.Short())
	case p.Member != handle:
		return nil, fmt.Errorf("proof %s is %s's: only its member revokes it (the roster removes members)", id.Short(), p.Member)
	case p.Revoked:
		return nil, fmt.Errorf("proof %s is already revoked: nothing to do (tminus proof list shows the standing ones)", id.Short())
	}
	return p, nil
}

func (s *State) proofRevoke(a actor, b *ProofRevoke) error {
	p, err := s.revocable(a.m.Handle, b.Proof)
	if err != nil {
		return err
	}
	p.Revoked, p.RevokedAt = true, a.at
	return nil
}

// endorse checks that b, a proof statement naming newKey, is signed by one
// of m's proof keys valid at t.
func (s *State) endorse(m *Member, newKey common.Address, b *ProofAdd, t int64) error {
	c, err := s.checkProof(m, b, newKey, t)
	if err != nil {
		return fmt.Errorf("endorsement: %w", err)
	}
	for _, p := range s.MemberProofs(m.Handle) {
		if p.Kind == b.ProofKind && p.Fingerprint == c.Fingerprint && s.ProofStatus(p, t) == ProofValid {
			return nil
		}
	}
	return fmt.Errorf("endorsement: %s key %s is not a valid proof key of %s at %s (tminus proof list --member %s)",
		b.ProofKind, c.Fingerprint, m.Handle, at(t), m.Handle)
}

// freshKey refuses an address the workspace has ever known.
func (s *State) freshKey(k common.Address) error {
	if h, ok := s.Keys[k]; ok {
		return fmt.Errorf("%s is already a key of %s: rotate to a new key", k.Hex(), h)
	}
	return nil
}

func (s *State) keyRotate(a actor, e *Event, b *KeyRotate) error {
	if err := s.checkKeyRotate(a.m, e.Author, b, a.at); err != nil {
		return err
	}
	s.rotate(a.m, e.Author, b.New, &KeyRotation{Seq: e.Seq, Event: a.id, At: a.at})
	return nil
}

// checkKeyRotate refuses rotating old, m's key, at t: a key already rotated
// (a second rotation at a fork's seq), a new key not fresh, an endorsement
// that is not one of m's proof keys.
func (s *State) checkKeyRotate(m *Member, old common.Address, b *KeyRotate, t int64) error {
	if r := s.RotatedKey(old); r != nil {
		return fmt.Errorf("%s was already rotated to %s (event %s): a key rotates once; rotate %s instead", old.Hex(), r.New.Hex(), r.Event.Short(), r.New.Hex())
	}
	if err := s.freshKey(b.New); err != nil {
		return err
	}
	return s.endorse(m, b.New, &b.Endorsement, t)
}

// rotate retires old for m in favour of newKey, which becomes m's first key.
func (s *State) rotate(m *Member, old, newKey common.Address, r *KeyRotation) {
	r.Member, r.New = m.Handle, newKey
	s.ident().Rotated[old] = r
	keys := []common.Address{newKey}
	for _, k := range m.Keys {
		if k != old {
			keys = append(keys, k)
		}
	}
	m.Keys = keys
	s.Keys[newKey] = m.Handle
}

// recheckRotation judges a rotation again when approvals apply it: its old
// key still current, its new key still fresh, its endorsement still valid.
func (s *State) recheckRotation(r *Rotation, t int64) error {
	m := s.Members[r.Member]
	if m == nil || !m.Active || !slices.Contains(m.Keys, r.Old) || s.RotatedKey(r.Old) != nil {
		return fmt.Errorf("%s is no longer a current key of %s: propose the rotation of a key they hold now (tminus member list --json shows their keys)", r.Old.Hex(), r.Member)
	}
	if err := s.freshKey(r.New); err != nil {
		return err
	}
	// The endorsing proof must still stand (not revoked, not lapsed).
	return s.endorse(m, r.New, &r.Endorsement, t)
}

func (s *State) memberChange(a actor, b *MemberChange) error {
	if err := s.checkChange(b, a.at); err != nil {
		return err
	}
	p := &RosterProposal{ID: a.id, Action: b.Action, By: a.m.Handle, At: a.at, Approvals: map[string]bool{}, Change: b,
		Cuts: b.Rotation.cuts()}
	if b.Rotation != nil {
		p.Member = MemberSpec{Address: b.Rotation.New, Handle: b.Rotation.Member}
	}
	if s.MeetsPolicy(a.m, a.at) { // the proposer counts once
		p.Approvals[a.m.Handle] = true
	}
	s.Roster[a.id] = p
	s.tryApply(p, a.at)
	return nil
}

// checkChange is what a change must satisfy when proposed and again when
// it applies (at t).
func (s *State) checkChange(b *MemberChange, t int64) error {
	switch b.Action {
	case ChangeCAAdd:
		fp, err := proof.Fingerprint(proof.KindSSH, []byte(b.CA))
		if err != nil {
			return fmt.Errorf("CA key: %w", err)
		}
		if _, ok := s.readIdent().CAs[fp]; ok {
			return fmt.Errorf("CA %s is already trusted: nothing to add", fp)
		}
	case ChangeCARemove:
		if _, ok := s.readIdent().CAs[b.Fingerprint]; !ok {
			return fmt.Errorf("CA %s is not trusted (tminus member list shows the trusted CAs)", b.Fingerprint)
		}
	case ChangePolicy:
		// Enough members must still be able to approve roster changes, or
		// no later change (this one's undoing included) could apply.
		old, had := s.readIdent().MinProofs[b.Role]
		id := s.ident()
		id.MinProofs[b.Role] = b.MinProofs
		able := 0
		for _, m := range s.Members {
			if m.Active && m.Votes() && s.MeetsPolicy(m, t) {
				able++
			}
		}
		if had {
			id.MinProofs[b.Role] = old
		} else {
			delete(id.MinProofs, b.Role)
		}
		if q := s.RosterQuorum(); able < q {
			return fmt.Errorf("role %s needing %d proofs would leave %d members whose approvals count, the roster quorum is %d: add proofs first",
				b.Role, b.MinProofs, able, q)
		}
	case ChangeRotate:
		r := b.Rotation
		m, ok := s.Members[r.Member]
		if !ok || !m.Active {
			return fmt.Errorf("%s is not a member", r.Member)
		}
		if !slices.Contains(m.Keys, r.Old) || s.RotatedKey(r.Old) != nil {
			return fmt.Errorf("%s is not a current key of %s: name one they hold now with --old (tminus member list --json shows their keys)", r.Old.Hex(), r.Member)
		}
		if err := s.freshKey(r.New); err != nil {
			return err
		}
		return s.endorse(m, r.New, &r.Endorsement, t)
	}
	return nil
}

// applyChange applies a member.change that reached the roster quorum.
func (s *State) applyChange(p *RosterProposal, t int64) error {
	b := p.Change
	if b == nil {
		return fmt.Errorf("unknown roster action %q", p.Action)
	}
	switch b.Action {
	case ChangeCAAdd, ChangeCARemove, ChangePolicy:
		// A CA's trust and a policy are judged again when they apply.
		if err := s.checkChange(b, t); err != nil {
			return err
		}
	case ChangeRotate:
		r := b.Rotation
		if err := s.recheckRotation(r, t); err != nil {
			return err
		}
		s.rotate(s.Members[r.Member], r.Old, r.New, &KeyRotation{Event: p.ID, At: t})
		return nil
	}
	id := s.ident()
	switch b.Action {
	case ChangeCAAdd:
		fp, _ := proof.Fingerprint(proof.KindSSH, []byte(b.CA))
		id.CAs[fp] = &TrustedCA{Fingerprint: fp, PublicKey: strings.TrimSpace(b.CA), Since: t}
	case ChangeCARemove:
		delete(id.CAs, b.Fingerprint)
	case ChangePolicy:
		if b.MinProofs == 0 {
			delete(id.MinProofs, b.Role)
		} else {
			id.MinProofs[b.Role] = b.MinProofs
		}
	}
	return nil
}
