package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// timelinePane shows every event of the selected incident in fold order: when, who, what.
// It follows the newest entry, like tail -f, until the responder scrolls up; scrolling
// back to the bottom (G) follows again.
type timelinePane struct {
	Common
	rows   []domain.Entry
	cur    cursor
	follow bool
	inc    domain.ID
	// sel is the selected entry while not following: the cursor goes with it when
	// entries arrive before it (a peer's late events sort into the middle).
	sel   domain.Entry
	whenW int // 8 (15:04:05), or 15 once an entry is from another day
	// hashed is the row text of evidence entries, by event: the short hash first, where
	// a row cut at 80 columns still shows it (the domain's text puts it last).
	hashed map[domain.ID]string
}

func newTimelinePane(c *Context) *timelinePane {
	return &timelinePane{Common: Common{Context: c}, follow: true}
}

func (p *timelinePane) SetSize(w, h int) {
	p.Common.SetSize(w, h)
	p.cur.setHeight(h - p.detailHeight())
	if p.follow {
		p.cur.set(p.cur.n - 1)
	}
}

// detailHeight reserves the pane's last lines for the selected entry in full when the
// pane is narrow and tall enough: at 80x24 a row cuts a note after some forty characters,
// and the notes are what responders write to each other.
func (p *timelinePane) detailHeight() int {
	if p.Height >= 12 && p.Width < 120 {
		return 4
	}
	return 0
}

func (p *timelinePane) Title() string { return "Timeline · " + itoa(len(p.rows)) + " events" }

func (p *timelinePane) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case stateMsg:
		p.rows = nil
		inc := p.Live.Incident
		if inc != nil {
			p.rows = p.Live.Timeline // read only; replaced on the next stateMsg
			if inc.ID != p.inc {
				p.inc, p.follow = inc.ID, true
			}
		}
		p.hashRows()
		p.whenW = 8
		if len(p.rows) > 0 {
			p.whenW = width(clock(p.rows[0].At, p.Live.Now, p.Live.Loc, true))
		}
		p.cur.setLen(len(p.rows))
		if p.follow {
			p.cur.set(len(p.rows) - 1)
		} else {
			p.keepSelection()
		}
		p.remember()
	case tea.KeyMsg:
		if p.cur.move(p.Keys, msg) {
			p.follow = p.cur.pos == p.cur.n-1
			p.remember()
		}
	}
	return p, nil
}

func (p *timelinePane) remember() {
	p.sel = domain.Entry{}
	if p.cur.pos < len(p.rows) {
		p.sel = p.rows[p.cur.pos]
	}
}

// keepSelection moves the cursor to the entry it was on: the same event and text (an
// event can have several entries, a declaration and each alert it links), else the same
// event; where it is gone the cursor keeps its place.
func (p *timelinePane) keepSelection() {
	if p.sel.Event.IsZero() {
		return
	}
	if i := slices.Index(p.rows, p.sel); i >= 0 {
		p.cur.set(i)
		return
	}
	if i := slices.IndexFunc(p.rows, func(e domain.Entry) bool { return e.Event == p.sel.Event }); i >= 0 {
		p.cur.set(i)
	}
}

// hashRows words the rows that carry evidence so the hash comes first: an evidence file
// ("sha256 9f2c1a7b3e4d vault-balances.json 2.0 kB") and a run's captured output ("exit 0
// sha256 9f2c1a7b3e4d contract-pause step 2 in 1.2s"). The detail under the list keeps
// the domain's own words. An entry the state does not explain keeps its text.
func (p *timelinePane) hashRows() {
	clear(p.hashed)
	inc := p.Live.Incident
	if inc == nil || len(p.rows) == 0 {
		return
	}
	if p.hashed == nil {
		p.hashed = map[domain.ID]string{}
	}
	for _, ev := range inc.Evidence {
		p.hashed[ev.Event] = "sha256 " + hash12(ev.SHA256) + " " + ev.Name + " " + size(ev.Size)
	}
	for _, id := range inc.Proposals {
		pr := p.Live.State.Proposals[id]
		if pr == nil || pr.Exec == nil {
			continue
		}
		e := pr.Exec
		t := "exit " + itoa(e.ExitCode)
		if e.TimedOut {
			t += " timed out"
		}
		t += " sha256 " + hash12(e.Output)
		if e.Truncated {
			t += " truncated"
		}
		p.hashed[e.Event] = t + " " + what(pr) + " in " + duration(e.DurationMs)
	}
}

