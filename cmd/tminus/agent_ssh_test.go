package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The key stays on the laptop: alice's agent runs on her laptop home, its
// socket is forwarded with ssh -R through a real sshd on 127.0.0.1, and a
// copy of her home without key.json (the jump host's) signs through it.
func TestAgentForwardedOverRealSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	srv, why := startSSHD(t)
	if srv == nil {
		t.Skip("real-ssh agent forwarding test skipped: " + why)
	}
	c := newRealCLI(t)
	dir := t.TempDir()
	laptop, jump := filepath.Join(dir, "laptop"), filepath.Join(dir, "jump")
	c.run(laptop, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	inc := c.run(laptop, "incident", "declare", "--title", "Bridge drain", "--severity", "P1")
	// The jump host's copy: the config and the store, never the key.
	if err := os.MkdirAll(jump, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.yaml", "tminus.db"} {
		copyFile(t, filepath.Join(laptop, f), filepath.Join(jump, f))
	}

	ag := startAgent(t, c.bin, laptop)
	remote := filepath.Join(srv.dir, "fwd.sock")
	fwd := exec.Command(srv.path("ssh"), "-N", "-o", "ExitOnForwardFailure=yes", "-R", remote+":"+ag.sock, "tminus-test")
	fwd.Stderr = os.Stderr
	if err := fwd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fwd.Process.Signal(syscall.SIGKILL); fwd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(remote); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh -R did not create the forwarded socket within 15s")
		}
	}

	jumpShell := agentShell(remote)
	js, errs, code := tryBinary(t, c.bin, jumpShell, jump, "agent", "status", "--json")
	var st struct{ Address string }
	if code != 0 || json.Unmarshal([]byte(js), &st) != nil {
		t.Fatalf("agent status over the forward: exit %d: %s %s", code, js, errs)
	}
	if _, errs, code := tryBinary(t, c.bin, jumpShell, jump, "note", inc, "from the jump host"); code != 0 {
		t.Fatalf("note on the jump host through the forwarded agent: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(jump, "key.json")); err == nil {
		t.Fatal("the jump host's home holds a key file")
	}
	log := runBinary(t, c.bin, jumpShell, jump, "log", "--json")
	last := log[strings.LastIndex(log, "\n")+1:]
	if !strings.Contains(last, `"kind":"note.add"`) || !strings.Contains(strings.ToLower(last), strings.ToLower(st.Address)) {
		t.Fatalf("the jump host's last event is not alice's note: %s", last)
	}
	if !strings.Contains(ag.logText(), "signed note.add") {
		t.Fatalf("the laptop's agent did not log the signature:\n%s", ag.logText())
	}
	if out := runBinary(t, c.bin, jumpShell, jump, "verify"); !strings.Contains(out, "OK") {
		t.Fatalf("verify on the jump host: %s", out)
	}
	// Without the forward, the jump host cannot sign at all: no key, no agent.
	fwd.Process.Signal(syscall.SIGKILL)
	fwd.Wait()
	_, errs, code = tryBinary(t, c.bin, agentShell(""), jump, "note", inc, "no agent")
	if code == 0 || !strings.Contains(errs, "key") {
		t.Fatalf("note on the jump host without an agent: exit %d: %s", code, errs)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
