//go:build unix

package runbooks

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestExecHasNoTerminal: a step runs in a session of its own, so it has no controlling
// terminal. In the responder's process group's session instead, ssh or sudo asking for a
// password on /dev/tty printed the prompt, then stopped (a background group reading the
// terminal) until the timeout, while the password the responder typed went to their shell
// after it. A session leader's session id is its pid: /proc shows both.
func TestExecHasNoTerminal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	// Fields after the command name: state ppid pgrp session tty_nr.
	res := Exec(context.Background(), `s=$(cat /proc/$$/stat); set -- ${s##*)}; echo "$$ $3 $4 $5"`, ExecOptions{})
	f := strings.Fields(string(res.Output))
	if res.ExitCode != 0 || len(f) != 4 {
		t.Fatalf("exit %d, output %q, err %v", res.ExitCode, res.Output, res.Err)
	}
	if pid, pgrp, sid, tty := f[0], f[1], f[2], f[3]; pgrp != pid || sid != pid || tty != "0" {
		t.Errorf("sh %s runs in process group %s, session %s, tty %s: want its own group and session, no terminal", pid, pgrp, sid, tty)
	}
}

// TestLockRun: a second lock on one proposal is busy until the first is released, another
// proposal's is not, and nothing is left in the temporary directory afterwards.
func TestLockRun(t *testing.T) {
	id := "test-" + strings.Repeat("ab", 8) + strconv.Itoa(os.Getpid())
	release, busy := LockRun(id)
	if busy || release == nil {
		t.Fatal("first lock refused")
	}
	if _, busy := LockRun(id); !busy {
		t.Error("a second lock on the same proposal was not busy")
	}
	other, busy := LockRun(id + "-other")
	if busy {
		t.Error("another proposal's lock was busy")
	}
	other()
	release()
	again, busy := LockRun(id)
	if busy {
		t.Fatal("the lock stayed busy after its release")
	}
	again()
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "tminus-*-run-"+id+"*.lock")); len(left) != 0 {
		t.Errorf("lock files left behind: %v", left)
	}
}
