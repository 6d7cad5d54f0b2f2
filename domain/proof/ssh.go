package proof

import (
	"bytes"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// sshKeyTypes are the OpenSSH key types a proof may use: those that
// `ssh-keygen -Y sign` makes, less DSA. RSA keys sign with rsa-sha2-256/512
// only; sshsig refuses ssh-rsa (SHA-1) signatures when parsing.
var sshKeyTypes = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSA,
	ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256,
}

// RSA key sizes: ssh-keygen's floor for new keys (its default is 3072), and
// OpenSSH's ceiling (SSH_RSA_MAXIMUM_MODULUS_SIZE), which also bounds what a
// forged huge key costs every replica that verifies it.
const (
	minRSABits = 2048
	maxRSABits = 16384
)

// skUserPresent is the "user present" bit of a security key signature's
// flags (OpenSSH PROTOCOL.u2f): the touch that makes it a second factor.
const skUserPresent = 0x01

// parseSSHLine reads one OpenSSH public key line (a .pub or -cert.pub file,
// or an authorized_keys line) and nothing else.
func parseSSHLine(b []byte) (ssh.PublicKey, error) {
	pub, _, _, rest, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not an OpenSSH public key line: %v", ErrUnsupported, err)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: more than one key given; give one .pub file", ErrUnsupported)
	}
	return pub, nil
}

// checkSSHKeyType refuses key types outside sshKeyTypes and short RSA keys.
func checkSSHKeyType(pub ssh.PublicKey) error {
	if !slices.Contains(sshKeyTypes, pub.Type()) {
		return fmt.Errorf("%w: SSH key type %s (use ed25519, ecdsa, rsa or a security key)", ErrUnsupported, pub.Type())
	}
	if ck, ok := pub.(ssh.CryptoPublicKey); ok {
		if k, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && (k.N.BitLen() < minRSABits || k.N.BitLen() > maxRSABits) {
			return fmt.Errorf("%w: RSA key of %d bits, want %d to %d", ErrUnsupported, k.N.BitLen(), minRSABits, maxRSABits)
		}
	}
	return nil
}

// sshProofKey returns the key that signs the proof: the plain key for kind
// ssh, the certified key (and its certificate) for ssh-cert.
func sshProofKey(kind string, b []byte) (ssh.PublicKey, *ssh.Certificate, error) {
	pub, err := parseSSHLine(b)
	if err != nil {
		return nil, nil, err
	}
	cert, isCert := pub.(*ssh.Certificate)
	switch {
	case kind == KindSSH && isCert:
		return nil, nil, fmt.Errorf("%w: that is a certificate; use kind %s", ErrUnsupported, KindSSHCert)
	case kind == KindSSHCert && !isCert:
		return nil, nil, fmt.Errorf("%w: kind %s wants the certificate (the -cert.pub file), not a plain key", ErrUnsupported, KindSSHCert)
	case isCert:
		pub = cert.Key
	}
	if err := checkSSHKeyType(pub); err != nil {
		return nil, nil, err
	}
	return pub, cert, nil
}

