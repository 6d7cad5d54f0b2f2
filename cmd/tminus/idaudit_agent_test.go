package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A shell that ran eval "$(tminus agent)" for one home keeps
// TMINUS_AGENT_SOCK; the agent commands of another home used to act on
// that first home's agent: stop ended it, lock locked it, and starting this
// home's agent said "use it" of an agent holding another key.
func TestAgentCommandsRefuseAnotherHomesAgent(t *testing.T) {
	alice, _ := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	a := startAgentWith(t, binary(t), alice, "correct horse")
	t.Setenv("TMINUS_AGENT_SOCK", a.sock)

	for _, args := range [][]string{
		{"agent", "stop"},
		{"agent", "lock"},
		{"agent", "unlock"},
		{"agent", "status", "--json"},
		{"agent", "--ttl", "1m"},
	} {
		var errs string
		var code int
		if args[1] == "--ttl" {
			// The real binary: in this process, a start that is not refused
			// would spawn the test binary as the background agent.
			_, errs, code = tryBinary(t, binary(t), append(agentShell(a.sock), "TMINUS_PASSPHRASE=correct horse"), bob, args...)
			if code == 0 {
				tryBinary(t, binary(t), agentShell(a.sock), bob, "agent", "stop") // it listens where TMINUS_AGENT_SOCK says
			}
		} else {
			_, errs, code = tminus(t, bob, args...)
		}
		if code == 0 || !strings.Contains(errs, "another key") || !strings.Contains(errs, "unset TMINUS_AGENT_SOCK") {
			t.Errorf("tminus --home bob %s: exit %d: %s\nwant a refusal naming another key and what to do", strings.Join(args, " "), code, errs)
		}
	}
	var st struct{ Locked bool }
	if err := json.Unmarshal([]byte(must(t, alice, "agent", "status", "--json")), &st); err != nil || st.Locked {
		t.Fatalf("alice's agent after bob's commands: %+v %v, want it running and unlocked", st, err)
	}
	must(t, alice, "agent", "stop") // the home whose key it holds may
}

// An unlock gives the key a new TTL, and status reports the new expiry; the
// background agent used to exit at the first TTL's end all the same, before
// the expiry it had just reported.
func TestAgentLivesUntilTheExpiryItReports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an agent through its ttl")
	}
	home, _ := newWorkspace(t)
	a := startAgentWith(t, binary(t), home, "correct horse", "--ttl", "4s")
	time.Sleep(1500 * time.Millisecond) // so an unlock's TTL ends well after the first
	must(t, home, "agent", "lock")
	must(t, home, "agent", "unlock")
	var st struct {
		Locked  bool
		Expires string
	}
	if err := json.Unmarshal([]byte(must(t, home, "agent", "status", "--json")), &st); err != nil || st.Locked {
		t.Fatalf("status after unlock: %+v %v", st, err)
	}
	expires, err := time.Parse(time.RFC3339, st.Expires)
	if err != nil {
		t.Fatal(err)
	}
	// Poll until it stops answering; it must not stop before it said.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, _, code := tminus(t, home, "agent", "status"); code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent still answers long after its expiry %s", st.Expires)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if gone := time.Now(); gone.Before(expires) {
		t.Fatalf("the agent stopped at %s, before the expiry %s it reported", gone.UTC().Format(time.RFC3339Nano), st.Expires)
	}
	select {
	case <-a.done:
	case <-time.After(time.Minute):
		t.Fatal("the agent stopped answering but did not exit")
	}
	if log := a.logText(); !strings.Contains(log, "its ttl ran out") {
		t.Errorf("agent log does not say why it stopped:\n%s", log)
	}
}
