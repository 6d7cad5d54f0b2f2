package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The roster's enode for a member stays the one their first key had. A
// second rotation used to try to deliver itself to that node, this home's
// own retired key, and report it "not delivered" as if a peer missed it.
func TestSecondRotationSkipsRetiredKeys(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-twice", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	must(t, home, "key", "rotate", "--key", key, "--light-kdf")
	_, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf")
	if code != 0 {
		t.Fatalf("second rotation: exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "not delivered") || !strings.Contains(errs, "no peer known to deliver the rotation") {
		t.Errorf("second rotation, with no peer but this home's retired keys:\n%s", errs)
	}
}

// TMINUS_AGENT_SOCK left from another home's eval names an agent holding
// another key: key rotate refused as if that agent held this home's key,
// and did not look at the home's own agent.sock at all. It now looks at
// both and refuses only an agent holding this key.
func TestKeyRotateIgnoresAnotherHomesAgent(t *testing.T) {
	other, _ := newWorkspace(t)
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-rot2", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	a := startAgentWith(t, binary(t), other, "correct horse")
	own := startAgentWith(t, binary(t), home, "correct horse") // on the home's agent.sock
	t.Setenv("TMINUS_AGENT_SOCK", a.sock)

	fails(t, home, "an agent holds this home's old key ("+filepath.Join(home, "agent.sock")+")", "key", "rotate", "--key", key, "--light-kdf")
	t.Setenv("TMINUS_AGENT_SOCK", "")
	must(t, home, "agent", "stop")
	<-own.done
	t.Setenv("TMINUS_AGENT_SOCK", a.sock)
	if _, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf"); code != 0 {
		t.Fatalf("key rotate beside another home's agent: exit %d: %s", code, errs)
	}
}
