package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// passphrase unlocks every key of the soak (light KDF, as the tests do).
const passphrase = "soak"

// Build compiles the tminus binary into dir and returns its path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "tminus")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tminus-ir/tminus/cmd/tminus")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// node is one member's home and its `tminus serve`, restarted on the same
// home and the same listen address after a kill.
type node struct {
	i      int
	handle string
	home   string
	addr   string                 // member address, 0x...
	id     string                 // enode public key, hex
	listen atomic.Pointer[string] // the real listen address; only links and the harness dial it
	env    []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	log     tail
	signed  chan struct{} // a write is being signed now (the agent's log line)
	moved   func(addr, why string)
	hwmKiB  int64 // the highest VmHWM seen of any of its processes
	removed bool  // removed from the roster mid-run: not a member at the end
}

// tail keeps the end of a process's stderr, for reports.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 32<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-16<<10:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// cli runs one tminus command on a home and returns its trimmed stdout;
// a non-zero exit is an error carrying stderr.
type cli struct {
	bin string
}

func (c cli) run(ctx context.Context, env []string, home string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--home", home}, args...)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("tminus %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// start runs `tminus serve` on the node's home and waits for it to listen.
// If its port stays taken for 5 s after a restart (a socket of the killed
// process lingering, or another program), the node moves to a new port
// and moved repoints its links there: peers still dial the same links.
func (n *node) start(c cli) error {
	var err error
	for tries := 0; ; tries++ {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(250 * time.Millisecond) {
			if err = n.startOnce(c); err == nil || !strings.Contains(err.Error(), "address already in use") {
				return err
			}
			if time.Now().After(deadline) {
				break
			}
		}
		if tries == 3 || n.moved == nil {
			return err
		}
		addr, perr := freePort(rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0)))
		if perr != nil {
			return err
		}
		n.moved(addr, sockets(n.addrPort()))
		n.listen.Store(&addr)
	}
}

// sockets lists what holds a port (ss), for a report.
func sockets(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command("ss", "-tanp", "sport = :"+port+" or dport = :"+port).CombinedOutput()
	if err != nil {
		return err.Error()
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func (n *node) startOnce(c cli) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	cmd := exec.Command(c.bin, "--home", n.home, "serve", "--listen", n.addrPort())
	cmd.Env = n.env
	errp, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	up := make(chan struct{}, 1)
	// Every start's stderr, kept in the home for a failed seed's post-mortem.
	logf, err := os.OpenFile(filepath.Join(n.home, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		cmd.Process.Kill()
		return err
	}
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			fmt.Fprintln(&n.log, sc.Text())
			fmt.Fprintf(logf, "%s %s\n", time.Now().Format("15:04:05.000"), sc.Text())
			if strings.Contains(sc.Text(), " signed ") {
				select {
				case n.signed <- struct{}{}:
				default:
				}
			}
			if strings.HasPrefix(sc.Text(), "writes for this home on ") {
				select {
				case up <- struct{}{}:
				default:
				}
			}
		}
		io.Copy(io.Discard, errp)
		cmd.Wait()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	select {
	case <-up:
		return nil
	case <-done:
		return fmt.Errorf("%s: tminus serve exited: %s", n.handle, lastLines(n.log.String(), 5))
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return fmt.Errorf("%s: tminus serve did not start within 60s: %s", n.handle, lastLines(n.log.String(), 5))
	}
}

// addrPort is where the node listens.
func (n *node) addrPort() string {
	if p := n.listen.Load(); p != nil {
		return *p
	}
	return ""
}

// pid is the running serve's process id, 0 when it is down.
func (n *node) pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	select {
	case <-n.done:
		return 0
	default:
		return n.cmd.Process.Pid
	}
}

// sampleRSS records the serve process's peak resident set (VmHWM).
func (n *node) sampleRSS() {
	pid := n.pid()
	if pid == 0 {
		return
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kib)
			n.mu.Lock()
			n.hwmKiB = max(n.hwmKiB, kib)
			n.mu.Unlock()
		}
	}
}

// kill sends SIGKILL (no deferred function runs, nothing is closed) and
// waits for the process to be gone.
func (n *node) kill() { n.signal(syscall.SIGKILL, 30*time.Second) }

// stop asks serve to end as a user would (SIGTERM), then kills it.
func (n *node) stop() {
	if !n.signal(syscall.SIGTERM, 20*time.Second) {
		n.kill()
	}
}

func (n *node) signal(sig syscall.Signal, wait time.Duration) bool {
	n.sampleRSS()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return true
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(wait):
		return false
	}
}

func lastLines(s string, k int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return strings.Join(lines, " | ")
}

// freePort picks a loopback port for a node to listen on for the whole
// run, so that a restart comes back at the address its links dial. It
// picks below the kernel's ephemeral range (ip_local_port_range), where
// no outgoing connection or ":0" listener (the links) can take the port
// while its node is down.
func freePort(rng *rand.Rand) (string, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		fmt.Sscan(string(b), &low)
	}
	if low < 12000 {
		low = 65536 // an unusual range: fall back to the kernel's choice below
	}
	for range 100 {
		port := 10000 + rng.IntN(low-10000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
			return l.Addr().String(), nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// identity is what init and join print with --json.
type identity struct {
	Address   string `json:"address"`
	Enode     string `json:"enode"`
	Workspace string `json:"workspace"`
}

func parseIdentity(out string) (identity, string, error) {
	var id identity
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		return id, "", fmt.Errorf("identity %q: %w", out, err)
	}
	rest, ok := strings.CutPrefix(id.Enode, "enode://")
	key, _, ok2 := strings.Cut(rest, "@")
	if !ok || !ok2 || key == "" {
		return id, "", errors.New("identity without an enode URL: " + out)
	}
	return id, key, nil
}
