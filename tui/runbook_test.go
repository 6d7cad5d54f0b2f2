package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// The runbooks tab of the scenario, from the top:
//
//	0 the contract-pause proposal (bob, step 2, 1/2 approvals)
//	1 contract-pause  2 evidence-chain-state  3 host-quarantine  4 safe-freeze  (fit P1)
//	5 comms-kickoff (P3/P4 only)

func proposalsOf(s *domain.State, runbook string) []*domain.Proposal {
	var out []*domain.Proposal
	for _, p := range s.Proposals {
		if p.Runbook == runbook {
			out = append(out, p)
		}
	}
	return out
}

func TestProposeWithLiveValidation(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "j", "j", "j") // host-quarantine
	h.contains("▸host-quarantine")
	h.press("p")
	h.contains("Propose host-quarantine for Vault drain on the L2 bridge", "Step", "1 Capture the process list", "host")
	h.press("right") // the second step: cut the host off
	h.contains("[2 Cut the host off]")
	h.press("enter")
	h.contains("DNS name of the host · pattern ^[a-z0-9.-]+$", "$ ssh {{host}} sudo nft")
	// A value outside the pattern is refused as it is typed, before enter.
	h.typeText("; rm -rf /")
	h.contains("host ✗", `error: param host: value "; rm -rf /" does not match ^[a-z0-9.-]+$`)
	h.press("enter")
	h.contains("Propose host-quarantine", "does not match")
	if len(s.pending) != 0 || len(proposalsOf(s.st, "host-quarantine")) != 0 {
		t.Fatal("a proposal was signed with a value that fails its pattern")
	}
	for range "; rm -rf /" {
		h.press("backspace")
	}
	h.typeText("vault-1.internal")
	h.lacks("error:", "host ✗")
	h.contains("$ ssh 'vault-1.internal' sudo nft add rule inet filter output drop")
	h.press("enter")
	ps := proposalsOf(s.st, "host-quarantine")
	if len(ps) != 1 {
		t.Fatalf("%d host-quarantine proposals, want 1", len(ps))
	}
	p := ps[0]
	if p.Step != 2 || p.Params["host"] != "vault-1.internal" || p.Command != "ssh 'vault-1.internal' sudo nft add rule inet filter output drop" ||
		p.CommandHash != domain.CommandHash(p.Command) || p.Quorum != 2 || p.Incident != s.p1 {
		t.Errorf("proposal = %+v", p)
	}
	// alice holds an approver role: her proposal counts as her approval.
	h.contains("✓ proposed host-quarantine step 2: 1/2 approvals", "▸host-quarantine        1/2 appr  no evidence   2 Cut the host off · alice")
}

func TestProposeSkipsParamsTheStepDoesNotUse(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "j", "p") // contract-pause, step 1 (evidence) by default
	h.contains("‹ 1 Record the block", "signer     · not used by this step")
	h.press("enter")
	h.typeText("0x5e4e65926ba27467555eb562121fac00d24e9dd2")
	h.press("enter")
	h.typeText("mainnet")
	h.press("enter") // signer is skipped: this submits
	var p *domain.Proposal
	for _, x := range proposalsOf(s.st, "contract-pause") {
		if x.ID != s.pause {
			p = x
		}
	}
	if p == nil {
		t.Fatalf("no new proposal:\n%s", h.screen())
	}
	if _, ok := p.Params["signer"]; ok || p.Step != 1 || len(p.Params) != 2 {
		t.Errorf("params %v step %d, want contract and rpc for step 1", p.Params, p.Step)
	}
}

func TestProposeAgainFromAProposal(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "p") // on bob's proposal: the form starts from its step and values
	h.contains("‹ 2 Pause ›", "0x5e4e65926ba27467555eb562121fac00d24e9dd2", "--ledger",
		`$ cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' "pause()"`)
	h.press("esc")
	h.lacks("Propose contract-pause")
	if len(s.pending) != 0 {
		t.Error("esc signed something")
	}
}

func TestProposeNeedsAnIncident(t *testing.T) {
	f := newFake(t, t0)
	f.runbooks = testRunbooks
	f.apply("alice", &domain.Genesis{Name: "quiet", Founder: domain.MemberSpec{Address: f.addr("alice"), Handle: "alice",
		Roles: []string{"containment"}}}, t0)
	h := newHarness(t, f, 80, 24)
	h.press("4")
	h.lacks("PROPOSALS", "p proposes")
	h.press("p")
	h.lacks("Propose")
}