// checkSSH verifies an ssh or ssh-cert proof's key and SSHSIG signature.
func checkSSH(p Proof, st Statement) (Checked, error) {
	key, cert, err := sshProofKey(p.Kind, p.PublicKey)
	if err != nil {
		return Checked{}, err
	}
	c := Checked{Fingerprint: sshFingerprint(key)}
	if err := matchKey(st, c.Fingerprint); err != nil {
		return Checked{}, err
	}
	if cert != nil {
		if err := checkCert(cert, &c); err != nil {
			return Checked{}, err
		}
	}
	sig, err := parseSSHSig(p.Signature)
	if err != nil {
		return Checked{}, err
	}
	// ssh-keygen -Y sign embeds the certificate when it signs with a
	// certified key; either way the signing key must be the proof's key.
	signer := sig.PublicKey
	if sc, ok := signer.(*ssh.Certificate); ok {
		signer = sc.Key
	}
	if fp := ssh.FingerprintSHA256(signer); fp != c.Fingerprint {
		return Checked{}, fmt.Errorf("%w: signed by another key (%s), not %s", ErrSignature, fp, c.Fingerprint)
	}
	if sig.Namespace != Namespace {
		return Checked{}, fmt.Errorf("%w: it is %q (sign with ssh-keygen -Y sign -n %s)", ErrNamespace, sig.Namespace, Namespace)
	}
	if sig.Signature.Format == ssh.KeyAlgoRSA {
		// sshsig refuses these only for a plain RSA key, not one in a certificate.
		return Checked{}, fmt.Errorf("%w: ssh-rsa (SHA-1) signatures are refused; sign with rsa-sha2-512", ErrSignature)
	}
	if strings.HasPrefix(sig.Signature.Format, "sk-") {
		// x/crypto checks this too; checking here names the reason.
		if len(sig.Signature.Rest) == 0 || sig.Signature.Rest[0]&skUserPresent == 0 {
			return Checked{}, fmt.Errorf("%w: sign again and touch the security key", ErrUserPresence)
		}
	}
	sig.PublicKey = key
	if err := sshsig.Verify(bytes.NewReader(p.Statement), sig, key, sig.HashAlgorithm, Namespace); err != nil {
		return Checked{}, fmt.Errorf("%w: %s signature does not verify over the statement: %v", ErrSignature, sig.Signature.Format, err)
	}
	c.Algorithm = sig.Signature.Format
	return c, nil
}

// parseSSHSig reads one armored SSHSIG and nothing else.
func parseSSHSig(b []byte) (*sshsig.Signature, error) {
	b = bytes.TrimSpace(b)
	block, rest := pem.Decode(b)
	if block == nil || !bytes.HasPrefix(b, []byte("-----BEGIN "+sshsig.PEMType+"-----")) {
		return nil, fmt.Errorf("%w: not an armored SSH signature (-----BEGIN %s-----)", ErrSignature, sshsig.PEMType)
	}
	if block.Type != sshsig.PEMType || len(block.Headers) != 0 || len(rest) != 0 {
		return nil, fmt.Errorf("%w: want exactly one %s block", ErrSignature, sshsig.PEMType)
	}
	sig, err := sshsig.ParseSignature(block.Bytes)
	switch {
	case errors.Is(err, sshsig.ErrUnsupportedHashAlgorithm):
		return nil, fmt.Errorf("%w: %v", ErrHashAlg, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return sig, nil
}

// SignSSH makes an armored SSHSIG over msg, namespace "tminus", sha512 — what
// `ssh-keygen -Y sign -n tminus` writes. The caller gets the ssh.Signer from a
// key file or SSH_AUTH_SOCK (that I/O lives in cmd/tminus). ECDSA signers
// draw randomness from crypto/rand; nothing else here does.
func SignSSH(signer ssh.Signer, msg []byte) ([]byte, error) {
	pub := signer.PublicKey()
	if c, ok := pub.(*ssh.Certificate); ok {
		pub = c.Key
	}
	if err := checkSSHKeyType(pub); err != nil {
		return nil, err
	}
	if as, ok := signer.(ssh.AlgorithmSigner); ok && pub.Type() == ssh.KeyAlgoRSA {
		// sshsig picks rsa-sha2-512 for a plain RSA key only; through a
		// certificate it would sign with ssh-rsa (SHA-1), which Check refuses.
		signer = rsaSHA512{as}
	}
	sig, err := sshsig.Sign(bytes.NewReader(msg), signer, sshsig.HashSHA512, Namespace)
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", ssh.FingerprintSHA256(pub), err)
	}
	return sshsig.Armor(sig), nil
}

// rsaSHA512 makes every Sign an rsa-sha2-512 signature.
type rsaSHA512 struct{ ssh.AlgorithmSigner }

func (s rsaSHA512) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.SignWithAlgorithm(rand, data, ssh.KeyAlgoRSASHA512)
}

func sshFingerprint(pub ssh.PublicKey) string { return ssh.FingerprintSHA256(pub) }
