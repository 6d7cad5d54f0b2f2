package main

import (
	"strings"
	"testing"
)

// The roster's enode for a member stays the one their first key had. A
// second rotation used to try to deliver itself to that node, this home's
// own retired key, and report it "not delivered" as if a peer missed it.
func TestSecondRotationSkipsRetiredKeys(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-twice", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	must(t, home, "key", "rotate", "--key", key, "--light-kdf")
	_, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf")
	if code != 0 {
		t.Fatalf("second rotation: exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "not delivered") || !strings.Contains(errs, "no peer known to deliver the rotation") {
		t.Errorf("second rotation, with no peer but this home's retired keys:\n%s", errs)
	}
}
