package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/themes"
)

// Options configure a cockpit. Zero values are usable: the default renderer, the dark
// theme, the wall clock in the local zone, no clipboard.
type Options struct {
	// Renderer draws for one terminal; an SSH session passes its own.
	Renderer *lipgloss.Renderer
	Theme    themes.Theme
	Keys     *KeyMap
	// Now is the one clock. Tests fix it so golden files are stable.
	Now      func() time.Time
	Location *time.Location
	// Copy puts text on the responder's clipboard (OSC52 writes the escape sequence).
	Copy func(text string) error
	// ConfirmAfter is how long a confirmation (approve, execute) must have been open
	// before y counts. Zero: at once, as tests drive it; the cockpit sets 400ms, so
	// keys pasted into a terminal without bracketed paste cannot confirm.
	ConfirmAfter time.Duration
	// Poll is how often the backend is asked for new events; 500ms keeps an event
	// appended elsewhere on screen within a second.
	Poll time.Duration
	// Context bounds the backend calls; the program's lifetime by default.
	Context context.Context
}

// Model is the cockpit: a header, seven panes, a status line and the help line.
type Model struct {
	ctx   *Context
	b     Backend
	opt   Options
	bg    context.Context
	panes [paneCount]pane
	focus paneID
	lay   layout
	selID domain.ID

	form    *form
	drafts  map[string]*form // forms left with esc holding typed text, by form.draft: opened again, they have it back
	dialog  *dialog          // a confirmation: approve, execute
	asking  string           // a quit question is open ("discard the half-filled form and quit?")
	askedAt time.Time        // real time: y before Options.ConfirmAfter has passed is ignored
	help    *helpView
	status  status
	ticking bool
	// sync is the backend's last SyncProblem, shown in the header in place of the
	// peer count while its short form is not "".
	sync struct{ short, advice string }
	// timer makes the poll's and the clock's commands: tea.Tick and tea.Every. Tests
	// replace it (the harness sends pollMsg and clockMsg itself), so that every other
	// command can be waited for rather than dropped as a timer.
	timer func(every bool, d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd

	// View is called after every message; the frame is rebuilt only when something
	// it shows changed (a poll that found nothing leaves it as it was).
	frame string
	dirty bool
}

// New builds the cockpit over a backend. On start it selects the most severe open
// incident, as the responder opening it at 3 a.m. wants.
func New(b Backend, o Options) *Model {
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.Theme.Name == "" {
		o.Theme, _ = themes.Load("dark")
	}
	if o.Keys == nil {
		o.Keys = DefaultKeyMap()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	st := themes.NewStyles(o.Renderer, o.Theme)
	c := &Context{R: o.Renderer, Styles: st, Keys: o.Keys, ink: newInk(st, o.Renderer),
		Live: &Live{State: b.State(), Now: o.Now(), Loc: o.Location, Me: b.Me(), Runbooks: b.Runbooks(),
			RunbookProblems: runbookProblems(b)}}
	m := &Model{ctx: c, b: b, opt: o, bg: o.Context, dirty: true, timer: teaTimer,
		status: problemStatus(c.Live.RunbookProblems)}
	m.panes = [paneCount]pane{
		paneAlerts: newAlertsPane(c), paneTasks: newTasksPane(c), paneTimers: newTimersPane(c),
		paneRunbooks: newRunbooksPane(c), paneTimeline: newTimelinePane(c), paneIncidents: newIncidentsPane(c),
		paneRoster: newRosterPane(c),
	}
	if m.sync.short, m.sync.advice = syncProblem(b); m.sync.short != "" && m.status.text == "" {
		m.status = status{err: true, text: m.sync.advice}
	}
	m.panes[m.focus].SetFocused(true)
	m.readFirings()
	m.rebuild()
	return m
}

func (m *Model) Init() tea.Cmd { return tea.Batch(m.poll(), m.armClock()) }

func (m *Model) poll() tea.Cmd {
	return m.timer(false, m.opt.Poll, func(time.Time) tea.Msg { return pollMsg{} })
}

func teaTimer(every bool, d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	if every {
		return tea.Every(d, fn)
	}
	return tea.Tick(d, fn)
}

// armClock starts the one per-second tick when something on screen counts and none is
// pending. tea.Every fires on the wall clock's second boundary, so every countdown on
// screen changes at the same moment, once.
func (m *Model) armClock() tea.Cmd {
	if m.ticking || !m.counting() {
		return nil
	}
	m.ticking = true
	return m.timer(true, time.Second, func(t time.Time) tea.Msg { return clockMsg(t) })
}

// counting reports whether a time on screen changes by the second: the selected open
// incident's elapsed time, or a deadline of it that is not met.
func (m *Model) counting() bool {
	inc := m.ctx.Live.Incident
	if inc == nil {
		return false
	}
	if inc.Open() {
		return true
	}
	_, _, ok := m.next()
	return ok
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.ctx.Live.Now = m.opt.Now()
	var cmd tea.Cmd
	dirty := true
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case pollMsg:
		dirty = m.refresh()
		cmd = m.poll()
	case clockMsg:
		m.ticking = false
		m.broadcast(msg)
	case tea.KeyMsg:
		cmd = m.keys(msg)
	case doRequest:
		cmd = m.do(msg.pane, msg.body, msg.what, msg.after)
	case formRequest:
		m.openForm(msg.f)
	case proposeRequest:
		m.propose(msg)
	case approveRequest:
		m.askApprove(msg.id)
	case rosterApproveRequest:
		m.askRosterApprove(msg.id)
	case execRequest:
		m.askExec(msg.id)
	case execDoneMsg:
		m.execDone(msg)
	case outputRequest:
		cmd = m.readOutput(msg)
	case outputMsg:
		_, cmd = m.panes[msg.pane].Update(msg)
	case copyRequest:
		m.copy(msg.text, msg.what)
	case selectRequest:
		m.selectIncident(msg.id)
	case statusRequest:
		m.status = msg.st
	case doneMsg:
		m.done(msg)
	default:
		dirty = false
	}
	if dirty {
		m.dirty = true
	}
	return m, tea.Batch(cmd, m.armClock())
}

// refresh folds what arrived since the last poll. Refresh runs here, on the Update
// goroutine, because it changes the state View reads.
func (m *Model) refresh() bool {
	changed, err := m.b.Refresh(m.bg)
	if err != nil {
		m.status = failed(fmt.Errorf("reading the store: %w", err))
		return true
	}
	if m.syncChanged() {
		changed = true
	}
	l := m.ctx.Live
	if !changed {
		if l.TimelineErr == nil && l.FiringsErr == nil {
			return false
		}
		// A timeline or firings that could not be read are tried again on the next
		// poll, not left stale until something else happens.
		m.readFirings()
		m.readTimeline()
		m.broadcast(stateMsg{})
		return true
	}
	l.State = m.b.State() // a re-fold may hand over a new state
	l.Me = m.b.Me()
	m.readFirings()
	m.rebuild()
	return true
}

// syncChanged takes the backend's SyncProblem when it changed: what to do goes on
// the status line as the problem starts (and what changed, as it ends), the header
// says it for as long as it lasts.
func (m *Model) syncChanged() bool {
	short, advice := syncProblem(m.b)
	if short == m.sync.short && advice == m.sync.advice {
		return false
	}
	m.sync.short, m.sync.advice = short, advice
	switch {
	case short != "" && advice != "":
		m.status = status{err: true, text: advice}
	case short == "" && advice != "":
		m.status = okStatus(advice)
	}
	return true
}

// readFirings reads the acknowledged alerts' current firings from the backend, after the
// state changed. A failed read is reported on the status line; the alerts keep the acks
// of the last read.
func (m *Model) readFirings() {
	l := m.ctx.Live
	fs, err := m.b.Firings(m.bg)
	if err != nil {
		l.FiringsErr = err
		m.status = failed(fmt.Errorf("reading the alerts' firings: %w", err))
		return
	}
	l.Firings, l.FiringsErr = fs, nil
}

// rebuild points the Live context at the current state and selection and has every pane
// rebuild its rows. It runs on start, after a Refresh that folded something and when the
// selection changes; never on a key or a tick, since reading the timeline is a query.
func (m *Model) rebuild() {
	m.resolveSelection()
	m.readTimeline()
	m.broadcast(stateMsg{})
}

// readTimeline reads the selected incident's timeline from the backend. A failed read is
// reported on the status line, as a failed Refresh is; the rows on screen stay if they
// are that incident's, since another incident's rows under this one would mislead.
func (m *Model) readTimeline() {
	l := m.ctx.Live
	if l.Incident == nil {
		l.Timeline, l.TimelineErr, l.timelineOf = nil, nil, domain.ID{}
		return
	}
	id := l.Incident.ID
	rows, err := m.b.Timeline(m.bg, id)
	if err != nil {
		if l.timelineOf != id {
			l.Timeline, l.timelineOf = nil, id
		}
		l.TimelineErr = err
		m.status = failed(fmt.Errorf("reading the timeline of %s: %w", id.Short(), err))
		return
	}
	l.Timeline, l.TimelineErr, l.timelineOf = rows, nil, id
}

// resolveSelection points Live.Incident at the selected incident in the current state,
// or, when nothing (or nothing that exists) is selected, at the most severe open real
// one: a drill declared since must not take the screen from real work.
func (m *Model) resolveSelection() {
	st := m.ctx.Live.State
	inc := st.Incidents[m.selID]
	if inc == nil {
		all := st.SortedIncidents()
		for _, c := range all {
			if !c.Drill && c.Open() {
				inc = c
				break
			}
		}
		if inc == nil && len(all) > 0 {
			inc = all[0]
		}
	}
	m.ctx.Live.Incident = inc
	if inc != nil {
		m.selID = inc.ID
	}
}

func (m *Model) selectIncident(id domain.ID) {
	if m.selID == id && m.ctx.Live.Incident != nil {
		return
	}
	m.selID = id
	m.rebuild()
}

func (m *Model) broadcast(msg tea.Msg) {
	for _, p := range m.panes {
		p.Update(msg)
	}
}

func (m *Model) resize(w, h int) {
	m.lay = computeLayout(w, h)
	for i, p := range m.panes {
		p.SetSize(m.lay.pw[i], m.lay.ph[i])
	}
	if m.help != nil {
		m.help.layout(m)
	}
}

func (m *Model) setFocus(id paneID) {
	m.panes[m.focus].SetFocused(false)
	m.focus = id
	m.panes[id].SetFocused(true)
}

// ask opens the quit question.
func (m *Model) ask(q string) {
	m.asking, m.askedAt = q, time.Now()
}

func (m *Model) openForm(f *form) {
	m.help = nil
	if d := m.drafts[f.draft]; d != nil {
		f.restore(d)
	}
	m.form = f
	f.setFocus(0)
	if f.fields[0].isOff() {
		if i := f.next(+1, true); i >= 0 {
			f.setFocus(i)
		}
	}
}

// precheck refuses, before anything is signed, what the fold would refuse of body from
// this device now (domain.State.CheckBody): a stranger, a removed member, an observer, a
// rotated-out or equivocating key, and what the kind's rule refuses (an alert acked
// twice, a lead without the role). A nil body asks only whether this device may write.
func (m *Model) precheck(body domain.Body) error {
	l := m.ctx.Live
	if l.Me == "" || l.State.Members[l.Me] == nil {
		return errors.New("this device is not a member of the workspace yet: a member adds it with tminus member add")
	}
	return l.State.CheckBody(m.b.Key(), body, m.opt.Now().UnixMilli())
}

// do signs and stores body off the Update goroutine; the result comes back as a doneMsg
// for the pane that asked.
func (m *Model) do(p paneID, body domain.Body, what string, after func(*Model, domain.ID)) tea.Cmd {
	if err := body.Validate(); err != nil {
		m.status = failed(err)
		return nil
	}
	if err := m.precheck(body); err != nil {
		m.status = failed(err)
		return nil
	}
	// Until the doneMsg: a store waiting for another writer takes seconds, and a
	// cockpit that shows nothing meanwhile looks like one that ignored the key.
	m.status = status{busy: true, text: "signing and storing…"}
	b, ctx := m.b, m.bg
	return func() tea.Msg {
		id, err := b.Do(ctx, body)
		return doneMsg{pane: p, id: id, err: err, what: what, after: after}
	}
}

// done shows what a Do came to. Stored is not the same as counted: the fold may refuse
// the event (not authorized, already done), and that is an error to the responder.
func (m *Model) done(msg doneMsg) {
	defer m.panes[msg.pane].Update(msg)
	if f := msg.form; f != nil {
		if msg.err == nil {
			delete(m.drafts, f.draft)
		} else if m.form != f && m.keepDraft(f) {
			// Left with esc while signing, and not stored: the text is not lost.
			m.status = failed(fmt.Errorf("%w (not stored: the form's text is kept as a draft, open it again to retry)", msg.err))
			return
		}
	}
	if f := msg.form; f != nil && m.form == f {
		f.signing = false
		if msg.err != nil {
			f.err, f.retry = "not stored: "+msg.err.Error(), true
			m.status = status{}
			return
		}
		m.form = nil
	}
	if msg.err != nil {
		m.status = failed(msg.err)
		return
	}
	m.status = okStatus(msg.what) // an earlier failure is not this action's
	m.refresh()
	if reason := rejected(m.ctx.Live.State, msg.id); reason != "" {
		m.status = failed(errors.New("stored but refused by the fold: " + reason))
		return
	}
	if msg.after != nil {
		msg.after(m, msg.id)
	}
}

func rejected(s *domain.State, id domain.ID) string {
	if id.IsZero() {
		return ""
	}
	for i := len(s.Rejected) - 1; i >= 0; i-- {
		if s.Rejected[i].Event == id {
			return s.Rejected[i].Reason
		}
	}
	return ""
}

func (m *Model) copy(text, what string) {
	if m.opt.Copy == nil {
		m.status = failed(errors.New("no clipboard in this session"))
		return
	}
	if err := m.opt.Copy(text); err != nil {
		m.status = failed(fmt.Errorf("copy: %w", err))
		return
	}
	m.status = okStatus(what + " (OSC 52: the terminal must allow clipboard writes)")
}

// Selected is the selected incident's id, zero when none; for tests and callers.
func (m *Model) Selected() domain.ID { return m.selID }

// keepDraft keeps a form left with typed text, so that one stray esc mid-incident does
// not cost a responder the note they were writing; a form left as it opened (or
// emptied) drops the draft.
func (m *Model) keepDraft(f *form) bool {
	if f.preview != nil {
		// A runbook proposal's form opens filled from what was chosen (a proposal to
		// propose again); a draft must not overwrite that.
		return false
	}
	if !f.dirty() {
		delete(m.drafts, f.draft)
		return false
	}
	if m.drafts == nil {
		m.drafts = map[string]*form{}
	}
	f.signing = false
	m.drafts[f.draft] = f
	if m.status.text == "" {
		m.status = okStatus("left the form, nothing was signed: the text typed is kept as a draft")
	}
	return true
}
