package proof

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

var sshKeyNames = []string{"ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048"}

func TestCheckSSHAccepts(t *testing.T) {
	for _, name := range sshKeyNames {
		t.Run(name, func(t *testing.T) {
			k := newSSHKey(t, name)
			p := sshProof(t, k)
			c, err := Check(p, t0)
			if err != nil {
				t.Fatal(err)
			}
			if c.Fingerprint != ssh.FingerprintSHA256(k.signer.PublicKey()) || c.Statement.Member != testMember {
				t.Fatalf("checked %+v", c)
			}
			want := k.signer.PublicKey().Type()
			if name == "rsa-2048" {
				want = ssh.KeyAlgoRSASHA512 // never ssh-rsa (SHA-1)
			}
			if c.Algorithm != want {
				t.Fatalf("algorithm %s, want %s", c.Algorithm, want)
			}
			if err := c.ValidAt(t0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sshsigWith re-signs the statement with knobs sshsig.Sign does not expose.
func sshsigWith(t *testing.T, k sshKey, msg []byte, hash sshsig.HashAlgorithm, namespace string) []byte {
	t.Helper()
	sig, err := sshsig.Sign(bytes.NewReader(msg), k.signer, hash, namespace)
	if err != nil {
		t.Fatal(err)
	}
	return sshsig.Armor(sig)
}

// rewrapSSHSig decodes an armored SSHSIG, lets edit change it, and re-armors it.
func rewrapSSHSig(t *testing.T, armored []byte, edit func(*sshsig.Signature)) []byte {
	t.Helper()
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	edit(sig)
	return sshsig.Armor(sig)
}

func TestCheckSSHRefuses(t *testing.T) {
	k := newSSHKey(t, "ed25519")
	other := newSSHKey(t, "ed25519")
	good := sshProof(t, k)
	otherProof := sshProof(t, other)
	sigBody := func(p Proof) []byte { b, _ := pem.Decode(p.Signature); return b.Bytes }
	armor := func(b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "SSH SIGNATURE", Bytes: b}) }

	// Statement for k, but with a fingerprint of another key.
	wrongFP := statementFor(t, KindSSH, k.line)
	wrongFP.Fingerprint = ssh.FingerprintSHA256(other.signer.PublicKey())
	wrongFPBytes := wrongFP.Marshal()
	wrongKind := statementFor(t, KindSSH, k.line)
	wrongKind.Kind = KindOpenPGP
	wrongKindBytes := wrongKind.Marshal()

	// ssh-rsa (SHA-1) from an RSA key.
	rsaKey := newSSHKey(t, "rsa-2048")
	rsaProof := sshProof(t, rsaKey)
	sha1Sig := rewrapSSHSig(t, rsaProof.Signature, func(s *sshsig.Signature) {
		s.Signature.Format = ssh.KeyAlgoRSA
	})
	weakRSA := newSSHKey(t, "rsa-1024")

	cases := []editCase{
		{"signature by another key", func(p *Proof) { p.Signature = otherProof.Signature }, ErrSignature},
		{"key and statement of another member's key", func(p *Proof) { p.PublicKey = other.line }, ErrKeyMismatch},
		{"flipped byte in statement", func(p *Proof) {
			p.Statement = bytes.Replace(p.Statement, []byte("5f1c9a0e7b3d"), []byte("5f1c9a0e7b3e"), 1)
		}, ErrSignature},
		{"flipped byte in key", func(p *Proof) { p.PublicKey = flipKeyBlob(t, p.PublicKey) }, ErrKeyMismatch},
		{"flipped byte in signature", func(p *Proof) { b := sigBody(*p); p.Signature = armor(flip(b, len(b)-3)) }, ErrSignature},
		{"flipped byte in armor", func(p *Proof) { p.Signature = flip(p.Signature, 40) }, ErrSignature},
		{"other namespace", func(p *Proof) { p.Signature = sshsigWith(t, k, p.Statement, sshsig.HashSHA512, "git") }, ErrNamespace},
		{"other hash algorithm", func(p *Proof) {
			p.Signature = rewrapSSHSig(t, p.Signature, func(s *sshsig.Signature) { s.HashAlgorithm = "sha1" })
		}, ErrHashAlg},
		{"hash algorithm relabelled", func(p *Proof) {
			p.Signature = rewrapSSHSig(t, p.Signature, func(s *sshsig.Signature) { s.HashAlgorithm = sshsig.HashSHA256 })
		}, ErrSignature},
		{"statement with wrong fingerprint", func(p *Proof) { p.Statement = wrongFPBytes; p.Signature, _ = SignSSH(k.signer, wrongFPBytes) }, ErrKeyMismatch},
		{"statement with wrong kind", func(p *Proof) { p.Statement = wrongKindBytes; p.Signature, _ = SignSSH(k.signer, wrongKindBytes) }, ErrKeyMismatch},
		{"proof kind openpgp", func(p *Proof) { p.Kind = KindOpenPGP }, ErrKeyMismatch},
		{"proof kind unknown", func(p *Proof) { p.Kind = "x509" }, ErrKeyMismatch},
		{"ssh-rsa SHA-1 signature", func(p *Proof) { *p = rsaProof; p.Signature = sha1Sig }, ErrSignature},
		{"RSA key under 2048 bits", func(p *Proof) {
			st := statementFor(t, KindSSH, k.line)
			st.Fingerprint = ssh.FingerprintSHA256(weakRSA.signer.PublicKey())
			p.Statement = st.Marshal()
			p.PublicKey = weakRSA.line
			p.Signature = sshsigWith(t, weakRSA, p.Statement, sshsig.HashSHA512, Namespace)
		}, ErrUnsupported},
		{"not a key", func(p *Proof) { p.PublicKey = []byte("hello") }, ErrUnsupported},
		{"two keys", func(p *Proof) { p.PublicKey = append(append([]byte{}, k.line...), other.line...) }, ErrUnsupported},
		{"not armored", func(p *Proof) { p.Signature = sigBody(*p) }, ErrSignature},
		{"two signatures", func(p *Proof) { p.Signature = append(append([]byte{}, p.Signature...), p.Signature...) }, ErrSignature},
		{"text before armor", func(p *Proof) { p.Signature = append([]byte("hello\n"), p.Signature...) }, ErrSignature},
		{"PGP armor", func(p *Proof) {
			p.Signature = pem.EncodeToMemory(&pem.Block{Type: "PGP SIGNATURE", Bytes: sigBody(*p)})
		}, ErrSignature},
		{"empty signature", func(p *Proof) { p.Signature = nil }, ErrSignature},
		{"oversized key", func(p *Proof) { p.PublicKey = bytes.Repeat([]byte("A"), MaxKey+1) }, ErrTooLarge},
		{"oversized signature", func(p *Proof) { p.Signature = bytes.Repeat([]byte("A"), MaxSignature+1) }, ErrTooLarge},
		{"oversized statement", func(p *Proof) { p.Statement = bytes.Repeat([]byte("A"), MaxStatement+1) }, ErrTooLarge},
		{"certificate as kind ssh", func(p *Proof) {
			_, cert := newCert(t, k, ssh.UserCert, []string{"alice"}, 0, ssh.CertTimeInfinity)
			p.PublicKey = cert
		}, ErrUnsupported},
	}
	checkEdits(t, good, cases)
}

// newCert certifies k with a fresh CA and returns the CA's key line and the
// certificate line.
func newCert(t testing.TB, k sshKey, certType uint32, principals []string, after, before uint64) (ca []byte, cert []byte) {
	t.Helper()
	caKey := newSSHKey(t, "ed25519")
	return caKey.line, certBy(t, caKey, k, certType, principals, after, before)
}

func certBy(t testing.TB, ca, k sshKey, certType uint32, principals []string, after, before uint64) []byte {
	t.Helper()
	c := &ssh.Certificate{
		Key: k.signer.PublicKey(), CertType: certType, KeyId: "alice",
		ValidPrincipals: principals, ValidAfter: after, ValidBefore: before,
	}
	if err := c.SignCert(rand.Reader, ca.signer); err != nil {
		t.Fatal(err)
	}
	return ssh.MarshalAuthorizedKey(c)
}

func certProof(t testing.TB, k sshKey, certLine []byte) Proof {
	t.Helper()
	st := statementFor(t, KindSSHCert, certLine).Marshal()
	sig, err := SignSSH(k.signer, st)
	if err != nil {
		t.Fatal(err)
	}
	return Proof{Kind: KindSSHCert, PublicKey: certLine, Statement: st, Signature: sig}
}

func TestCheckSSHCert(t *testing.T) {
	k := newSSHKey(t, "ecdsa-p256")
	ca := newSSHKey(t, "ed25519")
	week := uint64(t0.Unix())
	valid := certBy(t, ca, k, ssh.UserCert, []string{"alice", "ops"}, week-3600, week+7*86400)
	p := certProof(t, k, valid)
	c, err := Check(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.CA != ssh.FingerprintSHA256(ca.signer.PublicKey()) || !slices.Equal(c.Principals, []string{"alice", "ops"}) ||
		c.Fingerprint != ssh.FingerprintSHA256(k.signer.PublicKey()) {
		t.Fatalf("checked %+v", c)
	}
	if !c.ValidAfter.Equal(t0.Add(-time.Hour)) || !c.ValidBefore.Equal(t0.Add(7*24*time.Hour)) {
		t.Fatalf("window %s..%s", c.ValidAfter, c.ValidBefore)
	}
	// The window is ValidAt's to judge, not Check's.
	wantErr(t, c.ValidAt(t0), nil)
	wantErr(t, c.ValidAt(t0.Add(-2*time.Hour)), ErrNotValid) // also before the statement
	wantErr(t, c.ValidAt(t0.Add(8*24*time.Hour)), ErrNotValid)

	t.Run("infinite window", func(t *testing.T) {
		c, err := Check(certProof(t, k, certBy(t, ca, k, ssh.UserCert, []string{"alice"}, 0, ssh.CertTimeInfinity)), t0)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ValidAfter.IsZero() || !c.ValidBefore.IsZero() {
			t.Fatalf("window %s..%s, want unbounded", c.ValidAfter, c.ValidBefore)
		}
		wantErr(t, c.ValidAt(t0.Add(DefaultValidity-time.Second)), nil)
		wantErr(t, c.ValidAt(t0.Add(DefaultValidity)), ErrNotValid) // the statement still expires
	})
	t.Run("expired certificate", func(t *testing.T) {
		c, err := Check(certProof(t, k, certBy(t, ca, k, ssh.UserCert, []string{"alice"}, week-7200, week-3600)), t0)
		wantErr(t, err, nil)
		err = c.ValidAt(t0)
		wantErr(t, err, ErrNotValid)
		if !strings.Contains(err.Error(), "certificate expired") {
			t.Fatalf("error %q does not say the certificate expired", err)
		}
	})
	t.Run("not yet valid certificate", func(t *testing.T) {
		c, err := Check(certProof(t, k, certBy(t, ca, k, ssh.UserCert, []string{"alice"}, week+3600, week+7200)), t0)
		wantErr(t, err, nil)
		wantErr(t, c.ValidAt(t0), ErrNotValid)
	})

	refuse := []struct {
		name string
		p    func() Proof
		want error
	}{
		{"host certificate", func() Proof {
			return certProof(t, k, certBy(t, ca, k, ssh.HostCert, []string{"alice"}, 0, ssh.CertTimeInfinity))
		}, ErrUnsupported},
		{"empty window", func() Proof {
			return certProof(t, k, certBy(t, ca, k, ssh.UserCert, []string{"alice"}, week, week))
		}, ErrNotValid},
		{"proof signed by the CA, not the certified key", func() Proof {
			p := certProof(t, k, valid)
			p.Signature, _ = SignSSH(ca.signer, p.Statement)
			return p
		}, ErrSignature},
		{"certificate with a forged CA signature", func() Proof {
			pub, _, _, _, _ := ssh.ParseAuthorizedKey(valid)
			cert := pub.(*ssh.Certificate)
			forged := *cert
			forged.ValidPrincipals = []string{"root"}
			return certProof(t, k, ssh.MarshalAuthorizedKey(&forged))
		}, ErrSignature},
		{"certificate critical option unknown", func() Proof {
			c := &ssh.Certificate{Key: k.signer.PublicKey(), CertType: ssh.UserCert, ValidBefore: ssh.CertTimeInfinity,
				Permissions: ssh.Permissions{CriticalOptions: map[string]string{"weird": ""}}}
			if err := c.SignCert(rand.Reader, ca.signer); err != nil {
				t.Fatal(err)
			}
			return certProof(t, k, ssh.MarshalAuthorizedKey(c))
		}, ErrUnsupported},
		{"plain key as kind ssh-cert", func() Proof {
			p := sshProof(t, k)
			p.Kind = KindSSHCert
			return p
		}, ErrKeyMismatch},
	}
	for _, c := range refuse {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check(c.p(), t0)
			wantErr(t, err, c.want)
		})
	}

	t.Run("signature made through the certificate", func(t *testing.T) {
		pub, _, _, _, _ := ssh.ParseAuthorizedKey(valid)
		cs, err := ssh.NewCertSigner(pub.(*ssh.Certificate), k.signer)
		if err != nil {
			t.Fatal(err)
		}
		p := certProof(t, k, valid)
		if p.Signature, err = SignSSH(cs, p.Statement); err != nil {
			t.Fatal(err)
		}
		if _, err := Check(p, t0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSignSSHRSACertificateUsesSHA2(t *testing.T) {
	k := newSSHKey(t, "rsa-2048")
	ca := newSSHKey(t, "ed25519")
	line := certBy(t, ca, k, ssh.UserCert, []string{"alice"}, 0, ssh.CertTimeInfinity)
	pub, _, _, _, _ := ssh.ParseAuthorizedKey(line)
	cs, err := ssh.NewCertSigner(pub.(*ssh.Certificate), k.signer)
	if err != nil {
		t.Fatal(err)
	}
	p := certProof(t, k, line)
	if p.Signature, err = SignSSH(cs, p.Statement); err != nil {
		t.Fatal(err)
	}
	c, err := Check(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != ssh.KeyAlgoRSASHA512 {
		t.Fatalf("algorithm %s", c.Algorithm)
	}
}

func TestAllowedSigner(t *testing.T) {
	k := newSSHKey(t, "ed25519")
	keyText := strings.TrimSpace(string(k.line))
	got, err := AllowedSigner("alice@ws1", append(append([]byte{}, k.line[:len(k.line)-1]...), " alice@laptop\n"...), t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := `alice@ws1 namespaces="tminus",valid-before="20261206120000Z" ` + keyText; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got, err = AllowedSigner("alice@ws1", k.line, time.Time{})
	if err != nil || got != `alice@ws1 namespaces="tminus" `+keyText {
		t.Fatalf("no expiry: %q, %v", got, err)
	}
	ca := newSSHKey(t, "ed25519")
	certLine := certBy(t, ca, k, ssh.UserCert, []string{"alice"}, 0, ssh.CertTimeInfinity)
	got, err = AllowedSigner("alice@ws1", certLine, time.Time{})
	if err != nil || got != `alice@ws1 namespaces="tminus" `+keyText {
		t.Fatalf("certificate: %q, %v (want the certified key)", got, err)
	}
	got, err = AllowedCA("*@ws1", ca.line)
	if err != nil || got != `*@ws1 cert-authority,namespaces="tminus" `+strings.TrimSpace(string(ca.line)) {
		t.Fatalf("AllowedCA: %q, %v", got, err)
	}
	for _, bad := range []string{"", "a b", "a,b", `a"b`, "#a", "a\nb"} {
		if _, err := AllowedSigner(bad, k.line, t0); err == nil {
			t.Errorf("principal %q accepted", bad)
		}
	}
	if _, err := AllowedCA("*@ws1", certLine); err == nil {
		t.Error("a certificate accepted as a CA key")
	}
	if _, err := AllowedSigner("a", bytes.Repeat([]byte("A"), MaxKey+1), t0); err == nil {
		t.Error("an oversized key accepted")
	}
}

func TestFingerprint(t *testing.T) {
	k := newSSHKey(t, "ed25519")
	ca := newSSHKey(t, "ed25519")
	certLine := certBy(t, ca, k, ssh.UserCert, nil, 0, ssh.CertTimeInfinity)
	want := ssh.FingerprintSHA256(k.signer.PublicKey())
	for _, c := range []struct {
		kind string
		key  []byte
	}{{KindSSH, k.line}, {KindSSHCert, certLine}} {
		got, err := Fingerprint(c.kind, c.key)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v, want %s", c.kind, got, err, want)
		}
	}
	if _, err := Fingerprint("x509", k.line); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := Fingerprint(KindSSH, bytes.Repeat([]byte("A"), MaxKey+1)); err == nil {
		t.Error("oversized key accepted")
	}
	// An RSA modulus past OpenSSH's 16384 bits fits in MaxKey but is
	// refused before any signature check pays for it.
	n := new(big.Int).Lsh(big.NewInt(1), maxRSABits+8)
	n.Add(n, big.NewInt(1))
	huge, err := ssh.NewPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fingerprint(KindSSH, ssh.MarshalAuthorizedKey(huge))
	wantErr(t, err, ErrUnsupported)
}
