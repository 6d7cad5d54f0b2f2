package main

import (
	"context"
	"encoding/json"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// anchor --confirmations N records the anchor only once N blocks hold it:
// on a chain that adds no block by itself the wait ends in an error that
// says nothing was recorded, and stores nothing. verify --anchor says how
// many confirmations the anchor has.
func TestAnchorConfirmations(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, inc := newWorkspace(t)
	key := keystoreFile(t, c.Funder, "anchor")
	_, errs, code := tminus(t, home, "anchor", "--rpc", c.RPC, "--key", key, "--confirmations", "3", "--timeout", "5s")
	lines := strings.Split(errs, "\n")
	last := lines[len(lines)-1]
	if code != 1 || !strings.HasPrefix(last, "tminus: ") || !strings.Contains(last, " of 3 confirmations") ||
		!strings.Contains(last, "nothing recorded") || !strings.Contains(lines[0], "waiting for 3 confirmations") {
		t.Errorf("exit %d, stderr:\n%s\nwant the wait announced, then one error line saying how far it got and that nothing was recorded", code, errs)
	}
	if n := strings.Count(must(t, home, "log", "--json"), `"kind":"anchor.record"`); n != 0 {
		t.Fatalf("%d anchor records after unconfirmed anchors", n)
	}
	must(t, home, "anchor", "--rpc", c.RPC, "--key", key)
	must(t, home, "note", inc[:8], "after the anchor")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other := c.Owners[0] // one more block (at least) on top of the anchor's
	if _, err := c.Client.Send(ctx, c.Funder, &other, big.NewInt(1), nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, home, "bundle", "export", file)
	out := must(t, home, "verify", "--anchor", "--rpc", c.RPC, file)
	if !strings.Contains(out, " confirmation") || strings.Contains(out, "reorg") {
		t.Errorf("verify --anchor:\n%s", out)
	}
	var v struct {
		Anchors []struct {
			Block         string `json:"block"`
			Recorded      string `json:"recorded_block"`
			Confirmations uint64 `json:"confirmations"`
		} `json:"anchors"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "verify", "--anchor", "--rpc", c.RPC, file, "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Anchors) != 1 || v.Anchors[0].Confirmations < 2 || v.Anchors[0].Block != v.Anchors[0].Recorded {
		t.Errorf("verify --anchor --json: %+v", v)
	}
	// The note after the anchor lost in a copy cut at a line break: every
	// anchored root still reproduces, and only FILE.sha256 tells.
	whole := string(mustRead(t, file))
	writeFile(t, file, whole[:strings.LastIndex(strings.TrimSuffix(whole, "\n"), "\n")+1])
	fails(t, home, "does not match "+sumPath(file)+": it was cut or changed on the way", "verify", "--anchor", "--rpc", c.RPC, file)
}

// A node that says it serves another chain than the runbook's step and
// answers garbage to everything else is refused for its chain, before it
// is asked about the Safe; nothing is proposed.
func TestSafeProposeOnLyingRPC(t *testing.T) {
	url := chaintest.FakeRPC(t, func(method string) string {
		if method == "eth_chainId" {
			return chaintest.Result(`"0x1"`)
		}
		return chaintest.Result(`"0xzz"`)
	})
	home, inc := newWorkspace(t)
	fails(t, home, "serves chain 1,", "safe", "propose", inc[:8], "--rpc", url, "--runbook", "contract-pause",
		"--param", "safe=0x06ce113b37d39d6a1f8c56d902be35a539e517ce", "--param", "contract=0xd981f978acb667dc848e8dda5f8448e7e023582b",
		"--param", "chain_id=1337")
}

// verify --anchor against a node of another chain says so, rather than
// that the anchor transaction is not on the chain (a dropped anchor).
func TestVerifyAnchorOtherChain(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, _ := newWorkspace(t)
	must(t, home, "anchor", "--rpc", c.RPC, "--key", keystoreFile(t, c.Funder, "anchor"))
	file := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, home, "bundle", "export", file)
	url := chaintest.FakeRPC(t, func(string) string { return chaintest.Result(`"0xa"`) }) // chain 10; nonsense for the rest
	fails(t, home, "was recorded on chain 1337, "+url+" serves chain 10", "verify", "--anchor", "--rpc", url, file)
}
