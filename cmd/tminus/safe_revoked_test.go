package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// A member removed while offline records an owner's signature after the
// cut: the owner signature is valid, but the event does not count, so the
// proposal stays below its threshold. safe show lists it as not counted,
// with the reason, instead of leaving "1 of 2" to read as a lost sync; her
// signature recorded while a member still counts.
func TestSafeSignatureAfterRemovalNotCounted(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	inc := must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	carol, carolAddr := joinHome(t, dir, "carol")
	must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	id := must(t, alice, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause", "--param", "safe="+c.Safe.Hex(),
		"--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337")
	carry(t, alice, carol)
	must(t, carol, "safe", "sign", id[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[0], "owner0"))
	carry(t, carol, alice)
	must(t, alice, "member", "remove", "carol")
	late := must(t, carol, "safe", "sign", id[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[1], "owner1"))
	carry(t, carol, alice)

	var v struct {
		Confirmations string `json:"confirmations"`
		Refused       []struct {
			Owner, By, Event, Reason string
		} `json:"refused_signatures"`
	}
	if err := json.Unmarshal([]byte(must(t, alice, "safe", "show", id[:8], "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Confirmations != "1" || len(v.Refused) != 1 || v.Refused[0].Event != late || v.Refused[0].By != "carol" ||
		v.Refused[0].Owner != c.Owners[1].Hex() || !strings.Contains(v.Refused[0].Reason, "key revoked") {
		t.Fatalf("safe show --json: %+v, want 1 counted and carol's late signature refused as revoked", v)
	}
	if out := must(t, alice, "safe", "show", id[:8]); !strings.Contains(out, "NOT COUNTED, recorded by carol (event "+late[:10]+"): key revoked") {
		t.Errorf("safe show does not list the refused signature:\n%s", out)
	}
	fails(t, alice, "1 of 2 owner signatures", "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", keystoreFile(t, c.Funder, "gas"))
}