func TestApproveProposal(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4")
	h.contains("▸contract-pause         1/2 appr  no evidence")
	h.press("A")
	h.contains("Approve contract-pause step 2? Your signature covers this exact command:", "approvals 1/2 so far: bob")
	h.press("esc")
	h.contains("✓ cancelled: nothing was signed")
	if len(s.pending) != 0 {
		t.Fatal("esc signed an approval")
	}
	h.press("A", "y")
	if got := s.st.Proposals[s.pause].Approvals; len(got) != 2 || got[1] != "alice" {
		t.Fatalf("approvals %v, want [bob alice]", got)
	}
	h.contains("✓ approved contract-pause step 2: 2/2", "2/2 ready", "approved 2/2: bob, alice")
}

func TestApproveErrorsStayInTheStatusLine(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "A", "y")
	h.press("A") // again
	h.contains("✗ alice already approved contract-pause step 2 (2/2)")
	h.lacks("Your signature covers")
	if h.quit {
		t.Fatal("an approval error quit the cockpit")
	}

	s2 := newScenario(t)
	s2.me = "carol" // comms and reporter: not an approver of contract-pause
	h2 := newHarness(t, s2.fake, 80, 24)
	h2.press("4", "A")
	h2.contains("✗ carol is not an approver for contract-pause (needs containment or triage)")
	if len(s2.pending) != 0 {
		t.Error("an approval was signed for a member who may not approve")
	}

	// The fold has the last word: a refusal it finds is reported, not hidden.
	s3 := newScenario(t)
	h3 := newHarness(t, s3.fake, 80, 24)
	h3.press("4", "A")
	s3.external("alice", &domain.RunbookApprove{Proposal: s3.pause}, t0) // another process of alice's, first
	h3.press("y")
	h3.contains("✗ stored but refused by the fold: alice already approved")
}

func TestExecConfirmsWithTheExactCommandAndRuns(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	h := newHarness(t, s.fake, 160, 48)
	h.press("4", "x")
	cmd := s.st.Proposals[s.pause].Command
	h.contains("Execute contract-pause step 2 on this machine? It runs exactly:", "$ "+cmd,
		"ok not executed yet", "ok executor holds the containment role", "ok 2/2 approvals from",
		"! no evidence on the incident before this proposal", "y run it here   n/esc cancel")
	h.press("esc")
	h.lacks("It runs exactly")
	h.contains("✓ cancelled: nothing was signed")
	if len(s.ran) != 0 || len(s.pending) != 0 {
		t.Fatal("esc ran the command")
	}
	h.press("x", "y")
	if len(s.ran) != 1 || s.ran[0] != s.pause {
		t.Fatalf("ran %v, want the pause proposal once", s.ran)
	}
	ex := s.st.Proposals[s.pause].Exec
	if ex == nil || ex.By != "alice" || ex.ExitCode != 0 || ex.DurationMs != 1234 {
		t.Fatalf("execution = %+v", ex)
	}
	h.contains("✓ ran contract-pause step 2: exit 0 in 1.2s, output 28 B kept as evidence", "exit 0",
		"ran by alice 03:57: exit 0 in 1.2s · output 28 B", "o reads it")
	// Nothing left to approve or run on it.
	if h.m.ctx.Keys.Exec.Enabled() || h.m.ctx.Keys.Approve.Enabled() {
		t.Error("approve or execute still enabled on an executed proposal")
	}
}

func TestExecRefusedWhileTheGateIsNotMet(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "x")
	h.contains("It runs exactly:", "NO 1/2 approvals from containment or triage: needs 1 more", "the gate is not met", "esc close")
	h.lacks("y run it here")
	h.press("y")
	if len(s.ran) != 0 {
		t.Fatal("y ran a command whose gate is not met")
	}
	h.contains("It runs exactly:")
	h.press("esc")
	h.lacks("It runs exactly:")
}

func TestExecRunsWithoutBlockingAndFailuresShow(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	s.execHold = make(chan struct{})
	s.execExit = 1
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "x")
	_, cmd := h.m.Update(keyMsg("y")) // the run starts; its result is held back
	h.contains("… running contract-pause step 2 here", "running…")
	// The cockpit stays live: keys, polls and the clock work while the command runs.
	h.press("1", "4")
	h.poll()
	h.tick(time.Second)
	h.contains("+00:41:08", "running…")
	h.press("x")
	h.lacks("It runs exactly") // one command at a time
	h.press("q")
	h.contains("contract-pause step 2 is still running here. Quit anyway?")
	h.press("n")
	if h.quit {
		t.Fatal("quit while a command was running without asking")
	}
	close(s.execHold)
	h.run(cmd)
	h.contains("✗ ran contract-pause step 2: exit 1 in 1.2s, output 28 B kept as evidence", "exit 1")
	h.lacks("running…")
}

