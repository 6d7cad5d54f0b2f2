package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Approving a pending roster change from the roster tab: removing a compromised member
// must not wait for a responder to leave the cockpit for `tminus member approve ID`.
// The cursor goes on from the last member to the pending changes; A on one asks the
// state whether the approval would count and, when it would, opens a confirmation that
// says exactly what is approved (the action, the member, their roles or new key, the
// keys it cuts and after which seq, the approvals against the quorum), as runbook
// approvals do. What the state refuses is shown in words in the same box, and nothing
// is signed.

// rosterApproveRequest asks the root to confirm approving roster proposal id.
type rosterApproveRequest struct{ id domain.ID }

// Heads is what a Backend may also answer: the newest seq this home holds of each key
// (0 for a key it holds nothing of). `tminus member approve` warns when a proposal's cut
// leaves some of them uncounted (an honest event the proposer had not heard of goes
// with a thief's), and the confirmation does too; a backend without it gives no warning.
// It is called on the Update goroutine, as Timeline is.
type Heads interface {
	KeyHeads(ctx context.Context, keys []common.Address) (map[common.Address]uint64, error)
}

// approveKey is the roster's copy of Keys.Approve, on only while a pending change is
// selected. The KeyMap's own binding is the runbooks pane's: every pane rebuilds on each
// state change and tick, so the roster switching it would undo the runbooks pane's
// choice behind its back. The copy keeps the team's key, and is off for good in a
// read-only view as the original is (KeyMap.gone knows it by its keys).
func (p *rosterPane) approveKey() key.Binding {
	b := p.Keys.Approve
	b.SetHelp(b.Help().Key, "approve change")
	b.SetEnabled(p.change >= 0 && !p.Keys.readOnly)
	return b
}

// approveHint is how the pending changes' caption says to approve one.
func (p *rosterPane) approveHint() string {
	b := p.approveKey()
	if p.Keys.gone(b) {
		return "tminus member approve ID"
	}
	return "select one, " + b.Help().Key + " approves"
}

// approve asks the root to confirm approving the selected change, or says why the key
// does nothing on a member's row.
func (p *rosterPane) approve(msg tea.KeyMsg) tea.Cmd {
	b := p.approveKey()
	switch {
	case key.Matches(msg, b) && p.change >= 0:
		return send(rosterApproveRequest{id: p.pending[p.change].p.ID})
	case b.Enabled() || p.Keys.gone(b) || !slices.Contains(b.Keys(), msg.String()):
		return nil
	case len(p.pending) == 0:
		return send(statusRequest{failed(errors.New(msg.String() + " approves a pending roster change: there is none"))})
	}
	return send(statusRequest{failed(errors.New(msg.String() +
		" approves a pending roster change: select one under PENDING ROSTER CHANGES (↓ past the last member)"))})
}

// move handles the list keys: the cursor goes from the last member on to the pending
// changes and back. It reports whether msg was one.
func (p *rosterPane) move(msg tea.KeyMsg) bool {
	k, n := p.Keys, len(p.pending)
	if p.change < 0 {
		last := p.cur.pos >= len(p.rows)-1
		switch {
		case n > 0 && len(p.rows) > 0 && key.Matches(msg, k.Bottom):
			p.change = n - 1
		case n > 0 && len(p.rows) > 0 && last && (key.Matches(msg, k.Down) || key.Matches(msg, k.PageDown)):
			p.change = 0
		default:
			return p.cur.move(k, msg)
		}
		return true
	}
	switch {
	case p.change == 0 && (key.Matches(msg, k.Up) || key.Matches(msg, k.PageUp)):
		p.change = -1
		p.cur.set(len(p.rows) - 1)
	case key.Matches(msg, k.Up):
		p.change--
	case key.Matches(msg, k.PageUp):
		p.change = 0
	case key.Matches(msg, k.Down):
		p.change = min(p.change+1, n-1)
	case key.Matches(msg, k.PageDown), key.Matches(msg, k.Bottom):
		p.change = n - 1
	case key.Matches(msg, k.Top):
		p.change = -1
		p.cur.set(0)
	default:
		return false
	}
	return true
}

// followChange keeps the selected change selected across a rebuild; when it applied
// (or went void) since, the change in its place is selected, or the last member when
// none is left.
func (p *rosterPane) followChange() {
	if p.change < 0 {
		return
	}
	if len(p.rows) == 0 {
		p.change = -1
		return
	}
	for i, c := range p.pending {
		if c.p.ID == p.selChange {
			p.change = i
			return
		}
	}
	p.change = min(p.change, len(p.pending)-1)
	if p.change < 0 {
		p.cur.set(len(p.rows) - 1)
	}
}

// selectedDetails are the lines under the list for the selection: a member's proofs, or
// a pending change's approvals.
func (p *rosterPane) selectedDetails() []string {
	switch {
	case p.change >= 0:
		return p.changeDetails(p.pending[p.change])
	case p.cur.pos < len(p.rows):
		return p.details(p.rows[p.cur.pos])
	}
	return nil
}

