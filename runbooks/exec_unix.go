//go:build unix

package runbooks

import (
	"os/exec"
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
