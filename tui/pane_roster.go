package tui

import (
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// expiringWithin is how early the roster warns of a proof running out: two weeks leave
// time to make a new one before an approval stops counting ("review identity proofs
// every six months").
const expiringWithin = 14 * 24 * time.Hour

// rosterPane lists the active members with their roles and identity proofs, and warns,
// in words, of a member below their roles' minimum of proofs (their approvals do not
// count) and of a proof that expires within two weeks. Under the list, the selected
// member's proofs one by one.
//
// The cursor goes on from the last member to the pending roster changes under the list
// (roster_approve.go): A approves the selected one, after a confirmation.
type rosterPane struct {
	Common
	rows    []rosterRow
	cur     cursor
	sel     string         // the selected handle, kept across rebuilds
	pending []rosterChange // roster proposals not applied yet (roster_changes.go)
	revoked []revokedKey   // the cuts in force
	quorum  int
	// change is the selected pending change, an index into pending; -1 while a member
	// is selected. selChange keeps it across rebuilds that reorder or drop changes.
	change    int
	selChange domain.ID
}

// rosterRow is one member as of the one clock; built in Update, drawn in View.
type rosterRow struct {
	m        *domain.Member
	count    int    // valid proofs of distinct kinds, the tminus key included
	min      int    // the highest minimum among the member's roles; 0 or 1: none
	minRole  string // the role that sets min
	below    bool
	kinds    []string        // kinds with a valid proof
	expiring []string        // kinds whose valid proof ends within expiringWithin, soonest first
	soonest  int64           // the end of the first of them (unix ms)
	proofs   []*domain.Proof // all of them, for the details
	forkedAt uint64          // a current key signed two events at this seq; 0: none
	pending  string          // a pending removal or rotation of theirs, in capitals; "": none
}

func newRosterPane(c *Context) *rosterPane {
	return &rosterPane{Common: Common{Context: c}, change: -1}
}

func (p *rosterPane) SetSize(w, h int) { p.Common.SetSize(w, h); p.fitCursor() }

func (p *rosterPane) Title() string {
	below, expiring := p.warnings()
	s := ""
	if f := forkedMembers(p.Live.State); len(f) > 0 {
		s += " · " + itoa(len(f)) + " FORKED"
	}
	if len(p.pending) > 0 {
		s += " · " + itoa(len(p.pending)) + " PENDING"
	}
	if below > 0 {
		s += " · " + itoa(below) + " BELOW MIN"
	}
	if expiring > 0 {
		s += " · " + itoa(expiring) + " EXPIRING"
	}
	// The grid frames the title with the pane's number and a border (view.go framed):
	// where the warnings would be cut, the count gives up its word, as the Runbooks
	// title's does.
	n := "Roster · " + itoa(len(p.rows))
	if width(n+" members"+s)+6 <= p.Width {
		n += " members"
	}
	return n + s
}

func (p *rosterPane) warnings() (below, expiring int) {
	for _, r := range p.rows {
		if r.below {
			below++
		}
		if len(r.expiring) > 0 {
			expiring++
		}
	}
	return below, expiring
}

func (p *rosterPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg, clockMsg:
		// Validity is a matter of time as much as of events: a proof lapses on the clock.
		p.rebuild()
	case tea.KeyMsg:
		if p.move(msg) {
			p.remember()
			p.fitCursor()
			return p, nil
		}
		return p, p.approve(msg)
	}
	return p, nil
}

// rebuild computes every row from the state at the one clock. A roster is a handful of
// people, so this is cheap enough to redo on each tick.
func (p *rosterPane) rebuild() {
	st, now := p.Live.State, p.Live.nowMS()
	p.rows, p.pending, p.revoked = p.rows[:0], nil, nil
	if st == nil {
		p.cur.setLen(0)
		p.change = -1
		return
	}
	p.pending, p.revoked = rosterChanges(st)
	p.quorum = st.RosterQuorum()
	for _, m := range st.Members {
		if m.Active {
			r := rosterRowOf(st, m, now)
			r.pending = pendingFor(p.pending, m.Handle)
			p.rows = append(p.rows, r)
		}
	}
	sort.Slice(p.rows, func(i, j int) bool { return p.rows[i].m.Handle < p.rows[j].m.Handle })
	p.cur.follow(len(p.rows), func(i int) bool { return p.rows[i].m.Handle == p.sel })
	p.followChange()
	p.remember()
	p.fitCursor()
}

