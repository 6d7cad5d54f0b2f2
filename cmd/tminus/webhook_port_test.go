package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeWebhookPortZero: `serve --webhook 127.0.0.1:0` lets the kernel
// pick the port, so serve must print the port it got; printing ":0" leaves
// nobody able to point Alertmanager at it.
func TestServeWebhookPortZero(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	env := append(os.Environ(), "TMINUS_PASSPHRASE=pw")
	runBinary(t, bin, env, home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	cmd := exec.Command(bin, "--home", home, "serve", "--listen", "127.0.0.1:0", "--webhook", "127.0.0.1:0")
	stderr := &lockedBuffer{}
	cmd.Env, cmd.Stderr = env, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	line := regexp.MustCompile(`webhook http://(127\.0\.0\.1:\d+)/alertmanager`)
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); {
		select {
		case err := <-exited:
			t.Fatalf("serve exited early (%v):\n%s", err, stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if m := line.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve printed no webhook address within 30s:\n%s", stderr)
	}
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("serve printed the port it was asked for, not the one it listens on: %s", addr)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("the printed webhook address %s does not answer: %v", addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz on %s: %d", addr, resp.StatusCode)
	}
}
