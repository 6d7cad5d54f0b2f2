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

// An ack belongs to the firing it was made in: acked, resolved and firing
// again, the alert lists nobody on it (the ACKED cell names the earlier
// firing's ackers apart), acked_by keeps every ack on record and
// firing_acked_by is empty. The member who acked the earlier firing
// cannot ack again (the fold keeps one ack per member): ack refuses it
// before signing and says what to do instead.
func TestAlertListRefiredIsUnacked(t *testing.T) {
	home, _ := newWorkspace(t)
	alert := must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire")
	must(t, home, "alert", "ack", alert)
	type listed struct {
		ID            string   `json:"id"`
		AckedBy       []string `json:"acked_by"`
		FiringAckedBy []string `json:"firing_acked_by"`
		Refired       string   `json:"refired_at"`
		Status        string   `json:"status"`
	}
	list := func() (listed, string) {
		t.Helper()
		var all []listed
		mustJSON(t, must(t, home, "alert", "list", "--json"), &all)
		if len(all) != 1 {
			t.Fatalf("alert list --json lists %d alerts, want 1", len(all))
		}
		rows := strings.Split(must(t, home, "alert", "list"), "\n")
		return all[0], rows[len(rows)-1]
	}
	me := mustAddress(t, home)
	got, row := list()
	if len(got.FiringAckedBy) != 1 || got.FiringAckedBy[0] != me || got.Refired != "" || !strings.HasSuffix(row, "alice") {
		t.Fatalf("first firing, acked: firing_acked_by %v refired_at %q, row %q; want [%s], no refired_at, ACKED alice", got.FiringAckedBy, got.Refired, row, me)
	}
	must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire", "--resolved")
	if got, row = list(); len(got.FiringAckedBy) != 1 || !strings.HasSuffix(row, "alice") {
		t.Errorf("resolved: firing_acked_by %v, row %q; the ack of the firing that resolved still stands", got.FiringAckedBy, row)
	}
	must(t, home, "alert", "raise", "--title", "Bridge outflow", "--fingerprint", "refire")
	got, row = list()
	if got.Status != "firing" || len(got.FiringAckedBy) != 0 || got.Refired == "" {
		t.Errorf("fired again: status %s firing_acked_by %v refired_at %q; want firing, [], a time", got.Status, got.FiringAckedBy, got.Refired)
	}
	if len(got.AckedBy) != 1 || got.AckedBy[0] != me {
		t.Errorf("acked_by %v, want every ack on record [%s]", got.AckedBy, me)
	}
	if !strings.HasSuffix(row, "- (earlier firing: alice)") {
		t.Errorf("fired again: row %q, want ACKED to read - (earlier firing: alice)", row)
	}
	fails(t, home, "acknowledged an earlier firing", "alert", "ack", alert)
	// Not re-fired: the fold's own refusal of a second ack.
	other := must(t, home, "alert", "raise", "--title", "Disk full", "--fingerprint", "disk")
	must(t, home, "alert", "ack", other)
	fails(t, home, "already acknowledged", "alert", "ack", other)
}

// An alert nobody acked ends its row with "-", not with the padding of an
// empty last column.
func TestAlertListUnackedRowEnds(t *testing.T) {
	home, _ := newWorkspace(t)
	must(t, home, "alert", "raise", "--title", "Disk full", "--fingerprint", "disk")
	for _, line := range strings.Split(must(t, home, "alert", "list"), "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing spaces: %q", line)
		}
	}
	rows := strings.Split(must(t, home, "alert", "list"), "\n")
	if row := rows[len(rows)-1]; !strings.HasSuffix(row, " -") {
		t.Errorf("unacked row %q, want ACKED -", row)
	}
}