func rosterRowOf(st *domain.State, m *domain.Member, now int64) rosterRow {
	r := rosterRow{m: m, proofs: st.MemberProofs(m.Handle), count: st.ProofCount(m.Handle, now)}
	r.min, r.minRole = st.MemberMinimum(m)
	r.forkedAt = forkedAt(st, m)
	r.below = !st.MeetsPolicy(m, now)
	ends := map[string]int64{} // per kind, the latest end of a valid proof: one lasting proof is enough
	for _, pr := range r.proofs {
		if st.ProofStatus(pr, now) != domain.ProofValid {
			continue
		}
		until := pr.ValidUntil()
		if e, seen := ends[pr.Kind]; !seen || (e != 0 && (until == 0 || until > e)) {
			ends[pr.Kind] = until
		}
	}
	for kind, until := range ends {
		r.kinds = append(r.kinds, kind)
		if until != 0 && until-now <= expiringWithin.Milliseconds() {
			r.expiring = append(r.expiring, kind)
		}
	}
	sort.Strings(r.kinds)
	sort.Slice(r.expiring, func(i, j int) bool { return ends[r.expiring[i]] < ends[r.expiring[j]] })
	if len(r.expiring) > 0 {
		r.soonest = ends[r.expiring[0]]
	}
	return r
}

func (p *rosterPane) remember() {
	switch {
	case p.change >= 0:
		p.selChange = p.pending[p.change].p.ID
	case p.cur.pos < len(p.rows):
		p.sel = p.rows[p.cur.pos].m.Handle
	}
}

// fitCursor gives the list the lines the pending changes, the revoked keys and the
// selected member's details leave, and never less than half the pane: the list is
// what a responder scans.
func (p *rosterPane) fitCursor() {
	h := p.Height - 1 // the column header
	below := 0
	if c := len(p.changeLines()); c > 0 {
		below += 1 + c // a blank line, then them
	}
	if d := p.selectedDetails(); len(d) > 0 {
		below += 1 + len(d)
	}
	if rest := h - below; below > 0 && rest < len(p.rows) {
		h = max(rest, h/2)
	}
	p.cur.setHeight(h)
}

// rosterCols are the list's column widths, from what the rows hold: the warning is
// what a responder looks for, so roles give way to it.
type rosterCols struct{ handle, roles, count, kinds, warn int }

func (p *rosterPane) cols() rosterCols {
	c := rosterCols{handle: 6, count: 6, kinds: 5} // the header's words
	roles, warn := 5, 0
	for _, r := range p.rows {
		c.handle = max(c.handle, width(clean(r.m.Handle)))
		c.kinds = max(c.kinds, width(r.kindList()))
		roles = max(roles, width(clean(strings.Join(r.m.Roles, ","))))
		warn = max(warn, width(p.warning(r)))
	}
	c.handle, c.kinds = min(c.handle, 16), min(c.kinds, 22)
	// What the marker, member, proofs, kinds and four spaces leave: roles, a space, the warning.
	avail := p.Width - 1 - c.handle - 1 - c.count - 1 - c.kinds - 1 - 1
	c.roles = clamp(avail-1-warn, min(roles, avail/3), roles)
	c.warn = avail - 1 - c.roles
	return c
}

func (r rosterRow) kindList() string {
	if len(r.kinds) == 0 {
		return "-"
	}
	return strings.Join(r.kinds, ",")
}

// noMin stands for the minimum of a member none of whose roles sets one: "1/–" reads
// as one proof of no minimum, where a bare "1" beside "2/2" reads as a column misaligned.
const noMin = "–"

