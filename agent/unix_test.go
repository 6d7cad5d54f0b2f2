package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// peerEnv makes the test binary a client that asks the agent on the named
// socket for its status and prints the answer (TestPeerCredOtherUser).
const peerEnv = "TMINUS_TEST_PEER_SOCK"

// peerServeEnv makes the test binary a server on that socket until its
// stdin closes (TestDialRefusesAnotherUsersSocket).
const peerServeEnv = "TMINUS_TEST_PEER_SERVE"

func TestMain(m *testing.M) {
	if path := os.Getenv(peerEnv); path != "" {
		os.Exit(peerClient(path))
	}
	if path := os.Getenv(peerServeEnv); path != "" {
		os.Exit(peerServer(path))
	}
	os.Exit(m.Run())
}

// peerServer answers status on path, open to every user, as a process of
// whoever runs it; it prints "ready" once it listens.
func peerServer(path string) int {
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	os.Chmod(path, 0o777)
	go (&Server{UID: -1}).Serve(context.Background(), l)
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	l.Close()
	return 0
}

func peerClient(path string) int {
	// A raw connection, not Dial, which refuses a server of another user:
	// a hostile client would not ask.
	conn, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		return 1
	}
	c := NewClient(conn, path)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	fmt.Printf("uid %d: status %+v, err %v\n", os.Getuid(), st, err)
	return 0
}

// serveUnix serves srv on a socket made by Listen in a new private
// directory; cleanup stops it.
func serveUnix(t *testing.T, srv *Server) string {
	t.Helper()
	path := filepath.Join(tempPrivateDir(t), "a.sock")
	serveAt(t, srv, path)
	return path
}

