package proof

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// FuzzCheck feeds Check arbitrary proofs of every kind, seeded with valid
// ones; it must never panic, and whatever it accepts must be a proof whose
// statement names its key.
func FuzzCheck(f *testing.F) {
	k := newSSHKey(f, "ecdsa-p256")
	for _, p := range []Proof{
		sshProof(f, k),
		certProof(f, k, certBy(f, newSSHKey(f, "ed25519"), k, ssh.UserCert, []string{"alice"}, 0, ssh.CertTimeInfinity)),
		pgpProof(f, newPGPKey(f, 0, 0), t0, 0, true),
		pgpProof(f, newPGPKey(f, 0, 0), t0, 0, false),
	} {
		f.Add(p.Kind, p.PublicKey, p.Statement, p.Signature)
	}
	dir := filepath.Join("testdata", "sk", "ed25519")
	key, _ := os.ReadFile(filepath.Join(dir, "key.pub"))
	st, _ := os.ReadFile(filepath.Join(dir, "statement"))
	sig, _ := os.ReadFile(filepath.Join(dir, "touched.sig"))
	f.Add(KindSSH, key, st, sig)

	f.Fuzz(func(t *testing.T, kind string, key, statement, signature []byte) {
		p := Proof{Kind: kind, PublicKey: key, Statement: statement, Signature: signature}
		c, err := Check(p, t0)
		if err != nil {
			return
		}
		fp, err := Fingerprint(kind, key)
		if err != nil || fp != c.Fingerprint || c.Statement.Fingerprint != fp || c.Statement.Kind != kind {
			t.Fatalf("accepted a proof whose statement does not name its key: %+v (%v)", c, err)
		}
	})
}