func TestExecErrorNothingRecorded(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	s.execErr = errors.New("proposal 3fa9c1 may not run here: local runbook file matches the proposal: contract-pause.md hashes 1, the proposal has 2")
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "x", "y")
	h.contains("✗ contract-pause step 2: proposal 3fa9c1 may not run here")
	if s.st.Proposals[s.pause].Exec != nil {
		t.Fatal("an execution was recorded")
	}
}

func TestEvidenceFirstNextToAProposal(t *testing.T) {
	s := newScenario(t)
	sum := strings.Repeat("9f", 32)
	s.external("dave", &domain.EvidenceAdd{Incident: s.p1, Name: "vault-balances-19442001.json", SHA256: sum, Size: 2048}, at("03:21:00"))
	s.external("bob", &domain.EvidenceAdd{Incident: s.p1, Name: "relayer-logs.tar", SHA256: sum, Size: 4096}, at("03:29:00"))
	s.external("bob", &domain.EvidenceAdd{Incident: s.p1, Name: "after.json", SHA256: sum, Size: 1}, at("03:50:00")) // after the proposal
	h := newHarness(t, s.fake, 80, 24)
	h.poll()
	h.press("4")
	h.contains("▸contract-pause         1/2 appr  evid 2 03:29", "evidence before it: 2, latest relayer-logs.tar by bob 03:29")
	h.lacks("no evidence")
}

func TestRunbookKeysOnlyWhereTheyApply(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 160, 48)
	k := h.m.ctx.Keys
	h.press("4")
	if !k.Approve.Enabled() || !k.Exec.Enabled() || !k.Propose.Enabled() {
		t.Error("on a waiting proposal, approve, execute and propose should be on")
	}
	h.press("?")
	h.contains("Runbooks", "A            approve", "x            execute", "p            propose")
	h.press("esc", "j") // a runbook row: nothing to approve or run
	if k.Approve.Enabled() || k.Exec.Enabled() || !k.Propose.Enabled() {
		t.Error("on a runbook row only propose and copy apply")
	}
	h.press("?") // still listed, in parentheses: the keys of a tab do not come and go
	h.contains("(A)          approve", "(x)          execute", "p            propose")
	h.press("esc")
	// A read-only view keeps the destructive keys off, wherever the cursor goes.
	k.DisableDestructive()
	h.press("k")
	if k.Approve.Enabled() || k.Exec.Enabled() {
		t.Error("a read-only view enabled a destructive key")
	}
	h.press("A", "x")
	h.lacks("Approve contract-pause", "It runs exactly")
}

func TestWordWrap(t *testing.T) {
	tests := []struct {
		s    string
		w, n int
		want []string
	}{
		{"a quick brown fox", 7, 3, []string{"a quick", "brown", "fox"}},
		{"a quick brown fox", 7, 2, []string{"a quick", "brown …"}},
		{"abcdefghij", 4, 5, []string{"abcd", "efgh", "ij"}},
		{"", 4, 2, nil},
	}
	for _, tt := range tests {
		if got := wordWrap(tt.s, tt.w, tt.n); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wordWrap(%q, %d, %d) = %q, want %q", tt.s, tt.w, tt.n, got, tt.want)
		}
	}
}

// A y typed ahead of the confirmation (a paste without bracketed paste turns
// text into keys: "...x...y...") does not run the command; after the delay
// it does.
func TestExecIgnoresYTypedAhead(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	h := newHarness(t, s.fake, 160, 48)
	h.m.opt.ConfirmAfter = time.Hour
	h.press("4", "x", "y")
	if len(s.ran) != 0 {
		t.Fatal("a y right after x ran the command")
	}
	h.contains("y came before the confirmation was on screen", "It runs exactly")
	h.m.dialog.opened = time.Now().Add(-2 * time.Hour)
	h.press("y")
	if len(s.ran) != 1 {
		t.Fatalf("ran %v after the delay, want the pause proposal once", s.ran)
	}
}
