package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// A statement signed elsewhere carries its expiry in the signed bytes.
// --expires beside it was silently dropped: the proof was recorded with the
// statement's expiry, not the one asked for. It is refused, saying where
// the expiry goes, and nothing is stored.
func TestExpiresBesideASignedStatementIsRefused(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-away", "")
	st := filepath.Join(dir, "st")
	writeFile(t, st, must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub")+"\n")
	data, err := os.ReadFile(st)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-away"), data)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, st+".sig", string(sig))
	signed := []string{"--public-key", key + ".pub", "--statement", st, "--signature", st + ".sig"}

	fails(t, home, "give --expires to tminus proof statement", append([]string{"proof", "add", "ssh", "--expires", "1h"}, signed...)...)
	fails(t, home, "give --expires to tminus proof statement", append([]string{"key", "rotate", "--kind", "ssh", "--expires", "1h"}, signed...)...)
	must(t, home, append([]string{"proof", "add", "ssh"}, signed...)...) // the same, without --expires
}
