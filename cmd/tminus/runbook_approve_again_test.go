package main

import (
	"strings"
	"testing"
)

// A member who approves a proposal they already approved is refused, as
// before, but told where it stands: the proposer, who never ran approve,
// read "alice already approved" as a mistake, and nobody learnt how many
// approvals were missing or that the quorum was met. Nothing is stored.
func TestRunbookApproveAgain(t *testing.T) {
	w := newCockpitWorkspace(t)
	id := must(t, w.home, "runbook", "propose", w.incident[:8], "stand-in-pause", "--param", "target=vault")
	theirs := w.bobs(t, w.pauseProposal(t))
	must(t, w.home, "runbook", "approve", theirs[:10]) // the second of two
	for _, tc := range []struct {
		id, msg string
	}{
		{id, "alice proposed " + id[:10] + ", and a proposal counts as its proposer's approval: 1 of 2 approvals; it needs 1 more from another member ("},
		{theirs, "alice already approved " + theirs[:10] + ": 2 of 2 approvals; the quorum is met: tminus runbook exec " + theirs[:10] + " runs it"},
	} {
		before := eventCount(t, w.home)
		for _, args := range [][]string{{"runbook", "approve", tc.id[:10]}, {"runbook", "approve", "--json", tc.id[:10]}} {
			out, errs, code := tminus(t, w.home, args...)
			if code != 1 || out != "" || !strings.Contains(errs, tc.msg) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errs, tc.msg)
			}
		}
		if n := eventCount(t, w.home); n != before {
			t.Errorf("a refused approval stored %d events", n-before)
		}
	}
}