// tempPrivateDir is a new 0700 directory: t.TempDir's own is 0755 under the
// usual umask, which Listen refuses.
func tempPrivateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func serveAt(t *testing.T, srv *Server, path string) {
	t.Helper()
	l, err := Listen(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(bg, l) }()
	t.Cleanup(func() {
		l.Close()
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

func dial(t *testing.T, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// staleSocket leaves a socket file at path that nothing listens on.
func staleSocket(t *testing.T, path string, listen bool) {
	t.Helper()
	if listen {
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
	} else {
		// Bound and never listened on: what a process killed between
		// bind and listen leaves.
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("no stale socket at %s: %v", path, err)
	}
}

// Listen makes a 0600 socket in a private directory, replaces a stale one,
// and refuses a live agent, a directory others may enter, and anything at
// the path that is not a socket (which it leaves alone).
func TestListen(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir, path string) // before Listen
		timeout time.Duration                        // of Listen's context; 0: none
		want    error                                // errors.Is
		text    string                               // in the refusal; "" with want nil: Listen succeeds
		after   func(t *testing.T, path string)      // after a refusal
	}{
		{name: "fresh"},
		{name: "stale socket of a closed listener", setup: func(t *testing.T, _, path string) { staleSocket(t, path, true) }},
		{name: "stale socket never listened on", setup: func(t *testing.T, _, path string) { staleSocket(t, path, false) }},
		{name: "directory 0755", text: "mode 0755",
			setup: func(t *testing.T, dir, _ string) { chmod(t, dir, 0o755) },
			after: absent},
		{name: "directory 0710", text: "mode 0710",
			setup: func(t *testing.T, dir, _ string) { chmod(t, dir, 0o710) },
			after: absent},
		{name: "stale socket in a 0777 directory", text: "mode 0777",
			setup: func(t *testing.T, dir, path string) { staleSocket(t, path, true); chmod(t, dir, 0o777) },
			after: isSocket},
		{name: "directory of another user", text: "belongs to uid 65534",
			setup: func(t *testing.T, dir, _ string) {
				if os.Getuid() != 0 {
					t.Skip("only root can give a directory to another user")
				}
				if err := os.Chown(dir, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			},
			after: absent},
		{name: "regular file", text: "is not a socket",
			setup: func(t *testing.T, _, path string) { writeFile(t, path, "keep me") },
			after: func(t *testing.T, path string) { fileHolds(t, path, "keep me") }},
		{name: "directory at the path", text: "is not a socket",
			setup: func(t *testing.T, _, path string) { os.Mkdir(path, 0o700) },
			after: func(t *testing.T, path string) {
				if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
					t.Fatalf("the directory at the path is gone: %v", err)
				}
			}},
		{name: "symlink to a socket", text: "is not a socket",
			setup: func(t *testing.T, dir, path string) {
				other := filepath.Join(dir, "other.sock")
				staleSocket(t, other, true)
				if err := os.Symlink(other, path); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, path string) {
				if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSymlink {
					t.Fatalf("the symlink is gone: %v", err)
				}
			}},
		{name: "live agent", want: ErrRunning,
			setup: func(t *testing.T, _, path string) {
				serveAt(t, &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: os.Getuid()}, path)
			},
			after: answers},
		{name: "live writer", want: ErrRunning,
			setup: func(t *testing.T, _, path string) { serveAt(t, &Server{Writer: &recorder{}, UID: os.Getuid()}, path) },
			after: answers},
		// Something accepts but never answers: not provably stale, so kept.
		{name: "silent listener", want: ErrRunning, timeout: 300 * time.Millisecond,
			setup: func(t *testing.T, _, path string) {
				l, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
			},
			after: isSocket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tempPrivateDir(t)
			path := filepath.Join(dir, "agent.sock")
			if tc.setup != nil {
				tc.setup(t, dir, path)
			}
			ctx := bg
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(bg, tc.timeout)
				defer cancel()
			}
			l, err := Listen(ctx, path)
			if tc.want == nil && tc.text == "" {
				if err != nil {
					t.Fatalf("listen: %v", err)
				}
				defer l.Close()
				fi, err := os.Lstat(path)
				if err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
					t.Fatalf("socket %v %v, want a 0600 socket", fi.Mode(), err)
				}
				srv := &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: os.Getuid()}
				go srv.Serve(bg, l)
				defer srv.Close()
				if st, err := Probe(bg, path); err != nil || st.Address != f.addr(alice) {
					t.Fatalf("probe: %+v %v", st, err)
				}
				l.Close()
				if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("a closed listener leaves its socket: %v", err)
				}
				return
			}
			if err == nil {
				l.Close()
				t.Fatalf("listen succeeded, want a refusal")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("listen: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("listen: %v, want %q", err, tc.text)
			}
			if tc.after != nil {
				tc.after(t, path)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileHolds(t *testing.T, path, want string) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Fatalf("%s: %q %v, want %q untouched", path, got, err, want)
	}
}

func absent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused Listen left something at %s: %v", path, err)
	}
}

func isSocket(t *testing.T, path string) {
	t.Helper()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("the socket at %s is gone: %v", path, err)
	}
}

func answers(t *testing.T, path string) {
	t.Helper()
	if _, err := Probe(bg, path); err != nil {
		t.Fatalf("the first agent no longer answers: %v", err)
	}
}

// Probe and Dial tell "nothing answers" apart from other failures.
func TestProbeNothing(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "none.sock"), dir} {
		if _, err := Probe(bg, path); !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), path) {
			t.Fatalf("probe %s: %v, want ErrNoAgent naming the path", path, err)
		}
	}
}

// A server for another uid refuses this process on a real unix socket: the
// kernel's peer credentials, not the socket's mode, decide.
func TestPeerCredRefusesAnotherUID(t *testing.T) {
	f := newFixture(t)
	me := os.Getuid()
	tests := []struct {
		name   string
		uid    int
		served bool
	}{
		{"same uid", me, true},
		{"another uid", me + 1, false},
		{"no check", -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			path := serveUnix(t, &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: tc.uid, Log: log})
			c := dial(t, path)
			st, err := c.Status(bg)
			if tc.served {
				if err != nil || st.Address != f.addr(alice) {
					t.Fatalf("status: %+v %v", st, err)
				}
				return
			}
			want := fmt.Sprintf("runs as uid %d, this agent serves uid %d only", me, tc.uid)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
				t.Fatalf("status as another uid: %+v %v, want %q", st, err, want)
			}
			if !strings.Contains(log.String(), "refused a connection: "+"refused: the connecting process") {
				t.Fatalf("log: %s", log.String())
			}
			// The refusal ends the connection.
			if _, err := c.Status(bg); !errors.Is(err, ErrGone) {
				t.Fatalf("a second request after the refusal: %v", err)
			}
		})
	}
}

