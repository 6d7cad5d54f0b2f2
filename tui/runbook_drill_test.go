package tui

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// TestExecOnADrillSaysItRunsForReal: a drill's events never count in real metrics, and a
// responder rehearsing may take its steps for pretend ones too; the command runs on this
// machine all the same, and the confirmation says so.
func TestExecOnADrillSaysItRunsForReal(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	h := newHarness(t, s.fake, 160, 48)
	h.press("4", "x")
	h.lacks("runs for real")
	h.press("esc")
	s.st.Incidents[s.st.Proposals[s.pause].Incident].Drill = true
	h.press("x")
	h.contains("It runs exactly:", "DRILL incident: the command runs for real on this machine all the same")
}

// TestExecDoneSaysTheOutputWasCut: a run that printed more than the cap kept its start and
// end only; the status line said "output 1.0 MB kept as evidence" as if that were all of it.
func TestExecDoneSaysTheOutputWasCut(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 160, 48)
	h.m.Update(execDoneMsg{id: s.pause, what: "contract-pause step 2",
		res: ExecResult{Duration: time.Second, OutputSize: 1<<20 + 90, Truncated: true}})
	h.contains("ran contract-pause step 2: exit 0 in 1.0s, output 1.0 MB kept as evidence: its start and end, the middle cut")
}