// changeDetails: what the change does and who proposed it, who approved it against the
// quorum, and how to approve it.
func (p *rosterPane) changeDetails(c rosterChange) []string {
	w := p.Width
	var out []string
	add := func(s string, n int) {
		for i, l := range wordWrap(s, w-1-len(hang), n) {
			out = append(out, " "+hangIf(i)+l)
		}
	}
	add(c.p.ID.Short()+" · "+describeChange(c.p)+" · proposed by "+clean(c.p.By)+" "+
		clock(c.p.At, p.Live.Now, p.Live.Loc, false), 2)
	add(approvalsLine(p.Live.State, c.p, p.quorum), 2)
	if b := p.approveKey(); b.Enabled() {
		add(b.Help().Key+" approves it, after a confirmation", 1)
	} else {
		add("tminus member approve "+c.p.ID.Short()+" approves it", 1)
	}
	return out
}

// approvalsLine: "approvals 1/2: bob · 1 more needed".
func approvalsLine(st *domain.State, p *domain.RosterProposal, quorum int) string {
	var by []string
	for h := range p.Approvals {
		if m := st.Members[h]; m != nil && m.Active {
			by = append(by, clean(h))
		}
	}
	sort.Strings(by)
	s := "approvals " + itoa(len(by)) + "/" + itoa(quorum)
	if len(by) == 0 {
		s += ": none that count yet"
	} else {
		s += ": " + strings.Join(by, ", ")
	}
	if n := quorum - len(by); n > 0 {
		s += " · " + itoa(n) + " more needed"
	}
	return s
}

// The roster's one key, A, is listed while there is a pending change to approve: dim
// on a member's row, lit on a change. With none, the tab has nothing to act on and its
// help says nothing, as before approving here existed.
func (p *rosterPane) ShortHelp() []key.Binding {
	if len(p.pending) == 0 {
		return nil
	}
	return []key.Binding{p.approveKey()}
}

func (p *rosterPane) FullHelp() [][]key.Binding {
	if len(p.pending) == 0 {
		return nil
	}
	return [][]key.Binding{{p.approveKey()}}
}

// askRosterApprove opens the confirmation for approving roster proposal id: what the
// approval signs for, and, when the state would not count it, why, with nothing to
// confirm.
func (m *Model) askRosterApprove(id domain.ID) {
	l := m.ctx.Live
	p := l.State.Roster[id]
	if p == nil {
		m.status = failed(fmt.Errorf("roster proposal %s not found (tminus member list shows the pending ones)", id.Short()))
		return
	}
	body := &domain.MemberApprove{Proposal: id}
	refusal := m.rosterRefusal(p, body)
	dw, dh := dialogSize(m.lay.w, m.lay.bodyH)
	d := &dialog{opened: time.Now(), can: refusal == nil, action: "approve",
		title:   "Approve roster change " + id.Short() + "? You sign what this command signs:",
		command: "tminus member approve " + id.String(),
	}
	var rows []dialogRow
	text := func(s string, ink bool) {
		for _, line := range wordWrap(s, dw, 3) {
			rows = append(rows, dialogRow{text: line, warn: ink})
		}
	}
	text(m.rosterWhat(p)+" · proposed by "+clean(p.By)+" "+clock(p.At, l.Now, l.Loc, false), false)
	for _, c := range p.Cuts {
		w := "after seq " + itoa(int(c.Seq)) + ": what it signs later will not count"
		if c.Seq == 0 {
			w = "at seq 0: none of its events will count"
		}
		text("cuts "+clean(l.State.Handle(c.Key))+"'s key "+c.Key.Hex()+" "+w, false)
	}
	for _, s := range m.pastCuts(p) {
		text("! "+s, true)
	}
	// The tally and the refusal are what decide: when the box is short, the facts
	// above give way to them (fitRows).
	head := len(rows)
	q := l.State.RosterQuorum()
	n := l.State.CountingApprovals(p)
	tally := approvalsLine(l.State, p, q)
	if refusal == nil {
		if n+1 >= q {
			tally += " · yours makes " + itoa(n+1) + "/" + itoa(q) + ": it applies at once"
		} else {
			tally += " · yours makes " + itoa(n+1) + "/" + itoa(q)
		}
	}
	text(tally, false)
	if refusal != nil {
		for i, line := range wordWrap(refusal.Error(), dw-3, 4) {
			if i == 0 {
				rows = append(rows, dialogRow{mark: "ok", text: line, bad: true})
			} else {
				rows = append(rows, dialogRow{text: "   " + line})
			}
		}
		d.refusal = "nothing to sign: the state would not count this approval"
	}
	d.rows = fitRows(d, rows, len(rows)-head, dw, dh)
	d.yes = func(m *Model) tea.Cmd {
		return m.do(paneRoster, body, "approved roster change "+id.Short(), func(m *Model, _ domain.ID) {
			m.status = approvedStatus(m.ctx.Live.State, id)
		})
	}
	m.dialog = d
}

