package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"testing"
)

// The background agent holds the key for a shift; it must not also hold
// the passphrase that decrypts key.json. It inherited the environment that
// ran eval "$(tminus agent)", TMINUS_PASSPHRASE included, readable for
// eight hours in /proc/PID/environ by any process of the user (ptrace
// restrictions do not cover it): the raw key, which the agent never hands
// out, was one file read away.
func TestBackgroundAgentForgetsThePassphrase(t *testing.T) {
	home, _ := newWorkspace(t)
	env := append(agentShell(""), "TMINUS_PASSPHRASE=correct horse", "TMINUS_SSH_PASSPHRASE=ssh secret")
	out, errs, code := tryBinary(t, binary(t), env, home, "agent")
	if code != 0 {
		t.Fatalf("agent: %s", errs)
	}
	m := regexp.MustCompile(`TMINUS_AGENT_PID=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("agent printed no pid: %q", out)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Skipf("cannot read the agent's environment here: %v", err)
	}
	for _, secret := range []string{"correct horse", "ssh secret"} {
		if bytes.Contains(environ, []byte(secret)) {
			t.Errorf("the background agent's environment holds %q", secret)
		}
	}
	must(t, home, "agent", "stop")
}
