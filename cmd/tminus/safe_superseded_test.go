package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// Two proposals at one Safe nonce, as when a responder proposes a pause
// while another has a threshold change signed: once one executes, the
// other can never run. safe show says so, and safe sign and safe exec
// refuse it, naming the proposal that used the nonce, before anything is
// asked of the owner's key or the chain; nothing is stored.
func TestSafeSupersededProposal(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, inc := newWorkspace(t)
	pause := signedSafe(t, c, home, inc, 0)
	freeze, errs, code := tminus(t, home, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "safe-freeze", "--param", "safe="+c.Safe.Hex(),
		"--param", "threshold=3", "--param", "chain_id=1337")
	if code != 0 || !strings.Contains(errs, "note: safe proposal "+pause[:10]+" (contract-pause by alice) is also at nonce 0") {
		t.Fatalf("propose at a nonce another open proposal holds: exit %d, stderr %s", code, errs)
	}
	for i := range 2 {
		must(t, home, "safe", "sign", freeze[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[i], "owner"))
	}
	if out := must(t, home, "safe", "show", pause[:8]); strings.Contains(out, "SUPERSEDED") {
		t.Fatalf("superseded before anything executed:\n%s", out)
	}
	must(t, home, "safe", "exec", freeze[:8], "--rpc", c.RPC, "--from-key", keystoreFile(t, c.Funder, "gas"))

	if out := must(t, home, "safe", "show", pause[:8]); !strings.Contains(out, "SUPERSEDED") || !strings.Contains(out, freeze[:10]) {
		t.Errorf("safe show does not say the proposal is superseded:\n%s", out)
	}
	var v struct {
		SupersededBy string `json:"superseded_by"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "safe", "show", pause[:8], "--json")), &v); err != nil || v.SupersededBy != freeze {
		t.Errorf("safe show --json superseded_by = %q (%v), want %s", v.SupersededBy, err, freeze)
	}
	fails(t, home, "can never execute", "safe", "sign", pause[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[2], "owner2"))
	fails(t, home, "nonce 0 was used by safe proposal "+freeze[:10], "safe", "exec", pause[:8], "--rpc", c.RPC,
		"--from-key", keystoreFile(t, c.Funder, "gas2"))
	if paused, err := c.Paused(t.Context()); err != nil || paused {
		t.Fatalf("paused() = %v, %v after refused commands", paused, err)
	}
}
