package tui

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// alertsPane lists live alerts, what needs a responder first (alertOrder): severity,
// firing or resolved, how many watchers saw it (k/n), whether someone acknowledged it.
type alertsPane struct {
	Common
	all    []*domain.Alert // in alertOrder, rebuilt on stateMsg
	rows   []*domain.Alert // all, filtered
	cur    cursor
	sel    domain.ID // keeps the cursor on the same alert when rows move
	input  textinput.Model
	typing bool
	query  string
	firing int
	unack  int
	whenW  int // 5 (15:04), or 12 once the oldest alert is from another day
}

func newAlertsPane(c *Context) *alertsPane {
	p := &alertsPane{Common: Common{Context: c}}
	p.input = *c.textField("", "", "title, source, P1, firing…").text
	p.input.CharLimit = 100 // a filter, not a record: nothing is signed from it
	p.input.Prompt = "/"
	return p
}

func (p *alertsPane) Capturing() bool { return p.typing }

func (p *alertsPane) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.input.Width = w - 2
	p.cur.setHeight(p.listHeight())
}

// listHeight is the rows left for alerts once the filter line and the detail of the
// selected alert, if any, are drawn.
func (p *alertsPane) listHeight() int {
	h := p.Height - p.detailHeight()
	if p.typing || p.query != "" {
		h--
	}
	return h
}

// detailHeight reserves the pane's last lines for the selected alert's facts (who saw
// it, who acked it, its labels) once the pane is tall enough that the list keeps most
// of the room: what an on-call engineer reads before pressing a or i.
func (p *alertsPane) detailHeight() int {
	if p.Height >= 12 {
		return 3
	}
	return 0
}

func (p *alertsPane) Title() string {
	t := "Alerts · " + itoa(p.firing) + " firing · " + itoa(p.unack) + " unacked"
	if p.query != "" {
		t += " · /" + p.query
	}
	return t
}

func (p *alertsPane) rebuild() {
	st := p.Live.State
	p.all = st.SortedAlerts()
	sort.SliceStable(p.all, func(i, j int) bool { return alertOrder(p.all[i], p.all[j]) })
	p.whenW = 5
	if len(p.all) > 0 {
		oldest := slices.MinFunc(p.all, func(a, b *domain.Alert) int { return cmp.Compare(a.LastSeen, b.LastSeen) })
		p.whenW = width(clock(oldest.LastSeen, p.Live.Now, p.Live.Loc, false))
	}
	p.firing, p.unack = 0, 0
	for _, al := range p.all {
		if al.Status == domain.AlertFiring {
			p.firing++
			if len(p.Live.acks(al)) == 0 {
				p.unack++
			}
		}
	}
	p.filter()
}

// alertOrder puts firing alerts above resolved ones and, among the firing, the most
// severe first (P1 … P4, then unknown): a P4 that flaps every minute must not push
// the P1 that fired an hour ago out of sight. Within each, SortedAlerts' order stands
// (newest first).
func alertOrder(a, b *domain.Alert) bool {
	af, bf := a.Status == domain.AlertFiring, b.Status == domain.AlertFiring
	if af != bf {
		return af
	}
	return af && sevRank(a.Severity) < sevRank(b.Severity)
}

// sevRank is 1 for P1 … 4 for P4, and 5 for anything else.
func sevRank(s string) int {
	if len(s) == 2 && s[0] == 'P' && s[1] >= '1' && s[1] <= '4' {
		return int(s[1] - '0')
	}
	return 5
}

func (p *alertsPane) filter() {
	if p.query == "" {
		p.rows = p.all
	} else {
		q := strings.ToLower(p.query)
		p.rows = p.rows[:0:0]
		for _, al := range p.all {
			hay := strings.ToLower(al.Title + " " + al.Source + " " + al.Severity + " " + al.Status + " " + al.Fingerprint)
			if strings.Contains(hay, q) {
				p.rows = append(p.rows, al)
			}
		}
	}
	p.cur.setHeight(p.listHeight())
	p.cur.follow(len(p.rows), func(i int) bool { return p.rows[i].ID == p.sel })
	p.remember()
}

