package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// syncFake is the fake with the optional SyncProblem, as the cockpit's backend
// reports a serve that stopped.
type syncFake struct {
	*fake
	short, advice string
}

func (f *syncFake) SyncProblem() (string, string) { return f.short, f.advice }

func newSyncHarness(t *testing.T, f *syncFake, w, h int) *harness {
	t.Helper()
	hs := &harness{t: t, f: f.fake}
	hs.m = New(f, Options{Renderer: asciiRenderer(), Theme: theme(t, "dark"), Now: f.now, Location: time.UTC,
		Copy: func(s string) error { hs.copied = append(hs.copied, s); return nil }})
	hs.m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// When the serve that replicated for this home stops, the header says so in words in
// place of a bare "peers 0/2 · offline", and the status line what to run, at 80 columns
// and whatever the incident's title; when it is back the header counts peers again. The
// header used to read offline for good, and nothing said why.
func TestHeaderSaysServeStopped(t *testing.T) {
	const (
		short  = "serve stopped · not syncing"
		advice = "tminus serve stopped: nothing syncs or signs: run tminus serve in a shell"
	)
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s := newScenario(t)
		s.online, s.total = 3, 4
		f := &syncFake{fake: s.fake}
		h := newSyncHarness(t, f, sz[0], sz[1])
		h.contains("peers 3/4 · synced")

		f.short, f.advice = short, advice
		s.online = 0
		h.poll()
		head := strings.Join(strings.Split(h.screen(), "\n")[:3], "\n")
		if !strings.Contains(head, short) || strings.Contains(head, "offline") {
			t.Errorf("at %dx%d the header reads:\n%s\nwant %q, not offline", sz[0], sz[1], head, short)
		}
		h.contains("✗ " + advice) // whole: 75 cells
		checkFrame(t, "serve stopped", h.view(), sz[0], sz[1])
		h.press("j") // the status line clears on the next key; the header keeps saying it
		h.contains(short)

		f.short, f.advice = "", "serve stopped: this cockpit syncs the home now (quit it to run serve again)"
		s.online = 1
		h.poll()
		h.lacks(short)
		h.contains("peers 1/4 · synced", "✓ serve stopped: this cockpit syncs the home now")
	}
}

// A cockpit that opens with its serve already gone says so at once.
func TestSyncProblemOnOpen(t *testing.T) {
	s := newScenario(t)
	f := &syncFake{fake: s.fake, short: "no serve · not syncing", advice: "no tminus serve runs: nothing syncs this home: run tminus serve in a shell"}
	h := newSyncHarness(t, f, 80, 24)
	h.contains("no serve · not syncing", "✗ no tminus serve runs")
}

// The cockpit's error for a write whose agent went away (cmd/tminus agentGoneError) is
// shown whole in the form at 80 columns, with enter to try again: the agent's own error
// named its socket twice and the form cut what to do.
func TestFormShowsAgentGoneWhole(t *testing.T) {
	const gone = `nothing signs for this home (its agent, tminus serve's, stopped): start tminus serve, or eval "$(tminus agent)", in a shell, then try again`
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	s.fail = errors.New(gone)
	h.press("n")
	h.typeText("Pause signed by bob")
	h.press("enter")
	if h.m.form == nil {
		t.Fatal("the form closed though nothing was stored")
	}
	flat := strings.Join(strings.Fields(strings.ReplaceAll(h.screen(), "│", " ")), " ")
	for _, want := range []string{"in a shell, then try again", `eval "$(tminus agent)"`, "enter tries again"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the form lacks %q:\n%s", want, h.screen())
		}
	}
}
