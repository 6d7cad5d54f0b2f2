package main

import (
	"strings"
	"testing"
)

// An ENODE that does not parse is wrong usage (exit 2), as peer add has it:
// sync exited 1, as if a peer had been tried and failed.
func TestSyncBadEnodeIsUsage(t *testing.T) {
	home, _ := newWorkspace(t)
	for _, arg := range []string{"notanenode", "enode://00@127.0.0.1:1", "127.0.0.1:30317"} {
		_, errs, code := tminus(t, home, "sync", arg)
		if code != 2 || !strings.Contains(errs, "not an enode URL") {
			t.Errorf("sync %s: exit %d, %q; want 2 and the reason", arg, code, errs)
		}
	}
}
