package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"
)

// agentEnv is the environment of a shell after eval "$(tminus agent)": no
// passphrase anywhere, so every write must be signed by the agent.
func agentShell(sock string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TMINUS_PASSPHRASE=") || strings.HasPrefix(kv, "TMINUS_AGENT_SOCK=")
	})
	if sock != "" {
		env = append(env, "TMINUS_AGENT_SOCK="+sock)
	}
	return env
}

// tryBinary runs tminus and returns stdout, stderr and the exit code.
func tryBinary(t *testing.T, bin string, env []string, home string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--home", home}, args...)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String()), errb.String(), code
}

// foregroundAgent starts `tminus agent --foreground` on home and waits for
// its eval lines; t's cleanup kills it.
type fgAgent struct {
	cmd  *exec.Cmd
	sock string
	mu   gosync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func startAgent(t testing.TB, bin, home string, extra ...string) *fgAgent {
	t.Helper()
	return startAgentWith(t, bin, home, "pw", extra...)
}

// startAgentWith starts the agent unlocking home's key with pass.
func startAgentWith(t testing.TB, bin, home, pass string, extra ...string) *fgAgent {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--home", home, "agent", "--foreground"}, extra...)...)
	cmd.Env = append(agentShell(""), "TMINUS_PASSPHRASE="+pass)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &fgAgent{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { a.mu.Lock(); defer a.mu.Unlock(); return a.log.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(a.done) }()
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-a.done })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("agent printed no eval line: %v; log: %s", err, a.logText())
	}
	sock, ok := strings.CutPrefix(strings.SplitN(line, ";", 2)[0], "TMINUS_AGENT_SOCK=")
	if !ok {
		t.Fatalf("eval line %q", line)
	}
	a.sock = sock
	return a
}

func (a *fgAgent) logText() string { a.mu.Lock(); defer a.mu.Unlock(); return a.log.String() }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func countEvents(t *testing.T, bin, home string) int {
	t.Helper()
	out := runBinary(t, bin, append(agentShell(""), "TMINUS_PASSPHRASE=pw"), home, "log", "--json")
	return strings.Count(out, "\n") + 1
}

