package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/google/uuid"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// Without an agent, one TMINUS_PASSPHRASE opens both the member key and the
// owner or gas keystore. Given the keystore's passphrase alone (the devchain
// drill's "devchain"), sign, exec and anchor must stop before anything is
// signed or sent, and say to hold the member key in an agent: an exec or
// anchor that reached the chain and then failed to record would be lost.
func TestSafeKeystorePassphraseWithoutAgent(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	alice, inc := newWorkspace(t) // member key under "correct horse"
	owner := []string{keystoreFile(t, c.OwnerKeys[0], "owner0"), keystoreFile(t, c.OwnerKeys[1], "owner1"),
		keystoreFile(t, c.OwnerKeys[2], "owner2")}
	funder := keystoreFile(t, c.Funder, "funder")
	id := must(t, alice, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause",
		"--param", "safe="+c.Safe.Hex(), "--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337")
	must(t, alice, "safe", "sign", id[:8], "--owner-key", owner[0])
	must(t, alice, "safe", "sign", id[:8], "--owner-key", owner[1])

	// A passphrase that does not open the member key: the check comes before any keystore is tried.
	t.Setenv("TMINUS_PASSPHRASE", "not the member key's")
	const hint = `hold your key in an agent first (eval "$(tminus agent)")`
	fails(t, alice, hint, "safe", "sign", id[:8], "--owner-key", owner[2])
	fails(t, alice, hint, "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)
	fails(t, alice, hint, "anchor", "--rpc", c.RPC, "--key", funder)
	if paused, err := c.Paused(context.Background()); err != nil || paused {
		t.Fatalf("exec without a member signer reached the chain: paused=%v, %v", paused, err)
	}
}

// An owner keystore under its own passphrase, with TMINUS_PASSPHRASE the
// member key's: the error says how to give each its own (an agent for the
// member key), not only "wrong passphrase"; nothing is recorded.
func TestSafeOwnerKeyWithItsOwnPassphrase(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	alice, inc := newWorkspace(t)
	id := must(t, alice, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause",
		"--param", "safe="+c.Safe.Hex(), "--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337")
	data, err := keystore.EncryptKey(&keystore.Key{Id: uuid.New(), Address: c.Owners[0], PrivateKey: c.OwnerKeys[0]},
		"devchain", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	owner := filepath.Join(t.TempDir(), "owner1.json")
	if err := os.WriteFile(owner, data, 0o600); err != nil {
		t.Fatal(err)
	}
	fails(t, alice, `wrong passphrase. The passphrase is the one read for your member key: if `+owner+` has its own, hold your key in an agent first (eval "$(tminus agent)")`,
		"safe", "sign", id[:8], "--owner-key", owner)
}