// proofCount is the proofs column: valid proofs over the roles' minimum, "1/–" when no
// role sets one (a minimum of 1 is met by the tminus key alone).
func (r rosterRow) proofCount() string {
	if r.min > 1 {
		return itoa(r.count) + "/" + itoa(r.min)
	}
	return itoa(r.count) + "/" + noMin
}

// row: ▸bob    containment,triage 2/2   ssh,openpgp EXPIRES in 9d: ssh
func (p *rosterPane) row(r rosterRow, c rosterCols, sel bool) string {
	count := r.proofCount()
	warn := p.warning(r)
	handle, roles := clean(r.m.Handle), clean(strings.Join(r.m.Roles, ","))
	if sel && p.Focused {
		return p.ink.selected.on(fit("▸"+fit(handle, c.handle)+" "+fit(roles, c.roles)+" "+
			fit(count, c.count)+" "+fit(r.kindList(), c.kinds)+" "+fit(warn, c.warn), p.Width))
	}
	ws := p.ink.warn
	if r.below || r.forkedAt > 0 {
		ws = p.ink.err
	}
	// padLine: at the narrowest widths the columns' floors may pass the pane's edge.
	return padLine(marker(sel)+p.ink.row.on(fit(handle, c.handle))+" "+p.ink.muted.on(fit(roles, c.roles))+" "+
		p.ink.row.on(fit(count, c.count))+" "+p.ink.row.on(fit(r.kindList(), c.kinds))+" "+ws.on(fit(warn, c.warn)), p.Width)
}

// header: the column titles in capitals, as every pane's.
func (p *rosterPane) header(c rosterCols) string {
	return p.ink.muted.on(fit(" "+fit("MEMBER", c.handle)+" "+fit("ROLES", c.roles)+" "+fit("PROOFS", c.count)+" "+
		fit("KINDS", c.kinds)+" "+fit("WARNING", c.warn), p.Width))
}

// warning is the row's warning in words: colour adds to it, never replaces it.
func (p *rosterPane) warning(r rosterRow) string {
	var parts []string
	if r.forkedAt > 0 {
		parts = append(parts, "FORKED seq "+itoa(int(r.forkedAt)))
	}
	if r.pending != "" {
		parts = append(parts, r.pending)
	}
	if r.below {
		parts = append(parts, "BELOW MIN ("+r.minRole+")")
	}
	if len(r.expiring) > 0 {
		parts = append(parts, "EXPIRES "+inDays(r.soonest, p.Live.nowMS())+": "+strings.Join(r.expiring, ","))
	}
	return strings.Join(parts, " · ")
}

// details are the selected member's lines, wrapped to the pane: who and the count
// against the minimum first (what decides whether their approvals count), then all
// their roles, then each proof with its status.
func (p *rosterPane) details(r rosterRow) []string {
	st, now := p.Live.State, p.Live.nowMS()
	w := p.Width
	head := clean(r.m.Handle) + " · proofs " + itoa(r.count)
	if r.min > 1 {
		head += " of " + itoa(r.min) + " that " + r.minRole + " needs"
	} else {
		head += " · no minimum for their roles"
	}
	var out []string
	for i, l := range wordWrap(head, w-1-len(hang), 2) {
		out = append(out, " "+hangIf(i)+l)
	}
	if r.forkedAt > 0 {
		fork := "FORKED: a key of " + clean(r.m.Handle) + " signed two events at seq " + itoa(int(r.forkedAt)) +
			" (a copied key, or a home restored from an old copy); its events from there do not count: " +
			"the roster replaces it with tminus member rotate"
		for i, l := range wordWrap(fork, w-1-len(hang), 2) {
			out = append(out, " "+hangIf(i)+p.ink.err.on(l))
		}
	}
	roles := "roles " + clean(strings.Join(r.m.Roles, ", "))
	if len(r.m.Roles) == 0 {
		roles = "no roles"
	}
	for i, l := range wordWrap(roles, w-1-len(hang), 2) {
		out = append(out, " "+hangIf(i)+l)
	}
	if len(r.proofs) == 0 {
		// The count is the tminus key and each kind with a valid proof: say why it is 1.
		return append(out, "   no identity proofs, only the tminus key: tminus proof add")
	}
	for _, pr := range r.proofs {
		// The warning leads: a narrow pane cuts the line's end, not the news.
		what := p.proofState(st.ProofStatus(pr, now), pr.ValidUntil(), now)
		out = append(out, "   "+fit(pr.Kind, 9)+" "+fit(shortFingerprint(pr.Fingerprint), 17)+" "+what)
	}
	return out
}

