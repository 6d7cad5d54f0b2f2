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
	"github.com/tminus-ir/tminus/domain/safe"
)

// footerLine is the key line at the bottom of the screen.
func (h *harness) footerLine() string {
	lines := strings.Split(h.screen(), "\n")
	return lines[len(lines)-1]
}

// every kind of runbooks row: a Safe transaction, a proposal that ran, one waiting, and
// the runbooks.
func variedRunbooks(t *testing.T) *scenario {
	s := newScenario(t)
	s.executed([]byte("paused: true\n"), nil)
	s.safeProposal(t, safe.Call, 41)
	s.proposeAgain("--trezor", at("03:50:00"))
	return s
}

// The key line of a tab is the same on every row: keys that do not apply to the
// selected row are drawn dim (muted), never dropped, so nothing moves or vanishes as
// the cursor does. Checked at 80x24 (tabs) and 160x48 (grid).
func TestFooterIsStableAsTheCursorMoves(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		s := variedRunbooks(t)
		h := newHarness(t, s.fake, size[0], size[1])
		h.press("4")
		first := h.footerLine()
		for _, want := range []string{"A approve", "x execute", "p propose", "? help", "q quit"} {
			if !strings.Contains(first, want) {
				t.Errorf("%dx%d: key line lacks %q: %q", size[0], size[1], want, first)
			}
		}
		p := h.m.panes[paneRunbooks].(*runbooksPane)
		for i := 1; i < p.cur.n; i++ {
			h.press("j")
			if got := h.footerLine(); got != first {
				t.Errorf("%dx%d row %d: key line %q, was %q on the first row", size[0], size[1], i, got, first)
			}
		}
		if p.cur.pos != p.cur.n-1 {
			t.Fatalf("the cursor did not reach the last row: %d of %d", p.cur.pos, p.cur.n)
		}
	}
}

// In colour the keys that do not apply read dim: the same text, other paint.
func TestFooterDimsKeysThatDoNotApply(t *testing.T) {
	s := variedRunbooks(t)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	m := New(s.fake, Options{Renderer: r, Theme: theme(t, "dark"), Now: s.now, Location: time.UTC})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	footer := func() string { v := strings.Split(m.View(), "\n"); return v[len(v)-1] }
	m.Update(keyMsg("4"))
	var onProposal, onRunbook string
	p := m.panes[paneRunbooks].(*runbooksPane)
	for i := 0; i < p.cur.n; i++ {
		switch pr, rb := p.selected(); {
		case pr != nil && pr.Exec == nil && onProposal == "":
			onProposal = footer()
		case pr == nil && rb != nil && onRunbook == "":
			onRunbook = footer()
		}
		m.Update(keyMsg("j"))
	}
	if onProposal == "" || onRunbook == "" {
		t.Fatal("no waiting proposal or no runbook row found")
	}
	if ansi.Strip(onProposal) != ansi.Strip(onRunbook) {
		t.Errorf("the key line reads differently:\n%q\n%q", ansi.Strip(onProposal), ansi.Strip(onRunbook))
	}
	if onProposal == onRunbook {
		t.Error("approve and execute look the same where they apply and where they do not")
	}
}

// The ? screen lists every key of the pane, those that do not apply to the selected row
// in parentheses with a legend; a read-only view drops the destructive keys for good.
func TestHelpMarksKeysThatDoNotApply(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 160, 48)
	h.press("4", "?") // bob's waiting proposal: approve and execute apply
	h.contains("A            approve", "x            execute", "Output viewer")
	h.lacks("(A)", "(x)")
	h.press("esc", "j", "?") // a runbook: they do not
	h.contains("(A)          approve", "(x)          execute", "(o/enter)    read output", "p            propose",
		"( ) not on the selected row")
	h.press("esc")
	h.m.ctx.Keys.DisableDestructive()
	h.press("k", "?")
	h.lacks("approve", "execute")
	h.contains("p            propose")
}

// A key the key line lists dim says, when pressed, why it does nothing on this row,
// instead of nothing at all.
func TestKeysThatDoNotApplySayWhy(t *testing.T) {
	s := variedRunbooks(t)
	h := newHarness(t, s.fake, 160, 48)
	h.press("4")
	p := h.m.panes[paneRunbooks].(*runbooksPane)
	if p.selectedSafe() == nil {
		t.Fatal("the Safe transaction is not the first row")
	}
	h.press("A")
	h.contains("✗ A approves a high-risk proposal waiting for approvals: select one under PROPOSALS")
	h.press("j") // the waiting proposal: everything but o applies
	h.press("o")
	h.contains("✗ o reads the output of a run: select a proposal that ran")
	h.press("j", "A") // the proposal that ran
	h.contains("✗ A: contract-pause step 2 already ran (exit 0): nothing left to approve")
	h.press("x")
	h.contains("✗ x: contract-pause step 2 already ran (exit 0): p proposes it again")
	h.press("j", "x", "enter") // a runbook row
	h.contains("✗ o reads the output of a run: select a proposal that ran")
	if h.m.dialog != nil || h.m.form != nil || len(s.pending) != 0 {
		t.Error("a key that does not apply opened something or signed")
	}
	// A read-only view leaves them out of help, and says nothing for them either.
	h.m.ctx.Keys.DisableDestructive()
	h.press("k", "k", "A")
	h.lacks("✗")
}
