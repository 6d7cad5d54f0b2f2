package main

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Verify's exit policy for equivocations. An integrity failure (signature,
// id, fields, chain, lamport, workspace) always fails verify. A fork is a
// true finding too, but a lasting one: both signed events stay in every
// replica for good, so failing on every fork would fail a CI job that
// verifies exports for ever, after the team dealt with it. So a fork fails
// verify only while its key still stands on the roster (folded from the
// same events): neither rotated out nor its member removed. One the roster
// dealt with is printed as FORKED and verify passes.

// forkAudit feeds a domain.Audit and notes each equivocation it meets, with
// the identity events a file's roster is folded from.
type forkAudit struct {
	*domain.Audit
	first    map[chainSeq]int // the line of the first event the audit took at (author, seq)
	forks    []seenFork
	identity []*domain.Event
	others   []signedAt      // the other events, which a cut in force voids by seq alone
	blobs    map[string]bool // the blobs the events name, for a bundle's sidecar (bundle_verify.go)
}

// signedAt is what judging an event against the cuts needs of it.
type signedAt struct {
	id     domain.ID
	kind   string
	author common.Address
	seq    uint64
}

type chainSeq struct {
	author common.Address
	seq    uint64
}

// seenFork is a second signed event at an author's seq: lines first and
// second of the file or log.
type seenFork struct {
	author        common.Address
	seq           uint64
	first, second int
}

func newForkAudit() *forkAudit {
	return &forkAudit{Audit: domain.NewAudit(), first: map[chainSeq]int{}, blobs: map[string]bool{}}
}

// Line checks one line, as Audit.Line does.
func (f *forkAudit) Line(n int, data []byte) {
	e, err := domain.ParseLine(data)
	if err != nil {
		f.Audit.Line(n, data) // records the problem
		return
	}
	f.Event(n, e)
}

// Event checks one event, as Audit.Event does.
func (f *forkAudit) Event(n int, e *domain.Event) {
	before := f.Events
	f.Audit.Event(n, e)
	if f.Events == before {
		return // refused before its chain was looked at: a bad signature or a duplicate
	}
	if h := domain.BlobOf(e.Kind, e.Body); h != "" {
		f.blobs[h] = true
	}
	if domain.IsIdentityKind(e.Kind) {
		if !e.Redacted {
			f.identity = append(f.identity, e) // both events of a fork, as the store keeps them
		}
	} else {
		f.others = append(f.others, signedAt{e.ID, e.Kind, e.Author, e.Seq})
	}
	k := chainSeq{e.Author, e.Seq}
	if m, ok := f.first[k]; ok {
		f.forks = append(f.forks, seenFork{e.Author, e.Seq, m, n})
		return
	}
	f.first[k] = n
}

// forkSeqs maps each equivocating author to the first seq they forked at,
// as the store's forks table does.
func (f *forkAudit) forkSeqs() map[common.Address]uint64 {
	out := map[common.Address]uint64{}
	for _, k := range f.forks {
		if s, ok := out[k.author]; !ok || k.seq < s {
			out[k.author] = k.seq
		}
	}
	return out
}

// roster is the state a file's forks are judged against: its identity
// events folded with its forks. A redacted identity event cannot be folded,
// so a key whose rotation or removal a file redacts still stands there.
func (f *forkAudit) roster() *domain.State {
	return domain.Fold(f.identity, f.forkSeqs())
}

// refused is what a fold of the file would refuse for a revoked key, as
// verify of a store lists it (identityRefusals): the roster's own refusals,
// then each other event its key signed past a cut in force. A cut voids by
// seq whatever the event says, so the file's roster (s) is enough to judge
// them, redacted ones too, without folding every body.
func (f *forkAudit) refused(s *domain.State) []string {
	out := identityRefusals(s)
	for _, e := range f.others {
		if c, ok := s.Cuts[e.author]; ok && e.seq > c.Seq {
			out = append(out, fmt.Sprintf("%s %s by %s: %s after seq %d by roster proposal %s: %s's later events do not count, whatever their lamport",
				e.id.Short(), e.kind, s.Handle(e.author), domain.ErrCut, c.Seq, c.By.Short(), s.Handle(e.author)))
		}
	}
	return out
}

// forkView is one equivocation as verify reports it.
type forkView struct {
	Author   string `json:"author"`
	Member   string `json:"member,omitempty"`
	Seq      uint64 `json:"seq"`
	Lines    []int  `json:"lines"`
	Standing bool   `json:"standing"` // the key still stands: verify fails
	Status   string `json:"status"`   // what the roster did about it, or must do
}

// judgeForks splits the audit's problems into integrity problems, which
// keep failing, and forks judged against the roster s: a standing key's
// fork stays a problem, saying what the roster must do; a fork the roster
// dealt with leaves the problems and is returned as a finding.
func (f *forkAudit) judgeForks(problems []domain.Problem, s *domain.State) ([]domain.Problem, []forkView) {
	views := []forkView{}
	for _, k := range f.forks {
		// The problem Audit.Event recorded for this fork; if its words ever
		// change, it is not found and the fork keeps failing verify.
		want := domain.Problem{Line: k.second, Msg: fmt.Sprintf("equivocation: %s signed seq %d twice (also line %d)", k.author.Hex(), k.seq, k.first)}
		i := slices.Index(problems, want)
		v := judgeFork(s, k)
		views = append(views, v)
		switch {
		case i < 0:
		case v.Standing:
			problems[i].Msg += "; " + v.Status
		default:
			problems = slices.Delete(problems, i, i+1)
		}
	}
	return problems, views
}

// judgeFork says whether the roster of s dealt with the fork's key.
func judgeFork(s *domain.State, k seenFork) forkView {
	v := forkView{Author: k.author.Hex(), Seq: k.seq, Lines: []int{k.first, k.second}}
	m := s.MemberByKey(k.author)
	if m != nil {
		v.Member = m.Handle
	}
	switch r := s.RotatedKey(k.author); {
	case r != nil:
		v.Status = fmt.Sprintf("dealt with: %s rotated this key out at its seq %d (event %s, %s); nothing it signs from there on counts",
			r.Member, r.Seq, r.Event.Short(), ts(r.At))
	case m == nil:
		v.Status = "dealt with: the key belongs to no member, so nothing it signs counts"
	case !m.Active:
		v.Status = fmt.Sprintf("dealt with: %s was removed from the roster, so nothing this key signs counts", m.Handle)
	default:
		v.Standing = true
		v.Status = fmt.Sprintf("%s's key still stands: the roster must rotate it (tminus member rotate %s --old %s --to NEWADDR --kind K --public-key FILE --statement FILE --signature FILE) or remove the member (tminus member remove %s)",
			m.Handle, m.Handle, k.author.Hex(), m.Handle)
	}
	return v
}

// String is the FORKED line of verify's text report.
func (v forkView) String() string {
	who := v.Author
	if v.Member != "" {
		who = v.Member + " key " + v.Author
	}
	return fmt.Sprintf("line %d: equivocation: %s signed seq %d twice (also line %d); %s", v.Lines[1], who, v.Seq, v.Lines[0], v.Status)
}
