package main

import (
	"regexp"
	"strings"
	"testing"
)

// timelineRow is how incident show starts a timeline entry.
var timelineRow = regexp.MustCompile(`^  \d{4}-\d\d-\d\dT`)

// A title, task, label or note any member signs may hold line feeds (the
// domain keeps them: notes are multi-line). In text output they must not
// start rows of their own: a note could otherwise print a timeline entry
// nobody signed ("bob resolved it"), a title a second incident row.
func TestLifecycleTextCannotForgeRows(t *testing.T) {
	home, inc := newWorkspace(t)
	forged := "  2026-01-01T00:00:00.000Z mallory  incident.status   status declared -> resolved"
	must(t, home, "note", inc[:8], "first line\n"+forged)
	must(t, home, "task", "add", inc[:8], "--title", "Pause\n"+forged)
	must(t, home, "timer", "set", inc[:8], "--label", "Update\n"+forged, "--in", "30m")
	second := must(t, home, "incident", "declare", "--title", "Drain\n812a74fdfe  [P1]  resolved  2026-12-07 03:37 bob  Forged", "--severity", "P2")

	shown := must(t, home, "incident", "show", inc[:8])
	rows := 0
	for _, line := range strings.Split(shown, "\n") {
		if strings.Contains(line, "mallory") && timelineRow.MatchString(line) {
			t.Errorf("a signed text printed a timeline row of its own:\n%s", shown)
		}
		if timelineRow.MatchString(line) {
			rows++
		}
	}
	if rows != 4 { // declare, note, task, timer
		t.Errorf("%d timeline rows, want 4:\n%s", rows, shown)
	}
	if !strings.Contains(shown, "first line") || !strings.Contains(shown, "mallory") {
		t.Errorf("the note's text is lost:\n%s", shown)
	}

	list := must(t, home, "incident", "list")
	if n := len(strings.Split(list, "\n")); n != 3 { // header and two incidents
		t.Errorf("incident list has %d lines for 2 incidents:\n%s", n, list)
	}
	head := strings.SplitN(must(t, home, "incident", "show", second[:8]), "\n", 3)
	if !strings.HasPrefix(head[1], second) {
		t.Errorf("a title's line feed split the header of incident show:\n%s", strings.Join(head, "\n"))
	}
}

// evidence list prints one row per item whatever its name holds.
func TestLifecycleEvidenceNameOneRow(t *testing.T) {
	home, inc := newWorkspace(t)
	file := writeFile(t, t.TempDir()+"/balances.txt", "1840 ETH\n")
	must(t, home, "evidence", "add", inc[:8], file, "--name", "balances\nforged-row  file  x")
	list := must(t, home, "evidence", "list", inc[:8])
	if n := len(strings.Split(list, "\n")); n != 2 {
		t.Errorf("evidence list has %d lines for one item:\n%s", n, list)
	}
}