// One unlock, then writes from a shell without any passphrase; lock makes
// them fail clearly; a second agent is refused; a stale socket is replaced.
func TestAgentSignsForTheShell(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "a")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	inc := c.run(home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")

	ag := startAgent(t, c.bin, home)
	if ag.sock != filepath.Join(home, "agent.sock") {
		t.Fatalf("socket %s, want agent.sock in the home", ag.sock)
	}
	if fi, err := os.Stat(ag.sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	shell := agentShell(ag.sock)

	out, errs, code := tryBinary(t, c.bin, shell, home, "note", inc, "signed by the agent")
	if code != 0 {
		t.Fatalf("note through the agent: exit %d: %s", code, errs)
	}
	// The log line reaches the test through the agent's stderr pipe, which
	// may lag the note's return: wait for it.
	logged := func() bool {
		return strings.Contains(ag.logText(), "signed note") && strings.Contains(ag.logText(), inc[:10])
	}
	for deadline := time.Now().Add(10 * time.Second); !logged() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !logged() {
		t.Fatalf("agent log does not name the note and its incident:\n%s", ag.logText())
	}
	_ = out

	var st struct {
		Locked  bool    `json:"locked"`
		Address string  `json:"address"`
		Expires *string `json:"expires"`
	}
	js, errs, code := tryBinary(t, c.bin, shell, home, "agent", "status", "--json")
	if code != 0 || json.Unmarshal([]byte(js), &st) != nil {
		t.Fatalf("status: %d %s %s", code, js, errs)
	}
	if st.Locked || st.Expires == nil {
		t.Fatalf("status %+v", st)
	}
	if exp, err := time.Parse("2006-01-02T15:04:05.000Z07:00", *st.Expires); err != nil || time.Until(exp) < 7*time.Hour {
		t.Fatalf("expires %q (%v): want about 8h from now", *st.Expires, err)
	}

	// A second agent on the same socket is refused; the first still answers.
	_, errs, code = tryBinary(t, c.bin, append(agentShell(""), "TMINUS_PASSPHRASE=pw"), home, "agent", "--foreground")
	if code == 0 || !strings.Contains(errs, "already answers") {
		t.Fatalf("second agent: exit %d: %s", code, errs)
	}

	before := countEvents(t, c.bin, home)
	if _, errs, code := tryBinary(t, c.bin, shell, home, "agent", "lock"); code != 0 {
		t.Fatal(errs)
	}
	_, errs, code = tryBinary(t, c.bin, shell, home, "note", inc, "after lock")
	if code == 0 || !strings.Contains(errs, "locked") {
		t.Fatalf("note with a locked agent: exit %d: %s", code, errs)
	}
	if got := countEvents(t, c.bin, home); got != before {
		t.Fatalf("a refused write stored something: %d events, had %d", got, before)
	}
	// The passphrase given by the environment unlocks the agent again.
	if _, errs, code := tryBinary(t, c.bin, append(shell, "TMINUS_PASSPHRASE=pw"), home, "note", inc, "unlocked again"); code != 0 {
		t.Fatalf("note unlocking the agent: %s", errs)
	}
	if _, errs, code := tryBinary(t, c.bin, shell, home, "note", inc, "and stays unlocked"); code != 0 {
		t.Fatalf("note after unlock: %s", errs)
	}

	// Killed, it leaves its socket file behind: the next agent replaces it.
	ag.cmd.Process.Signal(syscall.SIGKILL)
	<-ag.done
	if _, err := os.Lstat(ag.sock); err != nil {
		t.Fatalf("a killed agent's socket should stay behind: %v", err)
	}
	_, errs, code = tryBinary(t, c.bin, shell, home, "note", inc, "agent gone")
	if code == 0 || !strings.Contains(errs, "no agent answers") {
		t.Fatalf("note with TMINUS_AGENT_SOCK and no agent: exit %d: %s", code, errs)
	}
	ag2 := startAgent(t, c.bin, home)
	if _, errs, code := tryBinary(t, c.bin, agentShell(ag2.sock), home, "note", inc, "new agent"); code != 0 {
		t.Fatalf("note via the replacing agent: %s", errs)
	}
}

// While serve runs, three shells write concurrently through it: every note
// stored, one chain, no error, no SQLITE_BUSY, and none signed elsewhere.
func TestConcurrentShellsWriteThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "a")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	inc := c.run(home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	s := c.serve(home)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr(), "writes for this home") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not take the home's writes:\n%s", s.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	shell := agentShell("") // no passphrase: serve's agent socket signs
	const shells, each = 3, 15
	var wg gosync.WaitGroup
	errc := make(chan string, shells*each)
	for i := range shells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if _, errs, code := tryBinary(t, c.bin, shell, home, "note", inc, fmt.Sprintf("shell %d note %d", i, j)); code != 0 {
					errc <- errs
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for e := range errc {
		t.Errorf("a write failed: %s", e)
	}
	out := runBinary(t, c.bin, append(shell, "TMINUS_PASSPHRASE=pw"), home, "verify")
	_ = out
	got := strings.Count(runBinary(t, c.bin, append(shell, "TMINUS_PASSPHRASE=pw"), home, "log", "--json"), `"kind":"note.add"`)
	if got != shells*each {
		t.Fatalf("%d notes stored, want %d", got, shells*each)
	}
	if n := strings.Count(s.stderr(), "signed note"); n != shells*each {
		t.Fatalf("serve signed %d notes, want %d:\n%s", n, shells*each, s.stderr())
	}
}

// eval "$(tminus agent)": the background agent's socket must outlive the
// process that spawned it, so the very next command in the shell signs
// through it, and agent stop ends it.
func TestBackgroundAgentKeepsItsSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "a")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	inc := c.run(home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")

	out, errs, code := tryBinary(t, c.bin, append(agentShell(""), "TMINUS_PASSPHRASE=pw"), home, "agent", "--ttl", "5m")
	if code != 0 {
		t.Fatalf("tminus agent: exit %d: %s", code, errs)
	}
	sock, ok := strings.CutPrefix(strings.SplitN(out, ";", 2)[0], "TMINUS_AGENT_SOCK=")
	if !ok {
		t.Fatalf("eval lines %q", out)
	}
	shell := agentShell(sock)
	t.Cleanup(func() { tryBinary(t, c.bin, shell, home, "agent", "stop") })
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket %s gone after tminus agent returned: %v", sock, err)
	}
	if _, errs, code := tryBinary(t, c.bin, shell, home, "note", inc, "through the background agent"); code != 0 {
		t.Fatalf("note through the background agent: exit %d: %s", code, errs)
	}
	if _, errs, code := tryBinary(t, c.bin, shell, home, "agent", "stop"); code != 0 {
		t.Fatalf("agent stop: exit %d: %s", code, errs)
	}
}
