package tui

import (
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
	title  string
	fields []*field
	focus  int
	err    string
	pane   paneID // the pane the result is for
	what   string // says what happened on success: "declared", "task added"
	build  func(v []string) (domain.Body, error)
	// after runs in Update once the event is stored (e.g. select the declared incident).
	after func(m *Model, id domain.ID)
}

func (c *Context) textField(label, value, hint string, limit int) *field {
	ti := textinput.New()
	ti.Prompt = ""
	ti.CharLimit = limit
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
		if f.focus < len(f.fields)-1 {
			f.setFocus(f.focus + 1)
			return formOpen, nil
		}
		return formSubmit, nil
	case key.Matches(msg, k.NextField):
		f.setFocus(f.focus + 1)
		return formOpen, nil
	case key.Matches(msg, k.PrevField):
		f.setFocus(f.focus - 1)
		return formOpen, nil
	}
	f.err = ""
	if fl.text != nil {
		ti, cmd := fl.text.Update(msg)
		*fl.text = ti
		return formOpen, cmd
	}
	n := len(fl.choices)
	switch s := msg.String(); {
	case n == 0:
	case s == "left":
		fl.choice = (fl.choice + n - 1) % n
	case s == "right" || s == " ":
		fl.choice = (fl.choice + 1) % n
	case len(s) == 1 && s[0] >= '1' && s[0] <= '9' && int(s[0]-'1') < n:
		fl.choice = int(s[0] - '1')
	case len(msg.Runes) == 1:
		// Typing a letter jumps to the next choice starting with it (c: contained).
		for i := 1; i <= n; i++ {
			j := (fl.choice + i) % n
			if strings.HasPrefix(strings.ToLower(fl.choices[j]), strings.ToLower(s)) {
				fl.choice = j
				break
			}
		}
	}
	return formOpen, nil
}

// view draws the form's content; the root frames it and lays it over the screen.
func (f *form) view(c *Context, w int) string {
	labelW := 0
	for _, fl := range f.fields {
		if n := width(fl.label); n > labelW {
			labelW = n
		}
	}
	inner := w - labelW - 3
	var b strings.Builder
	b.WriteString(c.ink.title.on(cut(f.title, w)))
	b.WriteString("\n\n")
	for i, fl := range f.fields {
		mark := " "
		if i == f.focus {
			mark = "▸"
		}
		b.WriteString(mark + c.ink.formLabel.on(fit(fl.label, labelW)) + "  ")
		if fl.text != nil {
			fl.text.Width = inner - 1
			b.WriteString(fl.text.View())
		} else {
			b.WriteString(choiceLine(c, fl, inner, i == f.focus))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if f.err != "" {
		b.WriteString(c.ink.formErr.on(cut("error: "+clean(f.err), w)))
	} else {
		b.WriteString(c.ink.muted.on(cut("enter next/submit · tab field · ←/→ choose · esc cancel", w)))
	}
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
