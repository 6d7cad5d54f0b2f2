//go:build !unix

package runbooks

import "os/exec"

// isolate has no process groups to use here; exec.CommandContext kills the direct child.
func isolate(*exec.Cmd) {}

func exitCode(err *exec.ExitError) int { return err.ExitCode() }

// LockRun has no file locks to use here: no lock.
func LockRun(string) (release func(), busy bool) { return func() {}, false }
