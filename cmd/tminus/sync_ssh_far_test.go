package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSSH writes a TMINUS_SSH program that ignores its arguments and runs
// script instead, as a far end that is not tminus would.
func fakeSSH(t *testing.T, script string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ssh")
	writeFile(t, path, "#!/bin/sh\n"+script+"\n")
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_SSH", path)
}

// syncSSHEnds runs sync --ssh in-process and waits, generously, for it to
// end; a sync still running then is stopped and fails the test.
func syncSSHEnds(t *testing.T, home string, args ...string) (stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"--home", home, "sync"}, args...), strings.NewReader(""), &out, &errb)
	}()
	select {
	case code = <-done:
		return strings.TrimSpace(errb.String()), code
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("sync %s still ran 60s after its far end broke the protocol (the --timeout is 10m)", strings.Join(args, " "))
	}
	return "", 0
}

// A far end that sends garbage is a broken session: the sync ends at once
// with the reason, and does not wait for --timeout while ssh keeps writing
// into a pipe nobody reads.
func TestSyncSSHEndsOnGarbage(t *testing.T) {
	home, _ := newWorkspace(t)
	fakeSSH(t, "exec cat /dev/zero")
	errs, code := syncSSHEnds(t, home, "--ssh", "jump", "--timeout", "10m")
	if code == 0 || !strings.Contains(errs, "misbehaved") {
		t.Errorf("sync over a far end sending zeros: exit %d, %q", code, errs)
	}
}

// A far end without tminus (exit 127) or an ssh that cannot connect (exit
// 255) ends the stream at once: the error names the exit status and what
// to check, not a bare EOF.
func TestSyncSSHFarEndFails(t *testing.T) {
	home, _ := newWorkspace(t)
	for _, tc := range []struct {
		script string
		want   []string
	}{
		{"echo 'sh: 1: tminus: not found' >&2; exit 127", []string{"exit status 127", "TMINUS_REMOTE_COMMAND"}},
		{"echo 'ssh: Could not resolve hostname jump' >&2; exit 255", []string{"exit status 255"}},
		{"exit 0", []string{"closed the connection"}},
	} {
		fakeSSH(t, tc.script)
		errs, code := syncSSHEnds(t, home, "--ssh", "jump", "--timeout", "10m")
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", tc.script, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: stderr %q, want %q", tc.script, errs, w)
			}
		}
		if strings.HasSuffix(errs, ": EOF") {
			t.Errorf("%s: a bare EOF: %q", tc.script, errs)
		}
	}
}

// A host that starts with '-' would reach ssh as an option
// (-oProxyCommand=...): it is wrong usage, and ssh is not run.
func TestSyncSSHRefusesOptionAsHost(t *testing.T) {
	home, _ := newWorkspace(t)
	fakeSSH(t, "echo ran >&2; exit 0")
	_, errs, code := tminus(t, home, "sync", "--ssh=-oProxyCommand=touch /tmp/x")
	if code != 2 || !strings.Contains(errs, "not an ssh host") || strings.Contains(errs, "ran") {
		t.Errorf("sync --ssh=-o...: exit %d, %q; want usage (2), ssh not run", code, errs)
	}
}
