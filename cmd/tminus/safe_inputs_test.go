package main

import (
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// Bad inputs to safe propose and sign that used to pass or read as
// something else: a target without code (pause() on a mistyped or
// wrong-chain address runs nothing and the Safe reports success), and a
// --signature of the wrong length (wrong usage, exit 2, as bad hex is).
// Nothing is stored.
func TestSafeProposeAndSignBadInputs(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, inc := newWorkspace(t)
	propose := func(contract string) []string {
		return []string{"safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause", "--param", "safe=" + c.Safe.Hex(),
			"--param", "contract=" + contract, "--param", "chain_id=1337"}
	}
	fails(t, home, "no contract at "+c.Owners[0].Hex()+" on chain 1337", propose(c.Owners[0].Hex())...)
	id := must(t, home, propose(c.Target.Hex())...)
	for _, sig := range []string{"0x1234", "0x" + strings.Repeat("ab", 66), "0xzz"} {
		fails(t, home, "--signature", "safe", "sign", id[:8], "--signature", sig)
		if _, _, code := tminus(t, home, "safe", "sign", id[:8], "--signature", sig); code != 2 {
			t.Errorf("safe sign --signature %s: exit %d, want 2", sig, code)
		}
	}
}