func (p *alertsPane) remember() {
	if a := p.selected(); a != nil {
		p.sel = a.ID
	}
}

func (p *alertsPane) selected() *domain.Alert {
	if p.cur.pos < len(p.rows) {
		return p.rows[p.cur.pos]
	}
	return nil
}

func (p *alertsPane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rebuild()
	case tea.KeyMsg:
		if p.typing {
			return p, p.typingKey(msg)
		}
		return p, p.key(msg)
	}
	return p, nil
}

func (p *alertsPane) typingKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		p.typing, p.query = false, ""
		p.input.SetValue("")
		p.input.Blur()
	case "enter":
		p.typing = false
		p.input.Blur()
	default:
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		p.query = strings.TrimSpace(p.input.Value())
		p.filter()
		return cmd
	}
	p.filter()
	return nil
}

func (p *alertsPane) key(msg tea.KeyMsg) tea.Cmd {
	k := p.Keys
	if p.cur.move(k, msg) {
		p.remember()
		return nil
	}
	switch {
	case key.Matches(msg, k.Filter):
		p.typing = true
		p.input.CursorEnd()
		p.filter()
		return p.input.Focus()
	case key.Matches(msg, k.ClearFilter) && p.query != "":
		p.query = ""
		p.input.SetValue("")
		p.filter()
		return nil
	}
	al := p.selected()
	if al == nil {
		return nil
	}
	switch {
	case key.Matches(msg, k.Ack):
		if err := p.reackRefusal(al); err != nil {
			return send(doneMsg{pane: paneAlerts, err: err})
		}
		return send(doRequest{pane: paneAlerts, body: &domain.AlertAck{Alert: al.ID}, what: "acknowledged: " + clean(al.Title)})
	case key.Matches(msg, k.FromAlert):
		// A second incident for one alert would take its link from the open one
		// that holds it, out of view: work it there (the CLI refuses the same).
		if inc := p.Live.State.OpenIncidentOf(al.ID); inc != nil {
			return send(doneMsg{pane: paneAlerts, err: fmt.Errorf("alert is already in open incident %s %q: work it there, or resolve that one first",
				inc.ID.Short(), inc.Title)})
		}
		return send(formRequest{p.declareForm(al)})
	case key.Matches(msg, k.Link):
		inc := p.Live.Incident
		if inc == nil {
			return send(doneMsg{pane: paneAlerts, err: errNoIncident})
		}
		if err := linkRefusal(p.Live.State, al, inc); err != nil {
			return send(doneMsg{pane: paneAlerts, err: err})
		}
		return send(doRequest{pane: paneAlerts, body: &domain.IncidentLink{Incident: inc.ID, Alert: al.ID},
			what: "linked " + clean(al.Title) + " to [" + inc.Severity + "] " + clean(inc.Title)})
	}
	return nil
}

func (p *alertsPane) View() string {
	lines := make([]string, 0, p.Height)
	if p.typing || p.query != "" {
		if p.typing {
			lines = append(lines, p.input.View())
		} else {
			lines = append(lines, p.ink.muted.on(fit("/"+p.query+"  (esc clears)", p.Width)))
		}
	}
	if len(p.rows) == 0 && p.Height > len(lines) {
		msg := "no alerts yet: watchers and webhooks raise them (tminus alert raise)"
		if p.query != "" {
			msg = "no alert matches /" + p.query
		}
		lines = append(lines, p.ink.muted.on(fit(" "+msg, p.Width)))
	}
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(p.rows[i], i == p.cur.pos))
	}
	if d := p.detailHeight(); d > 0 {
		for len(lines) < p.Height-d {
			lines = append(lines, spaces(p.Width))
		}
		if al := p.selected(); al != nil {
			lines = append(lines, p.detail(al)...)
		}
	}
	return fill(lines, p.Width, p.Height)
}

