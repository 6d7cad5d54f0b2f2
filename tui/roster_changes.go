package tui

import (
	"bytes"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// The roster tab's second half: what the roster is about to become and which keys it
// has revoked. A removal or rotation carries cuts (domain/cuts.go): once it applies,
// what the key signs past its seq does not count, wherever it sorts. A responder
// approving a removal must see what it will cut, and one reading the timeline must
// see that a key's later events are gone, and why.

// rosterChange is a pending roster proposal with the approvals that count towards it.
type rosterChange struct {
	p         *domain.RosterProposal
	approvals int // by current members: a removed member's approval no longer counts
}

// revokedKey is a cut in force: the key's events after cut.Seq do not count.
type revokedKey struct {
	key    common.Address
	handle string
	cut    domain.Cut
}

// rosterChanges are the pending proposals, oldest first, and the cuts in force, by
// member then key, so the lines stay put across folds.
func rosterChanges(st *domain.State) ([]rosterChange, []revokedKey) {
	var pending []rosterChange
	for _, p := range st.Roster {
		if !p.Applied && p.Void == "" {
			pending = append(pending, rosterChange{p: p, approvals: st.CountingApprovals(p)})
		}
	}
	sort.Slice(pending, func(i, j int) bool {
		a, b := pending[i].p, pending[j].p
		return a.At < b.At || (a.At == b.At && bytes.Compare(a.ID[:], b.ID[:]) < 0)
	})
	revoked := make([]revokedKey, 0, len(st.Cuts))
	for k, c := range st.Cuts {
		revoked = append(revoked, revokedKey{key: k, handle: st.Handle(k), cut: c})
	}
	sort.Slice(revoked, func(i, j int) bool {
		a, b := revoked[i], revoked[j]
		return a.handle < b.handle || (a.handle == b.handle && bytes.Compare(a.key[:], b.key[:]) < 0)
	})
	return pending, revoked
}

// pendingFor says what a pending proposal would do to a member: a removal, or a
// rotation of one of their keys; "" when none.
func pendingFor(pending []rosterChange, handle string) string {
	for _, c := range pending {
		switch {
		case c.p.Action == domain.ActionRemove && c.p.Member.Handle == handle:
			return "REMOVAL PENDING"
		case c.p.Change != nil && c.p.Change.Rotation != nil && c.p.Change.Rotation.Member == handle:
			return "ROTATION PENDING"
		}
	}
	return ""
}

// shortKey is a key as the CLI shortens it (State.Handle's fallback), the ellipsis saying so.
func shortKey(k common.Address) string { return k.Hex()[:10] + "…" }

// describeChange says what a pending proposal does, in a few words; the cuts follow on
// their own lines.
func describeChange(p *domain.RosterProposal) string {
	switch {
	case p.Change != nil && p.Change.Rotation != nil:
		r := p.Change.Rotation
		return "rotate " + clean(r.Member) + "'s key " + shortKey(r.Old) + " to " + shortKey(r.New)
	case p.Change != nil:
		return clean(p.Change.Describe())
	case p.Action == domain.ActionAdd:
		d := "add " + clean(p.Member.Handle)
		if len(p.Member.Roles) > 0 {
			d += " (" + clean(strings.Join(p.Member.Roles, ",")) + ")"
		}
		return d
	}
	return clean(p.Action + " " + p.Member.Handle)
}

// changeLines are the pending proposals and the revoked keys, wrapped to the pane and
// styled: a cut in force is news (err), a pending change a warning. Each item leads with
// a fixed column (the proposal's id, the revoked key's member and key) and wraps its
// words under the rest, so ids and keys line up down the section. Empty when there
// are none.
func (p *rosterPane) changeLines() []string {
	out, _ := p.changeLinesAt()
	return out
}

// changeLinesAt is changeLines and the index of the selected change's first line; -1
// while a member is selected. The selected change is marked as a selected row is.
func (p *rosterPane) changeLinesAt() ([]string, int) {
	st, w := p.Live.State, p.Width
	var out []string
	at := -1
	// item: lead, then s wrapped in at most n lines beside it, continued under s.
	item := func(ink paint, lead, s string, n int) {
		lw := width(lead)
		if w-lw < 24 { // too narrow for a column: the lead wraps with the words
			s, lead, lw = lead+" "+s, " ", 1
		}
		for i, l := range wordWrap(s, w-lw, n) {
			if i > 0 {
				lead = spaces(lw)
			}
			out = append(out, padLine(ink.on(lead+l), w))
		}
	}
	if len(p.pending) > 0 {
		item(p.ink.muted, " ", "PENDING ROSTER CHANGES · quorum "+itoa(p.quorum)+" · "+p.approveHint(), 2)
		for i, c := range p.pending {
			ink := p.ink.warn
			if i == p.change {
				at = len(out)
				if p.Focused {
					ink = p.ink.selected
				}
			}
			item(ink, marker(i == p.change)+c.p.ID.Short()+"  ", describeChange(c.p)+" · by "+clean(c.p.By)+" "+
				clock(c.p.At, p.Live.Now, p.Live.Loc, false)+" · "+itoa(c.approvals)+"/"+itoa(p.quorum)+" approvals", 2)
			for _, k := range c.p.Cuts {
				what := " after seq " + itoa(int(k.Seq)) + ": later events will not count"
				if k.Seq == 0 { // the proposer held none of the key's events
					what = ": none of its events will count"
				}
				item(p.ink.warn, "   ", "will cut "+clean(st.Handle(k.Key))+"'s key "+shortKey(k.Key)+what, 2)
			}
		}
	}
	if len(p.revoked) > 0 {
		item(p.ink.muted, " ", "REVOKED KEYS · their events past the seq do not count", 2)
		hw := 0
		for _, r := range p.revoked {
			hw = max(hw, min(width(clean(r.handle)), 16))
		}
		for _, r := range p.revoked {
			how := "revoked"
			if by := st.Roster[r.cut.By]; by != nil {
				switch {
				case by.Action == domain.ActionRemove:
					how = "removed"
				case by.Change != nil && by.Change.Rotation != nil:
					how = "rotated out"
				}
				if by.Applied {
					how += " " + clock(by.AppliedAt, p.Live.Now, p.Live.Loc, false)
				}
			}
			counts := "counts up to seq " + itoa(int(r.cut.Seq))
			if r.cut.Seq == 0 {
				counts = "counts none of its events"
			}
			item(p.ink.err, " "+fit(clean(r.handle), hw)+"  "+shortKey(r.key)+"  ",
				counts+" · "+how+" by proposal "+r.cut.By.Short(), 2)
		}
	}
	return out, at
}
