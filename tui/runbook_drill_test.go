package tui

import (
	"testing"

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
