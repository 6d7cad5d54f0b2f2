package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"github.com/tminus-ir/tminus/onchain/chaintest"
	"github.com/tminus-ir/tminus/workspace"
)

// foldsOf runs one command line in-process, as run does, and returns its
// output and how many times it folded the store's events (store.Folds):
// the part of a command whose cost grows with the store.
func foldsOf(t *testing.T, home string, args ...string) (string, int64) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{home: &workspace.Home{}, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	defer a.home.Close()
	if code := a.run(context.Background(), append([]string{"--home", home}, args...)); code != 0 {
		t.Fatalf("tminus %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	st, err := a.home.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String()), st.Folds()
}

// Every command that checks the state before it signs, and reports the
// state after it wrote, folds the store once: the checks, the write's gate
// and the report share one fold, brought forward by the new events only.
func TestWriteCommandsFoldOnce(t *testing.T) {
	w := newCockpitWorkspace(t) // alice, an incident, bob (triage) whose key signs here, the stand-in runbook
	home, inc := w.home, w.incident
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	dir := t.TempDir()
	proofKey := writeSSHKey(t, dir, "alice-folds", "")
	rotKey := writeSSHKey(t, dir, "alice-folds-rot", "")
	ca := writeSSHKey(t, dir, "folds-ca", "")

	once := func(args ...string) string {
		t.Helper()
		out, n := foldsOf(t, home, args...)
		if n != 1 {
			t.Errorf("tminus %s folded the store %d times, want once", strings.Join(args, " "), n)
		}
		return out
	}
	bobs := func(b domain.Body) string { t.Helper(); return w.bobs(t, b) }

	// Identity: proofs, roster changes (two members: pending at quorum 2), an approval.
	proofID := once("proof", "add", "ssh", "--key", proofKey)
	once("proof", "revoke", proofID)
	once("proof", "add", "ssh", "--key", rotKey, "--json")
	once("member", "ca", "add", ca+".pub")
	once("member", "policy", "--role", "observer", "--min-proofs", "0", "--json")
	carol, _ := crypto.GenerateKey()
	once("member", "approve", bobs(&domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: crypto.PubkeyToAddress(carol.PublicKey), Handle: "carol", Roles: []string{"observer"}}}), "--json")
	dave, _ := crypto.GenerateKey()
	once("member", "add", crypto.PubkeyToAddress(dave.PublicKey).Hex(), "--handle", "dave", "--role", "observer", "--json")
	once("member", "remove", "carol")

	// The incident.
	once("alert", "ack", must(t, home, "alert", "raise", "--title", "Paused() on the bridge"))
	once("task", "done", must(t, home, "task", "add", inc, "--title", "Page the bridge team"))
	once("incident", "assign", inc, "triage", "bob")
	once("incident", "severity", inc, "P2")
	once("incident", "status", inc, "contained")

	// Runbooks: bob proposes, alice's approval makes the quorum and she runs it.
	proposal := bobs(w.pauseProposal(t))
	once("runbook", "approve", proposal, "--json")
	once("runbook", "exec", proposal)
	once("runbook", "propose", inc, "stand-in-pause", "--param", "target=bridge")

	// On chain: a Safe proposal, an owner's signature, an anchor.
	safeID := once("safe", "propose", inc, "--rpc", c.RPC, "--runbook", "contract-pause", "--param", "safe="+c.Safe.Hex(),
		"--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337")
	once("safe", "sign", safeID, "--owner-key", keystoreFile(t, c.OwnerKeys[0], "owner0"), "--json")
	once("anchor", "--rpc", c.RPC, "--key", keystoreFile(t, c.Funder, "funder"), "--json")

	// Last, the rotations: a lost key's (pending at the roster quorum), then
	// this home's own, which retires the key the commands above signed with.
	next, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := crypto.PubkeyToAddress(next.PublicKey).Hex()
	stmt := must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", rotKey+".pub", "--member", to) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-folds-rot"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	once("member", "rotate", "alice", "--to", to, "--kind", "ssh", "--public-key", rotKey+".pub",
		"--statement", writeFile(t, filepath.Join(dir, "st"), stmt), "--signature", writeFile(t, filepath.Join(dir, "st.sig"), string(sig)))
	once("key", "rotate", "--key", rotKey, "--light-kdf", "--json")
}
