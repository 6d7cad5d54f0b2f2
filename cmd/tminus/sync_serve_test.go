package main

import (
	"strings"
	"testing"
)

// A second serve on a home whose serve runs is refused, and the first
// keeps its place: tminus id still shows the address it listens on.
func TestSecondServeOnOneHomeIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, _ := twoHomes(t, c)
	first := c.serve(a)
	_, stderr, code := tryBinary(t, c.bin, c.env, a, "serve", "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, "already runs, listening on "+first.enode) {
		t.Fatalf("second serve: exit %d, stderr %q", code, stderr)
	}
	if out := c.run(a, "id"); !strings.Contains(out, first.enode) {
		t.Fatalf("tminus id after the refused serve does not show the running one's %s:\n%s", first.enode, out)
	}
}

// A far end that stops answering (a stalled link) ends the sync at
// --timeout with what to do, not a bare "context deadline exceeded".
func TestSyncSSHStalledLinkSaysTimeout(t *testing.T) {
	home, _ := newWorkspace(t)
	fakeSSH(t, "exec sleep 30")
	errs, code := syncSSHEnds(t, home, "--ssh", "jump", "--timeout", "1s")
	if code == 0 || !strings.Contains(errs, "did not finish within --timeout 1s") || !strings.Contains(errs, "run it again") {
		t.Errorf("sync over a stalled link: exit %d, %q", code, errs)
	}
}
