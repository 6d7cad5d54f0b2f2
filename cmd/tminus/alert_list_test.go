package main

import (
	"strings"
	"testing"
)

// An alert's title and source are what a webhook sender wrote: a line feed
// or a tab in them split alert list's row and forged another under it
// (FAKE P1 firing 9/9). Each alert is one row, its cells on one line.
func TestAlertListOneRowAnAlert(t *testing.T) {
	home, _ := newWorkspace(t)
	must(t, home, "alert", "raise", "--title", "first line\nFAKE  P1  firing  9/9  Forged row\ttab", "--source", "ops\nbot",
		"--fingerprint", "nl")
	must(t, home, "alert", "raise", "--title", "Disk full", "--fingerprint", "disk")
	out := must(t, home, "alert", "list")
	lines := strings.Split(out, "\n")
	if len(lines) != 3 {
		t.Fatalf("alert list prints %d lines for 2 alerts:\n%s", len(lines), out)
	}
	var row string
	for _, l := range lines {
		if strings.Contains(l, "first line") {
			row = l
		}
	}
	for _, want := range []string{"first line FAKE P1 firing 9/9 Forged row tab", "ops bot"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q does not read %q", row, want)
		}
	}
}