// As root: a process of another user (nobody) that reaches the socket is
// refused by SO_PEERCRED, even with the socket and its directory open to it.
func TestPeerCredOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	const nobody = 65534
	f := newFixture(t)
	// t.TempDir's parent is private to root: open the path to nobody.
	dir := t.TempDir()
	chmod(t, filepath.Dir(dir), 0o755)
	chmod(t, dir, 0o755)
	path := filepath.Join(dir, "open.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	chmod(t, path, 0o777)
	log := &syncBuffer{}
	srv := &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: 0, Log: log}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(bg, l) }()
	defer func() { l.Close(); srv.Close(); <-done }()

	// The test binary sits in a build directory nobody cannot enter.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "peer")
	copyFile(t, self, bin, 0o755)

	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		cred *syscall.Credential
		want string
	}{
		{"nobody", &syscall.Credential{Uid: nobody, Gid: nobody}, fmt.Sprintf("runs as uid %d, this agent serves uid 0 only", nobody)},
		{"root", nil, "err <nil>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(os.Environ(), peerEnv+"="+path)
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: tc.cred}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("peer process: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("peer process printed %q, want %q", out, tc.want)
			}
		})
	}
	if !strings.Contains(log.String(), fmt.Sprintf("runs as uid %d", nobody)) {
		t.Fatalf("the refusal is not logged:\n%s", log.String())
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// A home deep in the tree makes a socket path over what a unix socket
// takes: bind said "invalid argument", and serve and the agent stopped
// there. Listen says what is wrong and what to do; a path of the longest
// length still works.
func TestListenSocketPathLength(t *testing.T) {
	base := t.TempDir()
	n := maxSockPath - len(base) - len("/") - len("/x.sock")
	if n < 1 {
		t.Skipf("the temp directory %s is already too long for a socket path", base)
	}
	dir := filepath.Join(base, strings.Repeat("d", n))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	longest := filepath.Join(dir, "x.sock")
	if len(longest) != maxSockPath {
		t.Fatalf("path of %d bytes, want %d", len(longest), maxSockPath)
	}
	l, err := Listen(bg, longest)
	if err != nil {
		t.Fatalf("Listen on a path of %d bytes: %v", len(longest), err)
	}
	l.Close()
	over := filepath.Join(dir, "xy.sock")
	if _, err := Listen(bg, over); err == nil || !strings.Contains(err.Error(), "use a shorter --home") {
		t.Fatalf("Listen on a path of %d bytes: %v, want the limit and what to do", len(over), err)
	}
}

// As root: a socket that a process of another user (nobody) answers on is
// not this user's agent. The client used to talk to it, and would have
// handed it events to sign and, to unlock it, the passphrase.
func TestDialRefusesAnotherUsersSocket(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("starting a process as another user needs root")
	}
	const nobody = 65534
	dir := t.TempDir()
	chmod(t, filepath.Dir(dir), 0o755)
	chmod(t, dir, 0o777) // nobody makes its socket here
	path := filepath.Join(dir, "planted.sock")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "peer")
	copyFile(t, self, bin, 0o755)
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), peerServeEnv+"="+path)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("peer server: %q %v", line, err)
	}
	c, err := Dial(path)
	if err == nil {
		c.Close()
		t.Fatal("Dial talked to a socket another user answers on")
	}
	if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), fmt.Sprintf("runs as uid %d, not as you (uid 0)", nobody)) {
		t.Fatalf("Dial: %v", err)
	}
	if _, err := Probe(bg, path); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("Probe: %v", err)
	}
}