// hangIf indents the lines after the first of a wrapped fact.
func hangIf(i int) string {
	if i == 0 {
		return ""
	}
	return hang
}

// proofState is a proof's status in words, with the date it ends when it has one.
func (p *rosterPane) proofState(status string, until, now int64) string {
	switch status {
	case domain.ProofValid:
		switch {
		case until == 0:
			return "valid"
		case until-now <= expiringWithin.Milliseconds():
			return "EXPIRES " + inDays(until, now) + " (" + p.date(until) + ")"
		}
		return "valid to " + p.date(until)
	case domain.ProofExpired:
		return "EXPIRED " + p.date(until)
	case domain.ProofNotYetValid:
		return "not yet valid"
	case domain.ProofRevoked:
		return "revoked"
	case domain.ProofUntrustedCA:
		return "CA not trusted"
	}
	return status
}

func (p *rosterPane) date(ms int64) string {
	return time.UnixMilli(ms).In(p.Live.Loc).Format("2006-01-02")
}

// inDays is how far off a time is, coarsely: "in 9d", "in 5h", "in 12m".
func inDays(t, now int64) string {
	d := time.Duration(t-now) * time.Millisecond
	switch {
	case d >= 24*time.Hour:
		return "in " + itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour:
		return "in " + itoa(int(d/time.Hour)) + "h"
	case d > 0:
		return "in " + itoa(int((d+time.Minute-1)/time.Minute)) + "m"
	}
	return "now"
}

// shortFingerprint keeps what tells keys apart at a glance: the head of an SSH
// fingerprint, an OpenPGP key's long id (its last 16 hex digits).
func shortFingerprint(fp string) string {
	if rest, ok := strings.CutPrefix(fp, "SHA256:"); ok && len(rest) > 8 {
		return "SHA256:" + rest[:8] + "…"
	}
	if len(fp) == 40 {
		return fp[24:]
	}
	return fp
}

func (p *rosterPane) View() string {
	lines := make([]string, 0, p.Height)
	if len(p.rows) == 0 {
		lines = append(lines, p.ink.muted.on(fit(" no members yet", p.Width)))
		return fill(lines, p.Width, p.Height)
	}
	c := p.cols()
	lines = append(lines, p.header(c))
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(p.rows[i], c, i == p.cur.pos && p.change < 0))
	}
	// The pending changes and the revoked keys come before the details: they concern
	// everyone, and a cut is what a responder must not miss.
	if changes, at := p.changeLinesAt(); len(changes) > 0 && len(lines) < p.Height-1 {
		lines = append(lines, spaces(p.Width))
		// A selected change stays in view: the changes before it give way, after
		// their caption.
		if at > 1 && len(lines)+at >= p.Height {
			changes = append(changes[:1:1], changes[at:]...)
		}
		for _, l := range changes {
			if len(lines) == p.Height {
				break
			}
			lines = append(lines, l)
		}
	}
	if d := p.selectedDetails(); len(d) > 0 && len(lines) < p.Height-1 {
		lines = append(lines, spaces(p.Width))
		for _, d := range d {
			if len(lines) == p.Height {
				break
			}
			lines = append(lines, p.ink.muted.on(fit(d, p.Width)))
		}
	}
	return fill(lines, p.Width, p.Height)
}
