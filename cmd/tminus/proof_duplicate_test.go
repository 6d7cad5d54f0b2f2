package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// The same signed statement recorded twice made two standing proofs of one
// key: revoking "the" proof of a stolen key left the other counting, and
// nothing said so. A statement already recorded is refused, naming its
// proof; revoking a proof whose key another standing proof still vouches
// for says which one to revoke as well.
func TestProofOfOneKeyTwice(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-twice", "")
	first := must(t, home, "proof", "add", "ssh", "--key", key)

	// The same statement and signature again (made elsewhere, recorded twice).
	stmt := must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--expires", "4000h") + "\n"
	st := writeFile(t, filepath.Join(dir, "st"), stmt)
	signed, err := proof.SignSSH(domaintest.SSHKey("alice-twice"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	sig := writeFile(t, filepath.Join(dir, "st.sig"), string(signed))
	second := must(t, home, "proof", "add", "ssh", "--public-key", key+".pub", "--statement", st, "--signature", sig)
	fails(t, home, "already recorded as proof "+second[:10], "proof", "add", "ssh", "--public-key", key+".pub", "--statement", st, "--signature", sig)

	// A renewal (a new statement) of the same key is allowed; revoking one
	// of the two standing proofs names the other.
	_, errs, code := tminus(t, home, "proof", "revoke", first[:10])
	if code != 0 {
		t.Fatalf("revoke: %s", errs)
	}
	if !strings.Contains(errs, "still vouched for by proof "+second[:10]) || !strings.Contains(errs, "tminus proof revoke "+second[:10]) {
		t.Errorf("revoking one of two proofs of a key: stderr %q, want the other named", errs)
	}
	_, errs, code = tminus(t, home, "proof", "revoke", second[:10])
	if code != 0 || strings.Contains(errs, "still vouched") {
		t.Errorf("revoking the last proof of a key: exit %d, %q", code, errs)
	}
}
