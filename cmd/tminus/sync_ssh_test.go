package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sshd is a private OpenSSH server on 127.0.0.1 that lets the current user in with
// a key made for the test, and nobody else. Its host key, authorized_keys and
// config live in a temporary directory; t's cleanup stops it.
type sshd struct {
	dir, user string
	port      int
}

// startSSHD starts one, or says why it cannot run here.
func startSSHD(t *testing.T) (*sshd, string) {
	t.Helper()
	var bins [3]string
	for i, name := range []string{"ssh", "ssh-keygen", "sshd"} {
		p, err := exec.LookPath(name)
		if err != nil && name == "sshd" {
			for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
				if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
					p, err = filepath.Join(dir, name), nil
					break
				}
			}
		}
		if err != nil {
			return nil, name + " is not installed (.ci/run installs openssh-client and openssh-server with apt-get)"
		}
		bins[i] = p
	}
	ssh, keygen, daemon := bins[0], bins[1], bins[2]
	u, err := user.Current()
	if err != nil {
		return nil, "no current user: " + err.Error()
	}
	if os.Geteuid() == 0 {
		// sshd run by root insists on its privilege separation directory, which
		// the distribution's service creates at boot.
		if _, err := os.Stat("/run/sshd"); err != nil {
			return nil, "sshd runs as root here and needs /run/sshd (mkdir -m 0755 /run/sshd; .ci/run does)"
		}
	}
	s := &sshd{dir: t.TempDir(), user: u.Username}
	for _, k := range []string{"host_key", "id_ed25519"} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "tminus-test", "-f", s.path(k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	pub, err := os.ReadFile(s.path("id_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	s.write("authorized_keys", string(pub))
	hostPub, err := os.ReadFile(s.path("host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	// The port is free when asked; another process may take it before sshd binds,
	// so try a few.
	var why string
	for try := 0; try < 3; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "no loopback: " + err.Error()
		}
		s.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s.write("sshd_config", fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PidFile none
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers %s
`, s.port, s.path("host_key"), s.path("authorized_keys"), s.user))
		if why = s.run(t, daemon); why == "" {
			break
		}
	}
	if why != "" {
		return nil, why
	}
	s.write("known_hosts", fmt.Sprintf("[127.0.0.1]:%d %s", s.port, hostPub))
	s.write("ssh_config", fmt.Sprintf(`Host tminus-test
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, s.port, s.user, s.path("id_ed25519"), s.path("known_hosts")))
	// TMINUS_SSH names one program; this one is ssh with the test's config.
	s.write("ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", shellQuote(ssh), shellQuote(s.path("ssh_config"))))
	if err := os.Chmod(s.path("ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	return s, ""
}

// run starts the daemon and waits until it accepts connections; it returns why
// not if it exits first.
func (s *sshd) run(t *testing.T, daemon string) string {
	cmd := exec.Command(daemon, "-f", s.path("sshd_config"), "-D", "-e")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "sshd: " + err.Error()
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Sprintf("a private sshd on 127.0.0.1 did not start (%v): %s", err, strings.TrimSpace(stderr.String()))
		default:
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second); err == nil {
			c.Close()
			t.Cleanup(stop)
			return ""
		}
	}
	stop()
	return "a private sshd on 127.0.0.1 did not listen within 10s: " + strings.TrimSpace(stderr.String())
}

func (s *sshd) path(name string) string { return filepath.Join(s.dir, name) }

func (s *sshd) write(name, data string) {
	if err := os.WriteFile(s.path(name), []byte(data), 0o600); err != nil {
		panic(err)
	}
}

// sync --ssh over a real OpenSSH connection to a private sshd on 127.0.0.1: bob's
// node, which has nothing yet, pulls the workspace through `tminus sync --stdio` on
// the far side; then what bob writes comes back the same way.
func TestSyncOverRealSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	srv, why := startSSHD(t)
	if srv == nil {
		t.Skip("real-ssh sync test skipped: " + why)
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	inc := c.run(a, "incident", "declare", "--title", "Relayer key compromise", "--severity", "P1")
	c.run(a, "note", inc[:8], "rotating the relayer key")
	syncSSH := func(local, remote string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, c.bin, "--home", local, "sync", "--ssh", "tminus-test", "--timeout", "45s")
		cmd.Env = append(c.env, "TMINUS_SSH="+srv.path("ssh"),
			"TMINUS_REMOTE_COMMAND="+shellQuote(c.bin)+" --home "+shellQuote(remote)+" sync --stdio")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tminus sync --ssh: %v: %s", err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}

	// Bob pulls: the far side is alice's home.
	all := strings.Count(c.run(a, "log", "--json"), "\n") + 1
	if out := syncSSH(b, a); !strings.HasPrefix(out, fmt.Sprintf("pulled %d, pushed 0", all)) {
		t.Errorf("bob's first sync: %q, want alice's %d events pulled", out, all)
	}
	c.run(b, "note", inc[:8], "bob: second signer online")
	// Alice pulls bob's note: the far side is bob's home.
	if out := syncSSH(a, b); !strings.HasPrefix(out, "pulled 1, pushed 0") {
		t.Errorf("alice's sync: %q, want bob's note pulled", out)
	}
	if ha, hb := c.run(a, "state-hash"), c.run(b, "state-hash"); ha != hb {
		t.Fatalf("state hashes differ after syncing both ways over ssh: %s %s", ha, hb)
	}
	if out := c.run(a, "verify"); !strings.Contains(out, "OK") {
		t.Fatalf("verify on alice: %s", out)
	}
}
