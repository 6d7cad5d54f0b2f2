package proof

import (
	"errors"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/crypto/ssh"
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

// Check verifies p as of at (the signed time of the event carrying it).
// It does NOT judge the statement's workspace/member, the validity window, CA
// trust, or principals: the fold does, using Checked.ValidAt and the roster.
func Check(p Proof, at time.Time) (Checked, error) {
	return Checked{}, ErrUnsupported
}

// ValidAt returns nil if c is valid at t, else an error wrapping ErrNotValid.
func (c Checked) ValidAt(t time.Time) error {
	return ErrNotValid
}

// SignSSH makes an armored SSHSIG over msg, namespace "tminus", sha512.
func SignSSH(signer ssh.Signer, msg []byte) ([]byte, error) {
	return nil, ErrUnsupported
}

// AllowedSigner formats one OpenSSH allowed_signers line.
func AllowedSigner(principal string, publicKey []byte, validBefore time.Time) (string, error) {
	return "", ErrUnsupported
}

// AllowedCA formats one cert-authority allowed_signers line.
func AllowedCA(principal string, caKey []byte) (string, error) {
	return "", ErrUnsupported
}

// Statement is what the second key signs.
type Statement struct {
	Workspace   string
	Member      common.Address
	Kind        string
	Fingerprint string
	IssuedAt    time.Time
	Expires     time.Time
}

// Marshal returns the canonical text of s.
func (s Statement) Marshal() []byte { return nil }

// ParseStatement parses canonical statement text strictly.
func ParseStatement(b []byte) (Statement, error) { return Statement{}, ErrStatement }

// Fingerprint of a public key as a user has it in a file.
func Fingerprint(kind string, publicKey []byte) (string, error) { return "", ErrUnsupported }
