package tui

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// proposeAgain has bob propose the pause again, signing with signer.
func (s *scenario) proposeAgain(signer string, when time.Time) domain.ID {
	cmd := "cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' \"pause()\" --rpc-url 'mainnet' '" + signer + "'"
	return s.apply("bob", &domain.RunbookPropose{Incident: s.p1, Runbook: "contract-pause",
		RunbookHash: domain.CommandHash("contract-pause.md"), Step: 2, StepTitle: "Pause",
		Params:  map[string]string{"contract": "0x5e4e65926ba27467555eb562121fac00d24e9dd2", "rpc": "mainnet", "signer": signer},
		Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 2,
		Approvers: []string{"containment", "triage"}}, when)
}

// A step's captured output is evidence only when the step did its work: a run that
// exited non-zero, was interrupted (130) or timed out recorded its output, but that
// output does not answer "was evidence collected before containment?". The proposals'
// evidence column, the detail under the list and the execute dialog all say so.
func TestFailedRunIsNotEvidence(t *testing.T) {
	tests := []struct {
		name     string
		exit     int
		timedOut bool
		counted  bool
	}{
		{"exit 0", 0, false, true},
		{"exit 1", 1, false, false},
		{"interrupted", 130, false, false},
		{"timed out", 137, true, false},
		{"timed out at exit 0", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			snap := "cast balance '0x5e4e65926ba27467555eb562121fac00d24e9dd2' --block '19442001' --rpc-url \"$RPC_URL\""
			ev := s.apply("alice", &domain.RunbookPropose{Incident: s.p1, Runbook: "evidence-chain-state",
				RunbookHash: domain.CommandHash("evidence-chain-state.md"), Step: 1, StepTitle: "Balance at a block",
				Params:  map[string]string{"address": "0x5e4e65926ba27467555eb562121fac00d24e9dd2", "block": "19442001"},
				Command: snap, CommandHash: domain.CommandHash(snap), Risk: domain.RiskLow}, at("03:34:00"))
			out := []byte("Error: server returned an error response: error code -32000\n")
			s.apply("alice", &domain.RunbookExec{Proposal: ev, ExitCode: tt.exit, TimedOut: tt.timedOut, DurationMs: 900,
				Output: s.putBlob(out), OutputSize: int64(len(out))}, at("03:35:00"))
			if x := s.st.Proposals[ev].Exec; x == nil || x.ExitCode != tt.exit {
				t.Fatalf("the run was not folded: %+v", s.st.Rejected)
			}
			again := s.proposeAgain("--trezor", at("03:40:00")) // after the run
			inc := s.st.Incidents[s.p1]
			e := evidenceBefore(s.st, inc, s.st.Proposals[again])
			if (e.n == 1) != tt.counted || (e.failed == 1) == tt.counted {
				t.Errorf("evidence before the second pause = %+v, want the run counted: %v", e, tt.counted)
			}

			h := newHarness(t, s.fake, 160, 48)
			h.press("4") // the newest waiting proposal first: the second pause
			h.contains("▸contract-pause")
			if tt.counted {
				h.contains("evid 1 03:35", "evidence before it: 1, latest evidence-chain-state")
				h.lacks("not counted")
			} else {
				h.contains("no evidence", "no evidence before it (1 failed run not counted)")
				h.lacks("evid 1")
			}
			h.press("x")
			h.contains("Execute contract-pause step 2")
			if tt.counted {
				h.contains("evidence before it: 1")
			} else {
				h.contains("! no evidence on the incident before this proposal (1 failed run not counted)")
			}
		})
	}
}
