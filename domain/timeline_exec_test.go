package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// A run's timeline entry says how it ended, not only its exit code: a
// timeout, an interruption and a cut output each read in words.
func TestTimelineExecSaysHowItEnded(t *testing.T) {
	out := domain.CommandHash("out")[:12]
	for _, c := range []struct {
		exec domain.RunbookExec
		want string
	}{
		{domain.RunbookExec{ExitCode: 0, DurationMs: 5}, "exit 0 in 5ms, output sha256 " + out},
		{domain.RunbookExec{ExitCode: 124, DurationMs: 300000, TimedOut: true}, "exit 124 (timed out, killed) in 300000ms, output sha256 " + out},
		{domain.RunbookExec{ExitCode: 130, DurationMs: 900}, "exit 130 (interrupted) in 900ms, output sha256 " + out},
		{domain.RunbookExec{ExitCode: 2, DurationMs: 10, Truncated: true}, "exit 2 in 10ms, output sha256 " + out + ", its middle cut"},
	} {
		tm := timelineTeam(t, 21)
		inc := declare(t, tm, tlAlice, "Bridge halted")
		cmd := "echo out"
		propose := do(t, tm, tlAlice, &domain.RunbookPropose{Incident: inc.ID, Runbook: "probe", RunbookHash: domain.CommandHash("rb"),
			Step: 1, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskLow})
		c.exec.Proposal, c.exec.Output = propose.ID, domain.CommandHash("out")
		exec := do(t, tm, tlAlice, &c.exec)
		st, got := timelineOf(t, tm.Events, inc)
		accepted(t, st, tm.Events...)
		checkTimeline(t, got, []line{
			{inc, "alice", domain.KindIncidentDeclare, "declared [P2] Bridge halted"},
			{propose, "alice", domain.KindRunbookPropose, "proposed probe step 1: " + cmd},
			{exec, "alice", domain.KindRunbookExec, "executed probe step 1: " + c.want},
		})
	}
}
