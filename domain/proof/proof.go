package proof

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Proof kinds, the SSHSIG namespace and the size caps.
const (
	KindSSH     = "ssh"
	KindSSHCert = "ssh-cert"
	KindOpenPGP = "openpgp"

	// Namespace is the SSHSIG namespace of every tminus proof signature
	// (what `ssh-keygen -Y sign -n tminus` writes).
	Namespace = "tminus"

	MaxKey       = 16 << 10 // public key / certificate / OpenPGP key bytes
	MaxSignature = 16 << 10
	MaxStatement = 2 << 10

	// DefaultValidity: "review identity proofs every six months".
	DefaultValidity = 183 * 24 * time.Hour
)

// Kinds lists the proof kinds, in the order commands print them.
var Kinds = []string{KindSSH, KindSSHCert, KindOpenPGP}

// Sentinel errors; Check and friends wrap them with detail.
var (
	ErrTooLarge     = errors.New("proof input too large")
	ErrStatement    = errors.New("malformed proof statement")
	ErrKeyMismatch  = errors.New("statement does not match the key")
	ErrSignature    = errors.New("bad proof signature")
	ErrNamespace    = errors.New("SSH signature namespace is not \"" + Namespace + "\"")
	ErrHashAlg      = errors.New("SSH signature hash algorithm is not sha256 or sha512")
	ErrUserPresence = errors.New("security key signature lacks user presence")
	ErrNotValid     = errors.New("proof not valid at this time")
	ErrRevoked      = errors.New("OpenPGP key revoked")
	ErrKeyExpired   = errors.New("OpenPGP key expired")
	ErrUnsupported  = errors.New("unsupported proof kind or key type")
)

// Proof is a statement and its signature by a second key, as the member gave them.
type Proof struct {
	Kind      string
	PublicKey []byte // as given: authorized_keys line, certificate line, armored OpenPGP key
	Statement []byte // Statement.Marshal() bytes, exactly
	Signature []byte // armored SSHSIG, or OpenPGP detached signature (armored or binary)
}

// Checked is what a verified proof establishes.
type Checked struct {
	Statement   Statement
	Fingerprint string
	Algorithm   string    // "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "rsa-sha2-512", "openpgp" ...
	CA          string    // ssh-cert: the CA key's fingerprint
	Principals  []string  // ssh-cert
	ValidAfter  time.Time // ssh-cert window; zero = unbounded
	ValidBefore time.Time
	KeyExpires  time.Time // openpgp signing (sub)key expiry; zero = never
}

// Check verifies p as of at (the signed time of the event carrying it):
// size caps, the statement's strict form, its kind and fingerprint match the
// key, the signature covers exactly the statement bytes (SSHSIG: namespace
// "tminus", hash sha256 or sha512 only; sk- kinds: user-presence flag
// required, application string is the key's); ssh-cert: the certificate's
// own signature by its CA is valid and it is a user certificate; openpgp: the
// signing key/subkey is neither revoked nor expired at at.
//
// It does NOT judge the statement's workspace/member, the validity window, CA
// trust, or principals: the fold does, using Checked.ValidAt and the roster.
func Check(p Proof, at time.Time) (Checked, error) {
	// Caps first: nothing past them is parsed.
	switch {
	case len(p.PublicKey) > MaxKey:
		return Checked{}, fmt.Errorf("%w: public key is %d bytes, the limit is %d", ErrTooLarge, len(p.PublicKey), MaxKey)
	case len(p.Signature) > MaxSignature:
		return Checked{}, fmt.Errorf("%w: signature is %d bytes, the limit is %d", ErrTooLarge, len(p.Signature), MaxSignature)
	case len(p.Statement) > MaxStatement:
		return Checked{}, fmt.Errorf("%w: statement is %d bytes, the limit is %d", ErrTooLarge, len(p.Statement), MaxStatement)
	}
	st, err := ParseStatement(p.Statement)
	if err != nil {
		return Checked{}, err
	}
	if st.Kind != p.Kind {
		return Checked{}, fmt.Errorf("%w: the statement is for kind %s, the proof is %s", ErrKeyMismatch, st.Kind, p.Kind)
	}
	var c Checked
	switch p.Kind {
	case KindSSH, KindSSHCert:
		c, err = checkSSH(p, st)
	case KindOpenPGP:
		c, err = checkOpenPGP(p, st, at)
	default:
		return Checked{}, fmt.Errorf("%w: kind %q (want one of %s)", ErrUnsupported, p.Kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return Checked{}, err
	}
	c.Statement = st
	return c, nil
}

// Fingerprint of a public key as a user has it in a file:
//
//	ssh:      an authorized_keys line (or .pub file) -> "SHA256:..."
//	ssh-cert: a certificate line (-cert.pub) -> the certified key's, not the CA's
//	openpgp:  an armored (or binary) public key -> 40 upper-case hex, v4 primary fingerprint
func Fingerprint(kind string, publicKey []byte) (string, error) {
	if len(publicKey) > MaxKey {
		return "", fmt.Errorf("%w: public key is %d bytes, the limit is %d", ErrTooLarge, len(publicKey), MaxKey)
	}
	switch kind {
	case KindSSH, KindSSHCert:
		key, _, err := sshProofKey(kind, publicKey)
		if err != nil {
			return "", err
		}
		return sshFingerprint(key), nil
	case KindOpenPGP:
		e, err := readOpenPGPKey(publicKey)
		if err != nil {
			return "", err
		}
		return openPGPFingerprint(e), nil
	}
	return "", fmt.Errorf("%w: kind %q (want one of %s)", ErrUnsupported, kind, strings.Join(Kinds, ", "))
}

// ValidAt returns nil if c is valid at t, else an error wrapping ErrNotValid
// that names why: not yet issued, statement expired, certificate outside its
// window, or OpenPGP key expired (which also wraps ErrKeyExpired).
func (c Checked) ValidAt(t time.Time) error {
	st := c.Statement
	switch {
	case t.Before(st.IssuedAt):
		return fmt.Errorf("%w: issued at %s, after %s: record the proof after its statement was issued (is the clock of the machine that printed the statement ahead?)", ErrNotValid, stamp(st.IssuedAt), stamp(t))
	case !t.Before(st.Expires):
		return fmt.Errorf("%w: expired at %s (add a new proof)", ErrNotValid, stamp(st.Expires))
	case !c.ValidAfter.IsZero() && t.Before(c.ValidAfter):
		return fmt.Errorf("%w: certificate valid only from %s: record it once its window opens, or have the CA issue one valid now", ErrNotValid, stamp(c.ValidAfter))
	case !c.ValidBefore.IsZero() && !t.Before(c.ValidBefore):
		return fmt.Errorf("%w: certificate expired at %s: have the CA issue a new certificate, then add a new proof", ErrNotValid, stamp(c.ValidBefore))
	case !c.KeyExpires.IsZero() && t.After(c.KeyExpires): // go-crypto counts the last second in
		return fmt.Errorf("%w: %w at %s: extend the key's expiry (gpg --quick-set-expire), export it again and add a new proof", ErrNotValid, ErrKeyExpired, stamp(c.KeyExpires))
	}
	return nil
}

// matchKey is checked as soon as the key is read, before its signature: a
// statement for another key is the clearer reason.
func matchKey(st Statement, fingerprint string) error {
	if st.Fingerprint != fingerprint {
		return fmt.Errorf("%w: the statement names %s, the key is %s", ErrKeyMismatch, st.Fingerprint, fingerprint)
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }
