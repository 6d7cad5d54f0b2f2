package main

import (
	"os"
	"strings"
	"testing"
)

// With the shift's agent running, sync ENODE still needs the passphrase:
// its devp2p handshake needs the private key, which an agent never lends.
// "no passphrase" alone read as if the agent were not working; the error
// says why and what to do.
func TestSyncNodeWithAgentSaysWhyItNeedsThePassphrase(t *testing.T) {
	home, _ := newWorkspace(t)
	startAgentWith(t, binary(t), home, "correct horse")
	t.Setenv("TMINUS_PASSPHRASE", "") // restored after the test
	os.Unsetenv("TMINUS_PASSPHRASE")
	enode := "enode://caa7b9d94e1693c3920f9d907368a1769316abcdd87f9a469c4e3edce1c341e5f5577cf17009170009fed5023a6d3ab159cdca28b93cfc43418e96dfab877479@127.0.0.1:1"
	_, errs, code := tminus(t, home, "sync", enode)
	if code != 1 {
		t.Fatalf("sync: exit %d: %s", code, errs)
	}
	for _, want := range []string{"no passphrase", "never lends", "sync --ssh", "peer add"} {
		if !strings.Contains(errs, want) {
			t.Errorf("sync with an agent and no passphrase: %q, want %q", errs, want)
		}
	}
}