// detail: three lines on the selected alert.
func (p *alertsPane) detail(al *domain.Alert) []string {
	st := p.Live.State
	l := p.Live
	seen := []string{"seen " + itoa(al.Count) + "×", "first " + clock(al.FirstSeen, l.Now, l.Loc, true),
		"last " + clock(al.LastSeen, l.Now, l.Loc, true), clean(al.Source), clean(al.Fingerprint)}
	var who []string
	if sev := st.Suggestion(al); sev != "" {
		who = append(who, "policy suggests "+sev+": "+st.Corroboration(al)+" watchers agree")
	}
	who = append(who, "observed by "+strings.Join(al.Observers, ", ")+" ("+st.Corroboration(al)+")")
	acks := l.acks(al)
	switch f := l.Firings[al.ID]; {
	case len(acks) > 0:
		who = append(who, "acked by "+strings.Join(ackers(acks), ", "))
	case len(al.Acks) > 0:
		// Acked before it resolved: nobody has this firing.
		again := "not acked since it started firing"
		if f != nil && f.Refired != 0 {
			again = "fired again " + clock(f.Refired, l.Now, l.Loc, true) + ", not acked since"
		}
		who = append(who, again+" (earlier: "+strings.Join(al.Ackers(), ", ")+")")
		if !slices.Contains(al.Ackers(), l.Me) {
			who = append(who, "a acks")
		}
	case al.Status == domain.AlertFiring:
		who = append(who, "not acked: a acks")
	}
	if inc := st.Incidents[al.Incident]; inc != nil && inc.Drill {
		who = append(who, "DRILL incident ["+inc.Severity+"] "+clean(inc.Title))
	} else if inc != nil {
		who = append(who, "incident ["+inc.Severity+"] "+clean(inc.Title))
	} else {
		who = append(who, "no incident: i declares one")
	}
	var labels []string
	for k, v := range al.Labels {
		labels = append(labels, clean(k)+"="+clean(v))
	}
	sort.Strings(labels)
	lab := "labels " + strings.Join(labels, " ")
	if len(labels) == 0 {
		lab = "no labels"
	}
	// Whole facts or an ellipsis: a line cut mid-word ("· n…") says nothing.
	return []string{
		p.ink.muted.on(fit("─ "+clean(al.Title)+" ", p.Width)),
		" " + p.ink.row.on(fitParts(who, " · ", p.Width-1)),
		" " + p.ink.muted.on(fitParts(append(seen, lab), " · ", p.Width-1)),
	}
}

// row: ▸[P1] FIRING    2/3 Bridge vault outflow 12x above 7d baseline   03:14 chain    ✓ alice
func (p *alertsPane) row(al *domain.Alert, sel bool) string {
	st := p.Live.State
	w := p.Width
	status := strings.ToUpper(al.Status)
	corr := st.Corroboration(al)
	when := fitRight(clock(al.LastSeen, p.Live.Now, p.Live.Loc, false), p.whenW)
	ack := ""
	if acks := p.Live.acks(al); len(acks) > 0 {
		ack = "✓ " + acks[0].By
		if n := len(acks); n > 1 {
			ack += "+" + itoa(n-1)
		}
	}
	// Narrow panes drop the source first: the title and who acked matter more. Below 64
	// cells who acked gives way too, but not whether: a bare ✓.
	wide, ackW := w >= 100, 1
	if w >= 64 {
		ackW = 10
	} else if ack != "" {
		ack = "✓"
	}
	fixed := 1 + 4 + 1 + 8 + 1 + 5 + 1 + 1 + width(when)
	if wide {
		fixed += 1 + 8
	}
	fixed += 1 + ackW
	tw := w - fixed
	title := clean(al.Title)
	if !al.Incident.IsZero() {
		title = "⚑ " + title // linked to an incident
	}
	if inc := st.Incidents[al.Incident]; inc != nil && inc.Drill {
		title = "DRILL " + title // a drill's scripted alert, never real work
	}
	if sev := st.Suggestion(al); sev != "" {
		title = "▲" + sev + "? " + title // the workspace's corroboration policy
	}
	tail := " " + when
	if wide {
		tail += " " + fit(clean(al.Source), 8)
	}
	tail += " " + fit(ack, ackW)
	if sel && p.Focused {
		plain := "▸" + fit("["+orDash(al.Severity)+"]", 4) + " " + fit(status, 8) + " " + fitRight(corr, 5) + " " +
			fit(title, tw) + tail
		return p.ink.selected.on(fit(plain, w))
	}
	s := marker(sel) + p.badge(al.Severity) + " "
	if al.Status == domain.AlertFiring {
		s += p.ink.warn.on(fit(status, 8))
	} else {
		s += p.ink.muted.on(fit(status, 8))
	}
	return s + " " + fitRight(corr, 5) + " " + p.ink.row.on(fit(title, tw)) + p.ink.muted.on(tail)
}

