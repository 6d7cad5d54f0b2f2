package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrNoAgent is a socket path where nothing answers.
var ErrNoAgent = errors.New("no agent answers")

// ErrRunning is a socket path where an agent already answers.
var ErrRunning = errors.New("an agent already answers")

// Dial connects to the socket at path, served by a process of this user:
// a client hands it events to sign, and may hand it the passphrase.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w on %s: %v", ErrNoAgent, path, err)
	}
	if err := checkServer(c, path); err != nil {
		c.Close()
		return nil, err
	}
	return NewClient(c, path), nil
}

// checkServer refuses a socket that another user's process answers on (a
// TMINUS_AGENT_SOCK pointing into a directory others may write): it is not
// this user's agent, whatever its status says.
func checkServer(c net.Conn, path string) error {
	uid, pid, ok, err := peerCred(c)
	if err != nil {
		return fmt.Errorf("%w on %s: %v", ErrNoAgent, path, err)
	}
	if ok && uid != os.Getuid() {
		return fmt.Errorf("%w on %s: the process answering there (pid %d) runs as uid %d, not as you (uid %d); it is not your agent: point %s at your own, in a private directory",
			ErrNoAgent, path, pid, uid, os.Getuid(), "TMINUS_AGENT_SOCK")
	}
	return nil
}

// Probe reports whether something answers a status request on path.
func Probe(ctx context.Context, path string) (Status, error) {
	c, err := Dial(path)
	if err != nil {
		return Status{}, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Status(ctx)
}

// maxSockPath is the longest socket path the system takes: sun_path less
// its terminating NUL (107 bytes on Linux, 103 on the BSDs and macOS).
var maxSockPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// Listen makes the socket at path: 0600, in a directory only its owner may
// enter. A stale socket file there (its process died) is replaced; a live
// agent, or a file that is not a socket, is left alone and refused.
func Listen(ctx context.Context, path string) (net.Listener, error) {
	if len(path) > maxSockPath {
		// bind says only "invalid argument".
		return nil, fmt.Errorf("socket path %s is %d bytes, over the %d a unix socket takes: use a shorter --home (a symlink to this one will do), or a shorter TMINUS_AGENT_SOCK for the agent",
			path, len(path), maxSockPath)
	}
	dir := filepath.Dir(path)
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket: move it away", path)
		}
		if _, err := Probe(ctx, path); err == nil || !errors.Is(err, ErrNoAgent) {
			return nil, fmt.Errorf("%w on %s: use it, or stop it first (tminus agent stop)", ErrRunning, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("stale socket %s: %w", path, err)
		}
	}
	// The umask makes the socket 0600 from the start, with no window in
	// which another user could connect.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	return l, nil
}

// privateDir checks that dir is owned by this user and closed to others:
// a socket's own mode is not enforced by every system.
func privateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("socket directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("socket directory %s is mode %04o: others could reach the socket; chmod 700 it or set TMINUS_AGENT_SOCK to a path in a private directory", dir, fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("socket directory %s belongs to uid %d, not to you (uid %d)", dir, st.Uid, os.Getuid())
	}
	return nil
}
