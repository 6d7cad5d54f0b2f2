package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// eval "$(tminus --home h/z agent)" exports an absolute socket path: the
// shell that evaluates it will cd, and a relative one (h/z/agent.sock) made
// every write after that fail.
func TestAgentExportsAnAbsoluteSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	base := t.TempDir()
	home := filepath.Join(base, "h", "z")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	inc := c.run(home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")

	cmd := exec.Command(c.bin, "--home", filepath.Join("h", "z"), "agent", "--ttl", "5m")
	cmd.Dir = base
	cmd.Env = append(agentShell(""), "TMINUS_PASSPHRASE=pw")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tminus --home h/z agent: %v: %s", err, errb.String())
	}
	sock, ok := strings.CutPrefix(strings.SplitN(out.String(), ";", 2)[0], "TMINUS_AGENT_SOCK=")
	if !ok {
		t.Fatalf("eval lines %q", out.String())
	}
	shell := agentShell(sock)
	t.Cleanup(func() { tryBinary(t, c.bin, shell, home, "agent", "stop") })
	if want := filepath.Join(base, "h", "z", "agent.sock"); sock != want {
		t.Fatalf("TMINUS_AGENT_SOCK=%s, want the absolute %s", sock, want)
	}
	// After a cd (tryBinary runs in the test's own directory), writes still sign.
	if _, errs, code := tryBinary(t, c.bin, shell, home, "note", inc, "after a cd"); code != 0 {
		t.Fatalf("note through the agent from another directory: exit %d: %s", code, errs)
	}
}
