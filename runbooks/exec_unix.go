//go:build unix

package runbooks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// isolate puts the command in a session of its own, and so in its own process group, so
// that a timeout can kill everything it started (sh, a pipeline, a backgrounded ssh), not
// just sh. The new session has no controlling terminal: ssh or sudo asking for a password
// on /dev/tty fails at once instead of printing the prompt, then stopping (a background
// group may not read the terminal) until the timeout while the typed password goes to the
// responder's shell.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// exitCode reports a death by signal as 128+signal, as shells do, rather than exec's -1.
func exitCode(err *exec.ExitError) int {
	if ws, ok := err.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return err.ExitCode()
}

// LockRun takes this machine's lock on running proposal id, so that a second tminus (the
// CLI in another pane beside the cockpit) cannot run an approved step while the first
// still runs it; the caller checks again, under the lock, that the step has not run. The
// lock is the user's, a file in the temporary directory, removed on release; it goes with
// the process. A lock file that cannot be opened (someone else's, of the same name) is no
// lock, not a refusal: another local user must not be able to hold containment up.
func LockRun(id string) (release func(), busy bool) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tminus-%d-run-%s.lock", os.Getuid(), id))
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return func() {}, false
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, true
			}
			return func() {}, false // a file system without flock: no lock
		}
		// Locked, but maybe a file its holder removed on release after this one opened
		// it, while a third locks a new file by the name: then try the name again.
		held, err1 := f.Stat()
		named, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return func() {
				os.Remove(path) // while still locked, so nobody locks the removed file in between unnoticed
				f.Close()
			}, false
		}
		f.Close()
	}
	return func() {}, false
}
