package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/workspace"
)

// A broken runbook file's warning printed on stderr before the cockpit's full screen
// took the terminal, so the responder saw it only after quitting, and wondered where
// the team's runbook was. The cockpit says it on its status line when it opens and on
// the runbooks tab while it runs (on a real terminal, nothing under the screen: the
// end-to-end test); when it cannot open, on stderr, as the other commands do
// (TestRunbookBrokenTeamFile).
func TestCockpitShowsBrokenRunbook(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	t.Setenv("TMINUS_RUNBOOKS", dir)
	broken := "---\nid: host-quarantine\ntitle: Our quarantine\nrisk: hihg\n---\n1. Cut\n   ```sh\n   true\n   ```\n"
	if err := os.WriteFile(filepath.Join(dir, "quarantine.md"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	why := filepath.Join(dir, "quarantine.md") + ":4: risk must be low or high"

	// No terminal here: the cockpit cannot open, so the warning goes to stderr.
	_, errs, code := tminus(t, home)
	if code == 0 || !strings.Contains(errs, "needs a terminal") || !strings.Contains(errs, "warning: runbook left out: "+why) {
		t.Errorf("cockpit without a terminal: exit %d, stderr %q; want the terminal error and the runbook warning", code, errs)
	}
	if _, errs, _ := tminus(t, home, "runbook", "show", "incident-kickoff"); !strings.Contains(errs, "warning: runbook left out: "+why) {
		t.Errorf("runbook show: stderr %q, want the warning", errs)
	}

	ctx := context.Background()
	a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	b, err := a.openBackend(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.RunbookProblems(); len(got) != 1 || got[0] != why {
		t.Fatalf("the backend's runbook problems %q, want [%q]", got, why)
	}
	m, drive := drivenScreen(t, ctx, b)
	drive(tea.WindowSizeMsg{Width: 200, Height: 48})
	if screen := ansi.Strip(m.View()); !strings.Contains(screen, "✗ runbook left out: "+why) {
		t.Errorf("the cockpit opens without the broken file on its status line:\n%s", screen)
	}
	drive(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("4")})
	if screen := ansi.Strip(m.View()); !strings.Contains(screen, "✗ left out: "+dir[:20]) ||
		!strings.Contains(screen, "risk must be low or high") || !strings.Contains(screen, "1 broken file") {
		t.Errorf("the runbooks tab does not name the broken file:\n%s", screen)
	}
}
