//go:build !unix

package runbooks

import "os/exec"

// isolate has no process groups to use here; exec.CommandContext kills the direct child.
func isolate(*exec.Cmd) {}

func exitCode(err *exec.ExitError) int { return err.ExitCode() }
