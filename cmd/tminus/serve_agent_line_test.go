package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve says whose agent signs: its own on the home's socket, or the
// separate `tminus agent` already there. It said "agent on PATH" either way.
func TestServeSaysWhoseAgent(t *testing.T) {
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "a")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")

	s := c.serve(home)
	waitUntil(t, 30*time.Second, "serve's writer line", func() bool { return strings.Contains(s.stderr(), "writes for this home on") })
	if !strings.Contains(s.stderr(), "; agent on "+filepath.Join(home, "agent.sock")) {
		t.Errorf("serve alone: %s", s.stderr())
	}
	s.kill()

	startAgent(t, c.bin, home)
	s = c.serve(home)
	waitUntil(t, 30*time.Second, "serve's writer line", func() bool { return strings.Contains(s.stderr(), "writes for this home on") })
	if !strings.Contains(s.stderr(), "signs through the agent on "+filepath.Join(home, "agent.sock")) {
		t.Errorf("serve beside an agent: %s", s.stderr())
	}
}
