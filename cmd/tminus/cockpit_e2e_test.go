package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2e drives the real binary in a detached tmux session: the terminal, the key
// decoding and the alt screen are real, only the human is scripted.
type e2e struct {
	t      *testing.T
	tmux   string
	sock   string
	bin    string
	home   string
	env    []string
	target string
}

// TestCockpitEndToEnd builds the binary once and runs each scenario against it.
func TestCockpitEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed; the cockpit's end-to-end test needs it (.ci/run installs it with apt-get)")
	}
	bin := binary(t)
	t.Run("declare, task and timer with keys", func(t *testing.T) { testCockpitKeys(t, newE2E(t, tmux, bin)) })
	t.Run("demo is live and cleans up", func(t *testing.T) { testDemo(t, newE2E(t, tmux, bin)) })
	t.Run("a broken runbook is said on the screen", func(t *testing.T) { testCockpitBrokenRunbook(t, newE2E(t, tmux, bin)) })
	t.Run("serve stops under the cockpit", func(t *testing.T) { testCockpitServeStops(t, newE2E(t, tmux, bin)) })
}

func newE2E(t *testing.T, tmux, bin string) *e2e {
	t.Helper()
	dir := t.TempDir()
	e := &e2e{t: t, tmux: tmux, sock: fmt.Sprintf("tminus-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), bin: bin,
		home: filepath.Join(dir, "home"), env: append(os.Environ(), "TMINUS_PASSPHRASE=pw", "TMPDIR="+dir)}
	// A private tmux server: the test never touches the user's sessions, and killing
	// it at the end stops only what the test started.
	t.Cleanup(func() { exec.Command(tmux, "-L", e.sock, "kill-server").Run() })
	return e
}

func (e *e2e) cli(args ...string) string {
	e.t.Helper()
	return runBinary(e.t, e.bin, e.env, e.home, args...)
}

func (e *e2e) tmuxRun(args ...string) (string, error) {
	out, err := exec.Command(e.tmux, append([]string{"-L", e.sock}, args...)...).CombinedOutput()
	return string(out), err
}

// start runs the command line in a new w x h session.
func (e *e2e) start(name string, w, h int, cmdline string) {
	e.t.Helper()
	e.target = name
	if out, err := e.tmuxRun("new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmdline); err != nil {
		e.t.Fatalf("tmux new-session: %v %s", err, out)
	}
}

func (e *e2e) screen() string {
	out, _ := e.tmuxRun("capture-pane", "-p", "-t", e.target)
	return out
}

// waitFor polls the screen until it shows every string, and says how long it took.
func (e *e2e) waitFor(within time.Duration, want ...string) time.Duration {
	e.t.Helper()
	start := time.Now()
	var s string
	for time.Since(start) < within {
		s = e.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("after %s the screen lacks %q:\n%s", within, want, s)
	return 0
}

// keys sends tmux key names (Enter, Escape, D); text is sent literally.
func (e *e2e) keys(keys ...string) {
	e.t.Helper()
	for _, k := range keys {
		if _, err := e.tmuxRun("send-keys", "-t", e.target, k); err != nil {
			e.t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // a typist's pace: each key its own read
	}
}

func (e *e2e) text(s string) {
	e.t.Helper()
	if _, err := e.tmuxRun("send-keys", "-t", e.target, "-l", s); err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
}

func (e *e2e) waitGone(within time.Duration) {
	e.t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if _, err := e.tmuxRun("has-session", "-t", e.target); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("the cockpit is still running after %s:\n%s", within, e.screen())
}

func testCockpitKeys(t *testing.T, e *e2e) {
	e.cli("init", "--name", "acme", "--handle", "alice", "--light-kdf")
	e.start("cockpit", 80, 24, fmt.Sprintf("env TMINUS_PASSPHRASE=pw TERM=xterm-256color %s --home %s", e.bin, e.home))
	e.waitFor(10*time.Second, "acme", "no incident selected", "[1 Alerts]")

	e.keys("D")
	e.waitFor(3*time.Second, "Declare an incident")
	e.text("Relayer key compromise")
	e.keys("Enter", "Left", "Enter", "Enter") // P2 to P1: a choice moves on the arrows only
	e.waitFor(3*time.Second, "[P1] Relayer key compromise", "declared")

	e.keys("t")
	e.waitFor(3*time.Second, "Add a task")
	e.text("Rotate the relayer key")
	e.keys("Enter", "Enter")
	e.text("30m")
	e.keys("Enter")
	e.waitFor(3*time.Second, "task added")

	e.keys("T")
	e.waitFor(3*time.Second, "Add a T-minus timer")
	e.text("Containment check")
	e.keys("Enter")
	e.text("15m")
	e.keys("Enter", "Enter")
	e.waitFor(3*time.Second, "timer set", "NEXT T-14:")

	// An event appended by another process shows up without a key press.
	var list []struct {
		ID, Title, Severity string
		Tasks               []struct{ Title string }
		Timers              []struct{ Label, Due string }
	}
	if err := json.Unmarshal([]byte(e.cli("incident", "list", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("incident list: %v %+v", err, list)
	}
	e.keys("5")
	e.cli("note", list[0].ID[:8], "second responder on the bridge call")
	took := e.waitFor(3*time.Second, "second responder on the bridge call")
	t.Logf("a note appended by another process was on screen after %s", took)
	if took > 1500*time.Millisecond {
		t.Errorf("the note took %s to appear; want under a second plus polling slack", took)
	}

	e.keys("q")
	e.waitGone(5 * time.Second)

	inc := list[0]
	if inc.Title != "Relayer key compromise" || inc.Severity != "P1" {
		t.Errorf("declared %+v, want the P1 typed in", inc)
	}
	if len(inc.Tasks) != 1 || inc.Tasks[0].Title != "Rotate the relayer key" {
		t.Errorf("tasks %+v", inc.Tasks)
	}
	if len(inc.Timers) != 1 || inc.Timers[0].Label != "Containment check" {
		t.Errorf("timers %+v", inc.Timers)
	}
	var shown struct {
		Timeline []struct{ By, Kind, Text string }
	}
	if err := json.Unmarshal([]byte(e.cli("incident", "show", inc.ID[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, en := range shown.Timeline {
		if en.By != "alice" {
			t.Errorf("timeline entry by %q, want alice: %+v", en.By, en)
		}
		kinds[en.Kind] = true
	}
	for _, k := range []string{"incident.declare", "task.add", "timer.set", "note.add"} {
		if !kinds[k] {
			t.Errorf("timeline lacks %s: %+v", k, shown.Timeline)
		}
	}
}

func testDemo(t *testing.T, e *e2e) {
	tmp := filepath.Join(filepath.Dir(e.home), "demo-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	e.start("demo", 80, 24, fmt.Sprintf("env TMPDIR=%s TERM=xterm-256color %s demo --peers-every 300ms", tmp, e.bin))
	e.waitFor(10*time.Second, "[P1] Vault drain on the L2 bridge", "NEXT", "contain bob")
	// The simulated peers make the screen change with no key pressed.
	e.keys("5")
	e.waitFor(5*time.Second, "Pause tx simulated on a mainnet fork")
	e.keys("q")
	e.waitGone(5 * time.Second)
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("demo left %d entries in its temp dir", len(left))
	}

	// A dropped SSH session or a killed pane hangs the demo up: it still cleans up.
	e.start("demo-hup", 80, 24, fmt.Sprintf("env TMPDIR=%s TERM=xterm-256color %s demo --peers-every 300ms", tmp, e.bin))
	e.waitFor(10*time.Second, "[P1] Vault drain on the L2 bridge")
	if out, err := e.tmuxRun("kill-session", "-t", "demo-hup"); err != nil {
		t.Fatalf("tmux kill-session: %v %s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		left, _ := os.ReadDir(tmp)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo left %d entries in its temp dir after a hangup", len(left))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A broken runbook file's warning printed on stderr before the full screen, so it was
// read only after quitting. On a real terminal the cockpit shows it on the screen, and
// its stderr (kept in a file here) stays empty.
func testCockpitBrokenRunbook(t *testing.T, e *e2e) {
	e.cli("init", "--name", "acme", "--handle", "alice", "--light-kdf")
	dir, logs := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.md"), []byte("no front matter\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := filepath.Join(logs, "stderr")
	e.start("cockpit", 120, 36, fmt.Sprintf("env TMINUS_PASSPHRASE=pw TERM=xterm-256color %s --home %s --runbooks %s 2>%s",
		e.bin, e.home, dir, stderr))
	e.waitFor(10*time.Second, "acme", "runbook left out:", "broken.md")
	e.keys("4")
	e.waitFor(3*time.Second, "✗ left out:", "missing front")
	e.keys("q")
	e.waitGone(5 * time.Second)
	got, err := os.ReadFile(stderr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "runbook") {
		t.Errorf("the cockpit printed the warning under its screen:\n%s", got)
	}

	// The demo too (it printed the warning before its screen).
	stderr = filepath.Join(logs, "demo-stderr")
	e.start("demo", 120, 36, fmt.Sprintf("env TMPDIR=%s TMINUS_RUNBOOKS=%s TERM=xterm-256color %s demo 2>%s", logs, dir, e.bin, stderr))
	e.waitFor(10*time.Second, "Vault drain", "runbook left out:", "broken.md")
	e.keys("q")
	e.waitGone(5 * time.Second)
	if got, err = os.ReadFile(stderr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "runbook") {
		t.Errorf("the demo printed the warning under its screen:\n%s", got)
	}
}

// The responder's two terminals: serve in one, the cockpit in the other, signing
// through serve's agent (no passphrase in its shell). Serve is stopped: the cockpit
// said "offline" for good and a write failed with the dead agent's socket named twice.
// It now says serve stopped and what to run; a write says what to start; once serve
// runs again, enter stores it.
func testCockpitServeStops(t *testing.T, e *e2e) {
	e.cli("init", "--name", "acme", "--handle", "alice", "--light-kdf")
	serve := func() {
		e.start("serve", 120, 20, fmt.Sprintf("env TMINUS_PASSPHRASE=pw %s --home %s serve --listen 127.0.0.1:0", e.bin, e.home))
		e.waitFor(30*time.Second, "writes for this home on")
	}
	serve()
	e.start("cockpit", 80, 24, fmt.Sprintf("env -u TMINUS_PASSPHRASE TERM=xterm-256color %s --home %s", e.bin, e.home))
	e.waitFor(10*time.Second, "acme", "no incident selected", "peers 0/0")

	e.target = "serve"
	e.keys("C-c")
	e.waitGone(20 * time.Second)
	e.target = "cockpit"
	e.waitFor(20*time.Second, "serve stopped · not syncing", "✗ tminus serve stopped: nothing syncs or signs: run tminus serve in a shell")

	e.keys("D")
	e.waitFor(3*time.Second, "Declare an incident")
	e.text("Relayer key compromise")
	e.keys("Enter", "Enter", "Enter")
	e.waitFor(10*time.Second, "nothing signs for this home", "enter tries again")
	if strings.Contains(e.screen(), "agent.sock") {
		t.Errorf("the form names the agent's socket rather than what to do:\n%s", e.screen())
	}

	serve()
	e.target = "cockpit"
	e.waitFor(20*time.Second, "peers 0/0")
	e.keys("Enter")
	e.waitFor(10*time.Second, "[P2] Relayer key compromise")
	e.keys("q")
	e.waitGone(5 * time.Second)
	if out := e.cli("incident", "list", "--json"); !strings.Contains(out, "Relayer key compromise") {
		t.Errorf("the incident declared on retry is not stored: %s", out)
	}
}
