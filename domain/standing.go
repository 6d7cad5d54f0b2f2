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
		return fmt.Errorf("%w: %s was removed from this workspace; nothing this key signs counts (a member re-adds it with tminus member add)",
			ErrCannotWrite, m.Handle)
	case !m.CanWrite():
		return fmt.Errorf("%w: %s is an observer: observers cannot change anything", ErrCannotWrite, m.Handle)
	}
	return nil
}