// ackers are the handles of acks, in their order.
func ackers(acks []domain.Ack) []string {
	out := make([]string, len(acks))
	for i, a := range acks {
		out[i] = a.By
	}
	return out
}

// reackRefusal says why this member cannot acknowledge an alert that fired again after
// they acknowledged it: the fold keeps one ack per member and alert, on every replica
// alike, so a second would be stored and refused (the CLI's alert ack says the same).
func (p *alertsPane) reackRefusal(al *domain.Alert) error {
	l := p.Live
	if !slices.Contains(al.Ackers(), l.Me) || slices.Contains(ackers(l.acks(al)), l.Me) {
		return nil // never acked (the fold decides), or acked this firing (precheck says so)
	}
	return fmt.Errorf("you acked an earlier firing of %q, and an alert keeps one ack per member: ask another responder to ack this one, or i declares an incident from it",
		clean(al.Title))
}

func orDash(s string) string {
	if s == "" {
		return "--"
	}
	return s
}

// fitRight right-aligns plain text in w cells.
func fitRight(s string, w int) string {
	n := width(s)
	if n >= w {
		return fit(s, w)
	}
	return spaces(w-n) + s
}

// fill pads a pane's lines to exactly h lines of w cells.
func fill(lines []string, w, h int) string {
	if len(lines) > h {
		lines = lines[:h]
	}
	blank := spaces(w)
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return strings.Join(lines, "\n")
}

func (p *alertsPane) ShortHelp() []key.Binding {
	k := p.Keys
	if p.typing {
		return []key.Binding{k.Submit, k.Cancel}
	}
	return []key.Binding{k.Ack, k.FromAlert, k.Link, k.Filter}
}

func (p *alertsPane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Ack, k.FromAlert, k.Link, k.Filter, k.ClearFilter}}
}

// linkRefusal says why l must not link al to inc, where the fold would take it: a link
// already there (a second event for nothing), an alert an open incident holds (it would
// leave that incident's view), or a link across a drill and a real incident (a drill's
// scripted alerts must never touch real work, nor real alerts a rehearsal).
func linkRefusal(st *domain.State, al *domain.Alert, inc *domain.Incident) error {
	if al.Incident == inc.ID {
		return fmt.Errorf("alert is already linked to %s %q", inc.ID.Short(), inc.Title)
	}
	fromDrill := false
	if cur := st.Incidents[al.Incident]; cur != nil {
		fromDrill = cur.Drill
	}
	switch {
	case inc.Drill && !fromDrill:
		return fmt.Errorf("a real alert cannot join drill %s %q: drills stay apart from real work", inc.ID.Short(), inc.Title)
	case !inc.Drill && fromDrill:
		return fmt.Errorf("a drill's alert cannot join real incident %s %q", inc.ID.Short(), inc.Title)
	}
	if !inc.Open() && al.Status == domain.AlertFiring {
		// Nobody works a resolved incident: a firing alert there drops out of view.
		return fmt.Errorf("%s %q is resolved: S reopens it, or i declares a new incident from this alert", inc.ID.Short(), inc.Title)
	}
	if held := st.OpenIncidentOf(al.ID); held != nil && held.ID != inc.ID {
		return fmt.Errorf("alert is in open incident %s %q: work it there, or resolve that one first", held.ID.Short(), held.Title)
	}
	return nil
}
