package tui

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/themes"
)

// asciiRenderer draws as NO_COLOR or TERM=screen would: no colour, no bold, no reverse.
// What the tests read is what a responder in the harshest terminal reads.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

func theme(t testing.TB, name string) themes.Theme {
	t.Helper()
	th, err := themes.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

type harness struct {
	t      testing.TB
	m      *Model
	f      *fake
	copied []string
	quit   bool
}

func newHarness(t testing.TB, f *fake, w, h int) *harness {
	hs := &harness{t: t, f: f}
	hs.m = New(f, Options{Renderer: asciiRenderer(), Theme: theme(t, "dark"), Now: f.now, Location: time.UTC,
		Copy: func(s string) error { hs.copied = append(hs.copied, s); return nil }})
	hs.m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// keyMsg builds the message bubbletea sends for a key name as key.Binding spells it.
func keyMsg(k string) tea.KeyMsg {
	special := map[string]tea.KeyType{"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab,
		"shift+tab": tea.KeyShiftTab, "up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft,
		"right": tea.KeyRight, "ctrl+c": tea.KeyCtrlC, "backspace": tea.KeyBackspace, "pgdown": tea.KeyPgDown,
		"pgup": tea.KeyPgUp, " ": tea.KeySpace}
	if t, ok := special[k]; ok {
		if t == tea.KeySpace {
			return tea.KeyMsg{Type: t, Runes: []rune{' '}}
		}
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys one by one and runs what they start, as the program would.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

// typeText types s into whatever has the keyboard.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.press(string(r))
	}
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	h.m.timer = noTimer
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// run executes commands and feeds their messages back. The model's timers (the clock,
// the poll) are off: tests send clockMsg and pollMsg themselves. Every other command is
// waited for, however loaded the machine (a 20 ms cut-off used to drop a slow signing
// as if it were a timer), except while the fake holds a Do, an Exec or a Blob on purpose: a
// command that has not answered within a moment is then the held one, and is dropped.
func (h *harness) run(cmd tea.Cmd) {
	h.m.timer = noTimer
	wait := commandWait
	if h.f.execHold != nil || h.f.blobHold != nil || h.f.doHold != nil {
		wait = 20 * time.Millisecond
	}
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(wait):
			if wait == commandWait {
				h.t.Fatalf("a command has not answered in %s", wait)
			}
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			h.quit = true
		default:
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func (h *harness) view() string { return h.m.View() }

// screen is the view without escape codes, for assertions on text.
func (h *harness) screen() string { return ansi.Strip(h.m.View()) }

func (h *harness) contains(want ...string) {
	h.t.Helper()
	s := h.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			h.t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

func (h *harness) lacks(unwanted ...string) {
	h.t.Helper()
	s := h.screen()
	for _, w := range unwanted {
		if strings.Contains(s, w) {
			h.t.Errorf("screen shows %q:\n%s", w, s)
		}
	}
}

// poll delivers a poll tick, as the 500ms timer would.
func (h *harness) poll() { h.send(pollMsg{}) }

// tick advances the clock and delivers the per-second tick.
func (h *harness) tick(d time.Duration) {
	h.f.advance(d)
	h.send(clockMsg(h.f.now()))
}

// noTimer stands in for the model's timers in the harness.
func noTimer(bool, time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }

// commandWait is how long the harness waits for a command before failing the test:
// long enough for any loaded machine, short of the test binary's timeout.
const commandWait = 30 * time.Second
