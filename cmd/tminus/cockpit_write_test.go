package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/workspace"
)

// An agent locked while the cockpit is open (agent lock, its ttl) made every write say
// "sign: the agent is locked" and no more: the cockpit cannot prompt for the passphrase
// on its full screen, so the status line must say what to do in a shell.
func TestCockpitWriteWithLockedAgentSaysHowToUnlock(t *testing.T) {
	home, inc := newWorkspace(t)
	a := startAgentWith(t, binary(t), home, "correct horse")
	t.Setenv(workspace.AgentSockEnv, a.sock)
	os.Unsetenv("TMINUS_PASSPHRASE") // newWorkspace's t.Setenv restores it; the cockpit has none to unlock with
	ctx := context.Background()
	h := &workspace.Home{Dir: home}
	t.Cleanup(func() { h.Close() })
	b, err := newStoreBackend(ctx, h, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := domain.ParseID(inc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Do(ctx, &domain.Note{Incident: id, Text: "before the lock"}); err != nil {
		t.Fatalf("write through the unlocked agent: %v", err)
	}
	must(t, home, "agent", "lock")
	_, err = b.Do(ctx, &domain.Note{Incident: id, Text: "after the lock"})
	if err == nil || !strings.Contains(err.Error(), "tminus agent unlock") {
		t.Fatalf("write with the agent locked: %v, want what to run", err)
	}
}
