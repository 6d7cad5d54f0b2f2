package domaintest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
)

// SSHPrivateKey is a derived ed25519 key: a name names one key, every run.
func SSHPrivateKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("tminus/test-ssh-key/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// SSHKey is SSHPrivateKey as an SSH signer.
func SSHKey(name string) ssh.Signer {
	s, err := ssh.NewSignerFromKey(SSHPrivateKey(name))
	if err != nil {
		panic(err) // an ed25519 key always makes a signer
	}
	return s
}

// AuthorizedKey is a public key as a .pub file holds it.
func AuthorizedKey(pub ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

// Cert is a user certificate for key, signed by ca.
func Cert(ca ssh.Signer, key ssh.PublicKey, principals []string, after, before time.Time) *ssh.Certificate {
	c := &ssh.Certificate{Key: key, CertType: ssh.UserCert, KeyId: "test", ValidPrincipals: principals,
		ValidAfter: uint64(after.Unix()), ValidBefore: uint64(before.Unix())}
	if before.IsZero() {
		c.ValidBefore = ssh.CertTimeInfinity
	}
	if err := c.SignCert(zeroReader{}, ca); err != nil {
		panic(err)
	}
	return c
}

// zeroReader: ed25519 signing needs no randomness, and a certificate's
// nonce may be zero in a test; derived, so a seed still names one history.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Statement is the proof statement a test signs.
func Statement(ws domain.ID, member common.Address, kind, fingerprint string, issued, expires time.Time) proof.Statement {
	return proof.Statement{Workspace: ws.String(), Member: member, Kind: kind, Fingerprint: fingerprint, IssuedAt: issued.UTC().Truncate(time.Second), Expires: expires.UTC().Truncate(time.Second)}
}

// SSHProof is a proof.add body: the statement signed with key (SSHSIG).
// publicKey is what the body carries: the key's line, or a certificate's.
func SSHProof(key ssh.Signer, kind, publicKey string, st proof.Statement) (*domain.ProofAdd, error) {
	msg := st.Marshal()
	sig, err := proof.SignSSH(key, msg)
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	return &domain.ProofAdd{ProofKind: kind, PublicKey: publicKey, Statement: string(msg), Signature: string(sig)}, nil
}

// KeyProof is an ssh proof of key for member in ws, valid from issued for
// validity.
func KeyProof(key ssh.Signer, ws domain.ID, member common.Address, issued time.Time, validity time.Duration) (*domain.ProofAdd, error) {
	pub := AuthorizedKey(key.PublicKey())
	st := Statement(ws, member, proof.KindSSH, ssh.FingerprintSHA256(key.PublicKey()), issued, issued.Add(validity))
	return SSHProof(key, proof.KindSSH, pub, st)
}

// identityActs are what node i may do about identity: prove an SSH key of
// its own (valid for a random 10 minutes to 2 hours of the history, so
// some lapse while it runs), revoke a proof, or propose that recorders
// need two proofs.
func (h *History) identityActs(rng *rand.Rand, i int, st *domain.State, me *domain.Member) []func() domain.Body {
	var acts []func() domain.Body
	mine := st.MemberProofs(me.Handle)
	if len(mine) < 2 {
		acts = append(acts, func() domain.Body {
			key := SSHKey(fmt.Sprintf("%d/%d/%d", h.Seed, i, len(mine)))
			b, err := KeyProof(key, st.WS, h.Nodes[i].Address(), time.UnixMilli(Epoch).UTC(), time.Duration(10+rng.Intn(110))*time.Minute)
			if err != nil {
				panic(err) // ed25519 signing does not fail
			}
			return b
		})
	}
	for _, p := range mine {
		if !p.Revoked {
			acts = append(acts, func() domain.Body { return &domain.ProofRevoke{Proof: p.ID} })
			break
		}
	}
	// Only once everyone joined: approvals that stop counting would stall
	// the joins the other tests rely on.
	if i == 0 && st.ActiveMembers() == len(h.Nodes) && st.RoleMinimum(domain.RoleRecorder) == 0 && !pendingChange(st) {
		acts = append(acts, func() domain.Body {
			return &domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleRecorder, MinProofs: 2}
		})
	}
	return acts
}

func pendingChange(st *domain.State) bool {
	for _, p := range st.Roster {
		if p.Change != nil && !p.Applied && p.Void == "" {
			return true
		}
	}
	return false
}
