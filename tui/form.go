package tui

import (
	"slices"
	"strings"

	tcursor "github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// field is one line of a form: free text, or a choice among fixed values.
type field struct {
	label   string
	hint    string // shown after a text field while it is empty
	text    *textinput.Model
	initial string
	choices []string
	choice  int
	orig    int
	// note says what the field is for, under the fields while it has the focus (a
	// runbook parameter's description).
	note string
	// check validates the value as it is typed; its error shows at once.
	check func(v string) error
	// off, when it returns true, greys the field out and focus skips it: a runbook
	// parameter the chosen step does not use. Its value is kept but not sent.
	off func() bool
}

func (f *field) isOff() bool { return f.off != nil && f.off() }

// problem is what check finds wrong with the current value, "" when nothing.
func (f *field) problem() string {
	if f.check == nil || f.isOff() {
		return ""
	}
	if err := f.check(f.value()); err != nil {
		return err.Error()
	}
	return ""
}

func (f *field) value() string {
	if f.text != nil {
		return strings.TrimSpace(f.text.Value())
	}
	if len(f.choices) == 0 {
		return ""
	}
	return f.choices[f.choice]
}

func (f *field) dirty() bool {
	if f.text != nil {
		return f.text.Value() != f.initial
	}
	return f.choice != f.orig
}

// form is the small overlay every action that needs input opens: a title, a few fields,
// an error line. build turns the values into the event to sign, or says what is wrong;
// the form stays open until build succeeds or esc leaves it.
type form struct {
	title string
	// draft is what a draft of the form is kept under (Model.drafts): the form's kind and
	// the incident, task or alert it acts on, never its title, which two incidents can
	// share. Set by draftOf.
	draft  string
	fields []*field
	focus  int
	err    string
	notice string // why the last key did nothing (text typed into a choice)
	// signing: enter was pressed and the event is being signed and stored. The form stays
	// until that is done, so that a failure (a busy store, a locked agent) keeps the text
	// typed, and takes no more keys but esc meanwhile.
	signing bool
	// retry: err is why the signed event was not stored; enter tries again.
	retry bool
	pane  paneID // the pane the result is for
	what  string // says what happened on success: "declared", "task added"
	build func(v []string) (domain.Body, error)
	// after runs in Update once the event is stored (e.g. select the declared incident).
	after func(m *Model, id domain.ID)
	// preview, when set, is a line drawn under the fields from the values so far: the
	// command a runbook proposal would sign.
	preview func(v []string) string
}

// textField takes text of any length: the event's own Validate refuses what is too long,
// with the limit, and keeps the form open. A character limit here cut a long paste
// silently and signed the rest as if it were whole.
func (c *Context) textField(label, value, hint string) *field {
	ti := textinput.New()
	ti.Prompt = ""
	ti.CharLimit = 0
	ti.SetValue(value)
	// A blinking cursor would redraw twice a second for as long as the form is open.
	ti.Cursor.SetMode(tcursor.CursorStatic)
	ti.Cursor.Style = c.R.NewStyle()
	ti.Cursor.TextStyle = c.R.NewStyle()
	ti.TextStyle = c.Styles.FormInput
	ti.PromptStyle = c.Styles.FormInput
	ti.PlaceholderStyle = c.Styles.Muted
	ti.CompletionStyle = c.Styles.Muted
	ti.Placeholder = hint
	return &field{label: label, hint: hint, text: &ti, initial: value}
}

func choiceField(label string, choices []string, selected string) *field {
	f := &field{label: label, choices: choices}
	for i, c := range choices {
		if c == selected {
			f.choice, f.orig = i, i
		}
	}
	return f
}

// draftOf is a draft key: the form's kind and the id of what it acts on (zero for
// none, as a declaration from nothing).
func draftOf(kind string, id domain.ID) string {
	if id.IsZero() {
		return kind
	}
	return kind + " " + id.String()
}

func (f *form) dirty() bool {
	for _, fl := range f.fields {
		if fl.dirty() {
			return true
		}
	}
	return false
}

func (f *form) values() []string {
	out := make([]string, len(f.fields))
	for i, fl := range f.fields {
		out[i] = fl.value()
	}
	return out
}

// setFocus moves the focus and gives the text input, if any, the keyboard.
func (f *form) setFocus(i int) {
	if i < 0 {
		i = len(f.fields) - 1
	}
	if i >= len(f.fields) {
		i = 0
	}
	for j, fl := range f.fields {
		if fl.text == nil {
			continue
		}
		if j == i {
			fl.text.Focus()
		} else {
			fl.text.Blur()
		}
	}
	f.focus = i
}

// next is the index of the next field in direction dir (+1, -1) that is not off, or -1
// when there is none before the end (wrap: whether to go round).
func (f *form) next(dir int, wrap bool) int {
	n := len(f.fields)
	for i, j := 1, f.focus; i <= n; i++ {
		j += dir
		if j < 0 || j >= n {
			if !wrap {
				return -1
			}
			j = (j + n) % n
		}
		if !f.fields[j].isOff() {
			return j
		}
	}
	return -1
}

// focusNamed moves the focus to the field an error starts by naming ("title is
// required", "in: say when it is due"), so that what is typed next goes where the error
// points rather than into the last field, where enter left the focus.
func (f *form) focusNamed(err string) {
	err = strings.ToLower(err)
	for i, fl := range f.fields {
		l := strings.ToLower(fl.label)
		if !fl.isOff() && (strings.HasPrefix(err, l+" ") || strings.HasPrefix(err, l+":")) {
			f.setFocus(i)
			return
		}
	}
}

// restore takes the values of a draft of the same form (same fields, same choices);
// what it opened with stays the form's initial values, so the draft reads as changed.
func (f *form) restore(d *form) {
	if len(d.fields) != len(f.fields) {
		return
	}
	for i, fl := range f.fields {
		o := d.fields[i]
		if o.label != fl.label || (o.text == nil) != (fl.text == nil) || !slices.Equal(o.choices, fl.choices) {
			return
		}
	}
	for i, fl := range f.fields {
		o := d.fields[i]
		if fl.text != nil {
			fl.text.SetValue(o.text.Value())
		} else {
			fl.choice = o.choice
		}
	}
}

// formResult is what a key did to a form.
type formResult int

const (
	formOpen formResult = iota
	formCancel
	formSubmit
)

// update handles one key. enter moves to the next field and submits from the last one, so
// a form is filled top to bottom without reaching for tab.
func (f *form) update(k *KeyMap, msg tea.KeyMsg) (formResult, tea.Cmd) {
	fl := f.fields[f.focus]
	switch {
	case key.Matches(msg, k.Cancel):
		return formCancel, nil
	case key.Matches(msg, k.Submit):
		if i := f.next(+1, false); i >= 0 {
			f.setFocus(i)
			return formOpen, nil
		}
		return formSubmit, nil
	case key.Matches(msg, k.NextField):
		if i := f.next(+1, true); i >= 0 {
			f.setFocus(i)
		}
		return formOpen, nil
	case key.Matches(msg, k.PrevField):
		if i := f.next(-1, true); i >= 0 {
			f.setFocus(i)
		}
		return formOpen, nil
	}
	f.err, f.notice, f.retry = "", "", false
	if fl.text != nil {
		ti, cmd := fl.text.Update(msg)
		*fl.text = ti
		return formOpen, cmd
	}
	// A choice moves only on ←/→. Letters, digits and space are text: typed into the
	// wrong field, or pasted where the terminal has no bracketed paste (the paste then
	// arrives as keys), they must not pick a severity or a member. The form says why
	// nothing happened instead.
	n := len(fl.choices)
	switch {
	case n == 0:
	case key.Matches(msg, k.Left):
		fl.choice = (fl.choice + n - 1) % n
	case key.Matches(msg, k.Right):
		fl.choice = (fl.choice + 1) % n
	case msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace:
		f.notice = fl.label + " is a choice: ←/→ changes it (typed text is ignored)"
	}
	return formOpen, nil
}

// view draws the form's content; the root frames it and lays it over the screen. Under
// the fields: the focused field's note, the preview, then the first problem (the build
// error from the last enter, else what a live check finds in the focused field, else in
// any field) or the keys.
func (f *form) view(c *Context, w int) string {
	// Every line exactly w cells: the frame is as wide as its longest line, and must not
	// grow or shrink while text is typed (a placeholder is shorter than the field, a
	// text input at its width draws a cell more for the cursor).
	lines := strings.Split(f.content(c, w), "\n")
	for i, l := range lines {
		lines[i] = padLine(l, w)
	}
	return strings.Join(lines, "\n")
}

func (f *form) content(c *Context, w int) string {
	labelW := 0
	for _, fl := range f.fields {
		if n := width(fl.label); n > labelW {
			labelW = n
		}
	}
	inner := w - labelW - 4
	var b strings.Builder
	b.WriteString(c.ink.title.on(cut(f.title, w)))
	b.WriteString("\n\n")
	problem := ""
	for i, fl := range f.fields {
		mark := " "
		if i == f.focus {
			mark = "▸"
		}
		bad := fl.problem()
		if bad != "" && (problem == "" || i == f.focus) {
			problem = bad
		}
		switch {
		case fl.isOff():
			b.WriteString(mark + c.ink.muted.on(fit(fl.label, labelW)) + "   " + c.ink.muted.on(cut("· not used by this step", inner)) + "\n")
			continue
		case bad != "":
			b.WriteString(mark + c.ink.formErr.on(fit(fl.label, labelW)) + c.ink.formErr.on(" ✗ "))
		default:
			b.WriteString(mark + c.ink.formLabel.on(fit(fl.label, labelW)) + "   ")
		}
		if fl.text != nil {
			if fl.text.Width != inner-1 {
				// The input scrolls its text only as keys move the cursor: after a resize
				// it would draw the window it had for the old width. Setting the cursor
				// from the start recomputes it for this one.
				fl.text.Width = inner - 1
				pos := fl.text.Position()
				fl.text.SetCursor(0)
				fl.text.SetCursor(pos)
			}
			b.WriteString(fl.text.View())
		} else {
			b.WriteString(choiceLine(c, fl, inner, i == f.focus))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if note := f.fields[f.focus].note; note != "" {
		for _, l := range wordWrap(clean(note), w, 2) {
			b.WriteString(c.ink.muted.on(l) + "\n")
		}
	}
	if f.preview != nil {
		for _, l := range wrapCommand("$ "+clean(f.preview(f.values())), w, 2) {
			b.WriteString(c.ink.due.on(l) + "\n")
		}
	}
	if f.signing {
		b.WriteString(c.ink.warn.on(cut("… signing and storing (esc leaves: the status line says how it went)", w)))
		return b.String()
	}
	if f.err != "" {
		problem = f.err
	}
	if problem != "" {
		for _, l := range wordWrap("error: "+clean(problem), w, 3) {
			b.WriteString(c.ink.formErr.on(l) + "\n")
		}
		if f.retry && problem == f.err {
			b.WriteString(c.ink.muted.on(cut("enter tries again · esc leaves", w)) + "\n")
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	if f.notice != "" {
		for _, l := range wordWrap(clean(f.notice), w, 2) {
			b.WriteString(c.ink.warn.on(l) + "\n")
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	b.WriteString(c.ink.muted.on(cut("enter next/submit · tab field · ←/→ choose · esc cancel", w)))
	return b.String()
}

// choiceLine shows every choice with the selected one in brackets when they fit, else
// the selected one alone with its position.
func choiceLine(c *Context, fl *field, w int, focused bool) string {
	var parts []string
	total := 0
	for i, ch := range fl.choices {
		s := " " + ch + " "
		if i == fl.choice {
			s = "[" + ch + "]"
		}
		parts = append(parts, s)
		total += width(s) + 1
	}
	if total <= w {
		var b strings.Builder
		for i, p := range parts {
			if i == fl.choice {
				b.WriteString(c.ink.selected.on(p))
			} else {
				b.WriteString(c.ink.muted.on(p))
			}
			b.WriteByte(' ')
		}
		return b.String()
	}
	s := "‹ " + fl.choices[fl.choice] + " ›"
	return c.ink.selected.on(cut(s, w-8)) + c.ink.muted.on(" "+itoa(fl.choice+1)+"/"+itoa(len(fl.choices)))
}
