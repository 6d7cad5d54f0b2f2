package tui

import (
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/domain"
)

// header is the same three lines on every tab and at every size: which incident, how
// bad, what state, and whether this replica is connected (line 1); what is due next and
// how long the incident has run (line 2); who leads and what is firing (line 3).
//
// Everything that changes by the second is on line 2, so a tick rewrites one header line
// (bubbletea redraws whole changed lines). When a line is too narrow its left part is
// cut first; the right parts are short and time-critical.
func (m *Model) header() []string {
	l := m.ctx.Live
	ink := m.ctx.ink
	w := m.lay.w
	brand := ink.title.on(" tminus") + ink.muted.on(" · ") + ink.header.on(clean(m.b.Workspace())) + "  "
	if w < 100 {
		brand = " " + ink.header.on(clean(m.b.Workspace())) + "  "
	}
	peers := m.peers() + " "
	summary := m.alertSummary()
	if f := forkedMembers(l.State); len(f) > 0 {
		// DESIGN.md rule 6: an equivocation raises a security alert here, whatever the tab.
		summary = ink.err.on("FORKED KEY: "+clean(strings.Join(f, ", "))) + ink.muted.on(" · ") + summary
	}
	if w >= 100 {
		summary += ink.muted.on(" · as ") + ink.header.on(orNone(l.Me))
	}
	anchored := ""
	if age := m.anchorAge(); age != "" { // the log root's last anchor on a chain
		anchored = ink.muted.on(age + " · ")
	}
	inc := l.Incident
	if inc == nil {
		hint := "D declares an incident; i declares one from the selected alert"
		return []string{
			spread(brand+ink.muted.on("no incident selected"), peers, w),
			spread(" "+ink.muted.on(fitWords(hint, room(w, " ", anchored))), anchored, w),
			spread("", summary+" ", w),
		}
	}
	drill := ""
	if inc.Drill {
		drill = ink.drill.on("DRILL") + " "
	}
	right1 := m.ctx.statusWord(inc.Status, len(inc.Status)) + "  " + peers
	title, badge := clean(inc.Title), drill+m.ctx.badge(inc.Severity)+" "
	// The workspace gives way before the title's first word would be cut (60 columns in
	// a drill): the responder knows where they are, not yet what is burning.
	if !firstWordFits(title, room(w, brand+badge, right1)) {
		brand = " "
	}
	left1 := brand + badge
	left1 += ink.header.on(fitWords(title, room(w, left1, right1)))

	var since string
	if inc.Open() {
		since = ink.due.on(elapsed(inc.DeclaredAt, l.nowMS()))
	} else {
		since = ink.muted.on("resolved after " + elapsed(inc.DeclaredAt, inc.ResolvedAt())[1:])
	}
	if w >= 100 {
		since = ink.muted.on("declared "+clock(inc.DeclaredAt, l.Now, l.Loc, false)+" by "+inc.DeclaredBy+"  ") + since
	}
	right2 := anchored + since + " "
	next := ink.muted.on("no deadlines · T adds one")
	if due, label, ok := m.next(); ok {
		now := l.nowMS()
		if due < now {
			next = ink.overdue.on("NEXT "+countdown(due, now)+" OVERDUE") + " "
		} else {
			next = ink.muted.on("NEXT ") + ink.due.on(countdown(due, now)) + " "
		}
		label = clean(label)
		// The anchor's age gives way before the deadline's first word would be cut.
		if !firstWordFits(label, room(w, " "+next, right2)) {
			right2 = since + " "
		}
		next += ink.header.on(fitWords(label, room(w, " "+next, right2)))
	}
	if r := removedLeads(l.State, inc); len(r) > 0 {
		// A lead removed from the roster still stands on the incident: say so where the
		// line keeps it (the right), so someone assigns the role again (L).
		summary = ink.err.on("REMOVED LEAD: "+clean(strings.Join(r, ", "))) + ink.muted.on(" · ") + summary
	}
	right3 := summary + " "
	if inc.Drill {
		// The banner leads the line, but real alerts keep firing during a drill: their
		// count (and a forked key, a removed lead) stays beside it.
		tag := "DRILL · an exercise, not a real incident"
		switch {
		case w < 72:
			tag = "DRILL"
		case w < 100:
			tag = "DRILL · an exercise"
		}
		right3 = ink.drill.on(tag) + ink.muted.on("· ") + summary + " " // the banner is padded: one space before the dot
	}
	return []string{
		spread(left1, right1, w),
		spread(" "+next, right2, w),
		spread(" "+m.leads(inc, w, room(w, " ", right3)), right3, w),
	}
}

// removedLeads are the incident's leads who are no longer members, as "rec dave".
func removedLeads(st *domain.State, inc *domain.Incident) []string {
	var out []string
	for _, r := range []string{domain.RoleTriage, domain.RoleContainment, domain.RoleComms, domain.RoleRecorder} {
		h, ok := inc.Leads[r]
		if m := st.Members[h]; ok && (m == nil || !m.Active) {
			out = append(out, leadRole(r, 0)+" "+h)
		}
	}
	return out
}

// leadRole is a role's name in the leads line: short below 120 columns.
func leadRole(r string, w int) string {
	short := map[string]string{domain.RoleContainment: "contain", domain.RoleRecorder: "rec"}
	if w < 120 && short[r] != "" {
		return short[r]
	}
	return r
}

