package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// After key rotate, a peer admits the home's new node key only once it has
// the key.rotate event, and the new key was the only one left to carry it:
// every peer refused the new node ("not a member"), never learnt the
// rotation, and the two homes disagreed for good. Rotate delivers the
// rotation to the home's peers with the old key, which they still admit.
func TestKeyRotateReachesPeersSoTheNewKeyIsAdmitted(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	sb := c.serve(b)
	c.run(a, "sync", sb.enode) // bob's node gets the workspace
	c.run(a, "peer", "add", sb.enode)
	key := writeSSHKey(t, t.TempDir(), "alice-rotate-sync", "")
	c.run(a, "proof", "add", "ssh", "--key", key)

	cmd := exec.Command(c.bin, "--home", a, "key", "rotate", "--key", key, "--light-kdf")
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("key rotate: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "the rotation reached bob") {
		t.Errorf("key rotate did not say it reached bob: %s", out)
	}
	// Bob's node has the rotation, so it admits alice's new key.
	hash := c.run(a, "state-hash")
	deadline := time.Now().Add(30 * time.Second)
	for c.run(b, "state-hash") != hash {
		if time.Now().After(deadline) {
			t.Fatalf("bob's state never reached alice's after her rotation; bob's serve: %s", sb.stderr())
		}
		time.Sleep(200 * time.Millisecond)
	}
	inc := c.run(a, "incident", "declare", "--title", "Signed by the new key", "--severity", "P2")
	if out := c.run(a, "sync", sb.enode); !strings.HasPrefix(out, "pulled 0, pushed 1") {
		t.Errorf("sync with the new key: %q, want alice's declaration pushed", out)
	}
	if got := c.run(b, "incident", "show", inc[:8]); !strings.Contains(got, "Signed by the new key") {
		t.Errorf("bob lacks alice's incident after the rotation: %s", got)
	}
}

// With no peer to reach, rotate says the rotation must be carried.
func TestKeyRotateWithNoPeerSaysToCarryIt(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-rotate-alone", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	_, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf")
	if code != 0 {
		t.Fatalf("key rotate: %s", errs)
	}
	for _, want := range []string{"no peer", "bundle export", "sync --ssh"} {
		if !strings.Contains(errs, want) {
			t.Errorf("key rotate with no peers: %q, want %q", errs, want)
		}
	}
}