// hash12 is the 12 hex digits the timeline names a blob by, as the domain's text does.
func hash12(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// row: 03:14:07 alice    alert.observe    Bridge vault outflow 12x above 7d baseline
func (p *timelinePane) row(e *domain.Entry, sel bool) string {
	byW, kindW := 9, 18 // kindW: the longest kind, incident.severity, and a space
	if p.Width < 72 {
		// A narrow split keeps what happened over its kind: the text says it too ("task:
		// …", "FIRING …"), and the selected row's detail names the kind. With the column,
		// 60 cells left a note 23.
		byW, kindW = 7, 0
	}
	when := clock(e.At, p.Live.Now, p.Live.Loc, true)
	when = fitRight(when, p.whenW)
	tw := p.Width - 1 - p.whenW - 1 - byW - kindW
	kind := ""
	if kindW > 0 {
		kind = fit(e.Kind, kindW-1) + " "
	}
	text, ok := p.hashed[e.Event]
	if !ok || (e.Kind != domain.KindEvidenceAdd && e.Kind != domain.KindRunbookExec) {
		text = e.Text
	}
	text = clean(text)
	if sel && p.Focused {
		return p.ink.selected.on(fit("▸"+when+" "+fit(e.By, byW-1)+" "+kind+fit(text, tw), p.Width))
	}
	ts := p.ink.row
	if e.Kind == domain.KindNote {
		ts = p.ink.title // notes are what people wrote: they stand out from the machinery
	}
	// No cursor mark unless focused: following the tail, it would only mark the last line.
	return " " + p.ink.muted.on(when) + " " + p.ink.row.on(fit(e.By, byW-1)) + " " + p.ink.muted.on(kind) +
		ts.on(fit(text, tw))
}

func (p *timelinePane) View() string {
	lines := make([]string, 0, p.Height)
	switch {
	case p.Live.Incident == nil:
		lines = append(lines, p.ink.muted.on(fit(" no incident selected", p.Width)))
	case len(p.rows) == 0 && p.Live.TimelineErr != nil:
		lines = append(lines, p.ink.err.on(fit(" timeline not read: "+clean(p.Live.TimelineErr.Error()), p.Width)))
	case len(p.rows) == 0:
		lines = append(lines, p.ink.muted.on(fit(" nothing yet", p.Width)))
	}
	from, to := p.cur.window()
	for i := from; i < to; i++ {
		lines = append(lines, p.row(&p.rows[i], i == p.cur.pos))
	}
	d := p.detailHeight()
	if d == 0 || p.cur.pos >= len(p.rows) {
		return fill(lines, p.Width, p.Height)
	}
	for len(lines) < p.Height-d {
		lines = append(lines, spaces(p.Width))
	}
	lines = lines[:p.Height-d]
	e := &p.rows[p.cur.pos]
	head := "─ " + clock(e.At, p.Live.Now, p.Live.Loc, true) + " " + clean(e.By) + " · " + e.Kind + " "
	lines = append(lines, p.ink.muted.on(fit(head, p.Width)))
	body := wordWrap(clean(e.Text), p.Width-1, d-1)
	for i := 0; i < d-1; i++ {
		text := ""
		if i < len(body) {
			text = body[i]
		}
		lines = append(lines, p.ink.row.on(fit(" "+text, p.Width)))
	}
	return fill(lines, p.Width, p.Height)
}

func (p *timelinePane) ShortHelp() []key.Binding {
	k := p.Keys
	return []key.Binding{k.Note, k.Up, k.Bottom}
}

func (p *timelinePane) FullHelp() [][]key.Binding {
	k := p.Keys
	return [][]key.Binding{{k.Note, k.Up, k.Down, k.Top, k.Bottom}}
}