// firstWordFits: s shows at least its first word whole in room cells.
func firstWordFits(s string, room int) bool {
	f := strings.Fields(s)
	return len(f) == 0 || width(f[0]) <= room
}

// room is what a header line of w cells leaves for the text after left with right
// beside it, gap cells apart: the text that gives way first, cut between words.
func room(w int, left, right string) int {
	return w - ansi.StringWidth(left) - gap - ansi.StringWidth(right)
}

// leads: "triage alice · contain bob · comms carol · rec dave", full role names when wide.
// Where that does not fit in room cells (80 columns with the alert summary beside it),
// commas part the leads instead; where that does not fit either (below 80 columns),
// the last leads give way whole: "triage alice, contain bob, …".
func (m *Model) leads(inc *domain.Incident, w, room int) string {
	ink := m.ctx.ink
	var parts []string
	n := 0 // their width, without separators
	for _, r := range []string{domain.RoleTriage, domain.RoleContainment, domain.RoleComms, domain.RoleRecorder} {
		h, ok := inc.Leads[r]
		if !ok {
			continue
		}
		name := leadRole(r, w)
		hs := ink.header
		if m := m.ctx.Live.State.Members[h]; m == nil || !m.Active {
			hs = ink.err // removed from the roster: the right side says so in words
		}
		parts = append(parts, ink.muted.on(name+" ")+hs.on(clean(h)))
		n += width(name) + 1 + width(clean(h))
	}
	seps := len(parts) - 1
	switch {
	case len(parts) == 0:
		return ink.muted.on(strings.TrimRight(fitWords("no leads yet · L assigns one", room), " ")) // cut between words
	case n+3*seps <= room:
		return strings.Join(parts, ink.muted.on(" · "))
	case n+2*seps <= room:
		return strings.Join(parts, ink.muted.on(", "))
	}
	return strings.TrimRight(fitParts(parts, ink.muted.on(", "), room), " ")
}

// next is the nearest deadline of the selected incident: an unmet timer (recurring ones
// at their next deadline) or an open task with a due time. Overdue ones come first,
// being the earliest.
func (m *Model) next() (due int64, label string, ok bool) {
	l := m.ctx.Live
	inc := l.Incident
	if inc == nil {
		return 0, "", false
	}
	now := l.nowMS()
	retro := domain.RetroTimerID(inc.ID)
	for _, id := range inc.Timers {
		t := l.State.Timers[id]
		// Once resolved, only the retro is still due: a containment check left
		// running would count down to nothing.
		if t == nil || t.Met || (!inc.Open() && id != retro) {
			continue
		}
		if d := t.NextDue(now); !ok || d < due {
			due, label, ok = d, t.Label, true
		}
	}
	for _, t := range taskDeadlines(l.State, inc) { // as the T-minus pane lists them
		if !ok || t.Due < due {
			due, label, ok = t.Due, t.Title, true
		}
	}
	return due, label, ok
}

// peers: "peers 3/4 · synced", or "peers 0/0 · offline" before replication runs; what
// stopped it instead, when the backend knows (SyncProblem: "serve stopped · not syncing").
func (m *Model) peers() string {
	ink := m.ctx.ink
	if m.sync.short != "" {
		return ink.err.on(clean(m.sync.short))
	}
	on, total, synced := m.b.Peers()
	s := "peers " + itoa(on) + "/" + itoa(total) + " · "
	switch {
	case total == 0 || on == 0:
		return ink.muted.on(s) + ink.warn.on("offline")
	case synced:
		return ink.muted.on(s) + ink.ok.on("synced")
	}
	return ink.muted.on(s) + ink.warn.on("syncing")
}

func (m *Model) alertSummary() string {
	a := m.panes[paneAlerts].(*alertsPane)
	ink := m.ctx.ink
	s := ink.muted.on("alerts " + itoa(a.firing) + " firing")
	if a.unack > 0 {
		s += ink.muted.on(", ") + ink.warn.on(itoa(a.unack)+" unacked")
	}
	return s
}

// anchorAge is the header's "anchored 12m ago" for the newest anchor.record; "" for none.
func (m *Model) anchorAge() string {
	a := m.ctx.Live.State.Anchor
	if a == nil {
		return ""
	}
	return "anchored " + ago(a.At, m.ctx.Live.nowMS())
}

// ago is a coarse age: 40s, 12m, 3h, 2d.
func ago(at, now int64) string {
	s := (now - at) / 1000
	switch {
	case s < 0:
		return "just now"
	case s < 60:
		return itoa(int(s)) + "s ago"
	case s < 3600:
		return itoa(int(s/60)) + "m ago"
	case s < 48*3600:
		return itoa(int(s/3600)) + "h ago"
	}
	return itoa(int(s/86400)) + "d ago"
}

// forkedMembers are the active members one of whose current keys signed two events at one
// seq: a copied or stolen key, or a home restored from an old backup. Their events from
// that seq on do not count anywhere; the roster must rotate the key.
func forkedMembers(st *domain.State) []string {
	var out []string
	for _, m := range st.Members {
		if m.Active && forkedAt(st, m) > 0 {
			out = append(out, m.Handle)
		}
	}
	sort.Strings(out)
	return out
}

// forkedAt is the seq at which one of m's current keys forked, 0 for none.
func forkedAt(st *domain.State, m *domain.Member) uint64 {
	for _, k := range m.Keys {
		if seq, ok := st.Forked[k]; ok && st.RotatedKey(k) == nil {
			return seq
		}
	}
	return 0
}