// fitRows drops facts from the middle when the box would not hold them with the
// command, which the dialog must show whole before y counts: the change's first line
// and the last tail rows (the tally and the refusal) stay.
func fitRows(d *dialog, rows []dialogRow, tail, w, h int) []dialogRow {
	cmd := len(wrapAll("$ "+clean(d.command), w))
	room := h - len(wordWrap(clean(d.title), w, 2)) - 2 - 3 - cmd
	if len(rows) <= room {
		return rows
	}
	keep := max(room-1-tail, 1)
	more := dialogRow{text: "… more: the roster tab lists every cut", warn: true}
	return append(append(rows[:keep:keep], more), rows[len(rows)-tail:]...)
}

// rosterRefusal is why the fold would not count this device's approval of p, in words,
// or nil: the check `tminus member approve` makes before signing (a stranger, a removed
// member, an observer, a rotated-out key, proofs below the role's minimum, a change
// applied, void or approved already).
func (m *Model) rosterRefusal(p *domain.RosterProposal, body *domain.MemberApprove) error {
	l := m.ctx.Live
	if l.State.MayWrite(m.b.Key()) == nil && p.By == l.Me && p.Approvals[l.Me] && !p.Applied && p.Void == "" {
		// Already approved, in the words the proposer needs: their own is counted.
		return fmt.Errorf("%s proposed this change, and the proposal counts as their approval: it needs %d more from other members (quorum %d)",
			l.Me, max(l.State.RosterQuorum()-l.State.CountingApprovals(p), 0), l.State.RosterQuorum())
	}
	return m.precheck(body)
}

// rosterWhat says what the change does, whole: the member, their roles, every key.
func (m *Model) rosterWhat(p *domain.RosterProposal) string {
	st := m.ctx.Live.State
	keys := func(ks []common.Address) string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k.Hex()
		}
		return strings.Join(out, ", ")
	}
	roles := func(rs []string) string {
		if len(rs) == 0 {
			return "no roles"
		}
		return "roles " + clean(strings.Join(rs, ", "))
	}
	h := clean(p.Member.Handle)
	switch {
	case p.Change != nil && p.Change.Rotation != nil:
		r := p.Change.Rotation
		return "rotate " + clean(r.Member) + "'s key " + r.Old.Hex() + " to the new key " + r.New.Hex()
	case p.Change != nil:
		return clean(p.Change.Describe())
	case p.Action == domain.ActionRemove:
		s := "remove " + h + " from the roster"
		if mb := st.Members[p.Member.Handle]; mb != nil {
			s += " · " + roles(mb.Roles)
			if len(p.Cuts) == 0 { // else the cuts name every key
				s += " · keys " + keys(mb.Keys)
			}
		}
		return s
	case p.Action == domain.ActionAdd:
		if mb := st.Members[p.Member.Handle]; mb != nil && mb.Active {
			return "add the key " + p.Member.Address.Hex() + " to " + h + " (another device of theirs; " + roles(mb.Roles) + " stay)"
		}
		return "add " + h + " · " + roles(p.Member.Roles) + " · key " + p.Member.Address.Hex()
	}
	return clean(p.Action + " " + p.Member.Handle)
}

// pastCuts are the warnings `tminus member approve` prints: this home holds a cut key's
// events past the cut, which will not count once the change applies.
func (m *Model) pastCuts(p *domain.RosterProposal) []string {
	hb, ok := m.b.(Heads)
	if !ok || len(p.Cuts) == 0 {
		return nil
	}
	ks := make([]common.Address, len(p.Cuts))
	for i, c := range p.Cuts {
		ks[i] = c.Key
	}
	held, err := hb.KeyHeads(m.bg, ks)
	if err != nil {
		return []string{"could not read which of the cut keys' events this home holds: " + err.Error()}
	}
	var out []string
	for _, c := range p.Cuts {
		if n := held[c.Key]; n > c.Seq {
			out = append(out, "this home holds "+clean(m.ctx.Live.State.Handle(c.Key))+"'s events up to seq "+itoa(int(n))+
				": the "+itoa(int(n-c.Seq))+" past the cut will not count, honest ones the proposer had not heard of too")
		}
	}
	return out
}

// approvedStatus is the status line after the approval folded: applied, or how far.
func approvedStatus(st *domain.State, id domain.ID) status {
	p := st.Roster[id]
	switch {
	case p == nil:
		return okStatus("approved roster change " + id.Short())
	case p.Applied:
		return okStatus("approved roster change " + id.Short() + ": it applied (" + describeChange(p) + ")")
	case p.Void != "":
		return failed(errors.New("approved roster change " + id.Short() + ", but it is void: " + clean(p.Void)))
	}
	q := st.RosterQuorum()
	return okStatus("approved roster change " + id.Short() + ": " + itoa(st.CountingApprovals(p)) + "/" + itoa(q) + " approvals")
}
