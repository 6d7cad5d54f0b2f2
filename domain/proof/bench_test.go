package proof

import "testing"

// Every replica checks every proof each time it folds one (a refold from a
// snapshot included), so a proof's check is a fold cost: these say how much.

func benchCheck(b *testing.B, p Proof) {
	b.Helper()
	if _, err := Check(p, t0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(p, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckSSHEd25519(b *testing.B) { benchCheck(b, sshProof(b, newSSHKey(b, "ed25519"))) }
func BenchmarkCheckSSHECDSA(b *testing.B)   { benchCheck(b, sshProof(b, newSSHKey(b, "ecdsa-p256"))) }
func BenchmarkCheckSSHRSA2048(b *testing.B) { benchCheck(b, sshProof(b, newSSHKey(b, "rsa-2048"))) }

func BenchmarkCheckOpenPGP(b *testing.B) {
	benchCheck(b, pgpProof(b, newPGPKey(b, 0, 0), t0, 0, true))
}
