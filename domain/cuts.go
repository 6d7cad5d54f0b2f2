package domain

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// A revocation (a member's removal, the roster replacing a lost key) takes
// effect where it lands in fold order, which is by lamport. An author picks
// its own deps, so a removed member who stays offline, or a thief with a
// lost key, can sign events whose lamport sorts before the revocation: by
// order alone they would count on every replica. A cut closes that: the
// proposal names each key's last seq its proposer held, and once it
// applies, nothing that key signed after that seq counts, wherever it
// sorts. Seq orders one key's events alike on every replica, as it does for
// forks.

// ErrCut marks an event signed by a key after the seq its revocation cut.
var ErrCut = errors.New("key revoked")

// MaxCuts bounds the keys one proposal cuts: one per device of a member.
const MaxCuts = 32

// KeyCut is a key's last counting seq, as a revocation names it.
type KeyCut struct {
	Key common.Address `json:"key"`
	Seq uint64         `json:"seq"`
}

// Cut is a cut in force: the key's events past Seq do not count. By is
// the roster proposal that made it.
type Cut struct {
	Seq uint64 `json:"seq"`
	By  ID     `json:"by"`
}

func validCuts(cuts []KeyCut) error {
	if len(cuts) > MaxCuts {
		return fmt.Errorf("cuts: %d keys, at most %d", len(cuts), MaxCuts)
	}
	seen := map[common.Address]bool{}
	for _, c := range cuts {
		if c.Key == (common.Address{}) {
			return fmt.Errorf("cuts: a cut needs a key address")
		}
		if seen[c.Key] {
			return fmt.Errorf("cuts: key %s cut twice", c.Key.Hex())
		}
		seen[c.Key] = true
	}
	return nil
}

// checkCuts refuses cuts naming a key that is not m's: a removal of one
// member must never silence another.
func (s *State) checkCuts(m *Member, cuts []KeyCut) error {
	for _, c := range cuts {
		if !slices.Contains(m.Keys, c.Key) {
			return fmt.Errorf("cut names %s, which is not a key of %s", c.Key.Hex(), m.Handle)
		}
	}
	return nil
}

// uncut refuses adding a key back after its removal cut it: its next
// events would sit past the cut and never count. Cuts are in force from
// the start of a fold; the key is refused once its revocation applied.
func (s *State) uncut(k common.Address) error {
	if c, ok := s.Revoked(k); ok {
		return fmt.Errorf("%s's key %s was cut at seq %d by roster proposal %s: its events would not count; add the member back with a new key (a fresh tminus join)",
			s.Handle(k), k.Hex(), c.Seq, c.By.Short())
	}
	return nil
}

// Revoked is the cut in force on key k: its member was removed (or
// rotated) and what k signs past the cut never counts. A member added back
// with a new key is active again, but k stays revoked (a thief's copy).
func (s *State) Revoked(k common.Address) (Cut, bool) {
	c, ok := s.Cuts[k]
	if !ok || s.Roster[c.By] == nil || !s.Roster[c.By].Applied {
		return Cut{}, false
	}
	return c, true
}

// cutOut refuses an event its key signed past a cut in force.
func (s *State) cutOut(e *Event) error {
	c, ok := s.Cuts[e.Author]
	if !ok || e.Seq <= c.Seq {
		return nil
	}
	if e.Kind == KindMemberApprove {
		// A key's approval of a revocation that cuts it can only help that
		// revocation apply: were it cut, a thief could keep its own
		// revocation from applying under its cut by approving it.
		if b, err := decodeBody(e.Kind, e.Body); err == nil {
			if p := s.Roster[b.(*MemberApprove).Proposal]; p != nil && slices.ContainsFunc(p.Cuts, func(k KeyCut) bool { return k.Key == e.Author }) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w after seq %d by roster proposal %s: %s's later events do not count, whatever their lamport",
		ErrCut, c.Seq, c.By.Short(), s.Handle(e.Author))
}

// DecideCuts says which cuts are in force for a set of identity events
// (IdentityKinds; others are ignored) and the store's forks. Fold calls it
// first, so that a cut voids events that sort before the revocation too.
//
// Which revocations apply can itself depend on a cut key's events: a
// thief's backdated approval may be what carried another member's removal,
// and that removal's cut would in turn void the honest approvals that
// removed the thief. So the revocations that apply in a fold with no cut in
// force are taken latest first, each kept only if, with the cuts kept so
// far and its own in force, it still applies and so does every one kept.
// A later revocation wins over what a revoked key's earlier events
// achieved: those are what a backdating key signs. Then the revocations
// that apply only with the kept cuts in force (one the thief's vote had
// pre-empted) are tried the same way, until a pass finds none untried.
// Each proposal is tried once: it costs one fold of the identity events per
// revocation, and every replica draws the same cuts from the same events.
// Where honest members relied on two thieves' votes for each other's
// removal, no set of cuts is consistent, and such a revocation applies
// without its cut.
func DecideCuts(events []*Event, forks map[common.Address]uint64) map[common.Address]Cut {
	var ident []*Event
	for _, e := range events {
		if IsIdentityKind(e.Kind) {
			ident = append(ident, e)
		}
	}
	sortEvents(ident)
	tried := map[ID]bool{}
	var kept []*RosterProposal
	for s := foldSorted(ident, forks, nil); ; s = foldSorted(ident, forks, cutsOf(kept)) {
		var candidates []*RosterProposal
		for _, p := range cutProposals(s) {
			if !tried[p.ID] {
				candidates = append(candidates, p)
			}
		}
		if len(candidates) == 0 {
			break
		}
		sort.Slice(candidates, func(i, j int) bool { return candidates[i].appliedN > candidates[j].appliedN })
		for _, p := range candidates {
			tried[p.ID] = true
			try := append(slices.Clip(kept), p)
			if allApplied(foldSorted(ident, forks, cutsOf(try)), try) {
				kept = try
			}
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return cutsOf(kept)
}

func allApplied(s *State, ps []*RosterProposal) bool {
	for _, p := range ps {
		if q := s.Roster[p.ID]; q == nil || !q.Applied {
			return false
		}
	}
	return true
}

// cutProposals are the applied roster proposals that carry cuts.
func cutProposals(s *State) []*RosterProposal {
	var out []*RosterProposal
	for _, p := range s.Roster {
		if p.Applied && len(p.Cuts) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// cutsOf merges proposals' cuts: where two cut one key, the lower seq
// (then the lower proposal id, so the order of ps does not matter).
func cutsOf(ps []*RosterProposal) map[common.Address]Cut {
	out := map[common.Address]Cut{}
	for _, p := range ps {
		for _, c := range p.Cuts {
			if have, ok := out[c.Key]; !ok || c.Seq < have.Seq || (c.Seq == have.Seq && bytes.Compare(p.ID[:], have.By[:]) < 0) {
				out[c.Key] = Cut{Seq: c.Seq, By: p.ID}
			}
		}
	}
	return out
}

// IsIdentityKind says whether events of kind decide who may write.
func IsIdentityKind(kind string) bool { return slices.Contains(IdentityKinds, kind) }
