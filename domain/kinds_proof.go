package domain

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain/proof"
)

// Identity kinds: a member's proofs, their revocation, a member's own key
// rotation, and the roster changes about identity (member.change, under
// the roster quorum like member.propose).
const (
	KindProofAdd     = "proof.add"
	KindProofRevoke  = "proof.revoke"
	KindKeyRotate    = "key.rotate"
	KindMemberChange = "member.change"
)

func init() {
	kinds[KindProofAdd] = func() Body { return new(ProofAdd) }
	kinds[KindProofRevoke] = func() Body { return new(ProofRevoke) }
	kinds[KindKeyRotate] = func() Body { return new(KeyRotate) }
	kinds[KindMemberChange] = func() Body { return new(MemberChange) }
}

// ProofAdd records a proof: a statement naming the signer's address and
// the same statement signed by a second key. Bytes are text: an OpenPGP
// key or signature is armored before it is stored.
type ProofAdd struct {
	ProofKind string `json:"kind"`
	PublicKey string `json:"public_key"`
	Statement string `json:"statement"`
	Signature string `json:"signature"`
}

func (*ProofAdd) Kind() string { return KindProofAdd }
func (b *ProofAdd) Validate() error {
	if !contains(proof.Kinds, b.ProofKind) {
		return fmt.Errorf("proof kind %q: want one of %s", b.ProofKind, strings.Join(proof.Kinds, ", "))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"public_key", b.PublicKey, proof.MaxKey}, {"statement", b.Statement, proof.MaxStatement}, {"signature", b.Signature, proof.MaxSignature}} {
		if err := text(f.name, f.v, f.max, true); err != nil {
			return err
		}
	}
	return nil
}

// Proof is the body as the proof package takes it.
func (b *ProofAdd) Proof() proof.Proof {
	return proof.Proof{Kind: b.ProofKind, PublicKey: []byte(b.PublicKey), Statement: []byte(b.Statement), Signature: []byte(b.Signature)}
}

// ProofRevoke withdraws one of the signer's own proofs.
type ProofRevoke struct {
	Proof ID `json:"proof"`
}

func (*ProofRevoke) Kind() string      { return KindProofRevoke }
func (b *ProofRevoke) Validate() error { return required("proof", b.Proof) }

// KeyRotate, signed by the key it retires, names the member's new tminus
// key. Endorsement is a proof statement naming the new address, signed by
// one of the member's valid proof keys: a thief holding only the old key
// cannot produce it.
type KeyRotate struct {
	New         common.Address `json:"new"`
	Endorsement ProofAdd       `json:"endorsement"`
}

func (*KeyRotate) Kind() string { return KindKeyRotate }
func (b *KeyRotate) Validate() error {
	if b.New == (common.Address{}) {
		return fmt.Errorf("new key address is required")
	}
	if err := b.Endorsement.Validate(); err != nil {
		return fmt.Errorf("endorsement: %w", err)
	}
	return nil
}

// Identity roster change actions (member.change).
const (
	ChangeCAAdd    = "ca-add"
	ChangeCARemove = "ca-remove"
	ChangePolicy   = "policy"
	ChangeRotate   = "rotate"
)

// MaxMinProofs bounds a role's minimum: the tminus key plus one proof of
// each kind.
var MaxMinProofs = 1 + len(proof.Kinds)

// MemberChange is a roster change about identity. It applies, like a
// member.propose, when approvals from distinct members reach the roster
// quorum (member.approve names it).
type MemberChange struct {
	Action string `json:"action"`
	// CA is a trusted SSH CA's public key (authorized_keys form), for ca-add.
	CA string `json:"ca,omitempty"`
	// Fingerprint names the CA to remove (SHA256:...), for ca-remove.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Role and MinProofs set a role's minimum of proofs, for policy; 0
	// lifts it.
	Role      string `json:"role,omitempty"`
	MinProofs int    `json:"min_proofs,omitempty"`
	// Rotation replaces a member's lost key, for rotate.
	Rotation *Rotation `json:"rotation,omitempty"`
}

// Rotation names a member's lost key and its replacement, endorsed by one
// of the member's own proof keys (a proof statement naming New).
type Rotation struct {
	Member      string         `json:"member"` // handle
	Old         common.Address `json:"old"`
	New         common.Address `json:"new"`
	Endorsement ProofAdd       `json:"endorsement"`
	// Cut is Old's last seq the proposer held: what Old signs after it
	// never counts once the rotation applies (cuts.go). Absent in
	// rotations signed before cuts existed.
	Cut *uint64 `json:"cut,omitempty"`
}

// cuts are the rotation's cut as a proposal's.
func (r *Rotation) cuts() []KeyCut {
	if r == nil || r.Cut == nil {
		return nil
	}
	return []KeyCut{{Key: r.Old, Seq: *r.Cut}}
}

func (*MemberChange) Kind() string { return KindMemberChange }
func (b *MemberChange) Validate() error {
	// Each action carries its own fields and no other, so one change has
	// one meaning.
	has := func(ca, fp, role, rot bool) error {
		if (b.CA != "") != ca || (b.Fingerprint != "") != fp || (b.Role != "") != role || (b.Rotation != nil) != rot || (b.MinProofs != 0 && !role) {
			return fmt.Errorf("%s carries fields of another action", b.Action)
		}
		return nil
	}
	switch b.Action {
	case ChangeCAAdd:
		if err := has(true, false, false, false); err != nil {
			return err
		}
		if err := text("ca", b.CA, proof.MaxKey, true); err != nil {
			return err
		}
		if _, err := proof.Fingerprint(proof.KindSSH, []byte(b.CA)); err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		return nil
	case ChangeCARemove:
		if err := has(false, true, false, false); err != nil {
			return err
		}
		return text("fingerprint", b.Fingerprint, 200, true)
	case ChangePolicy:
		if err := has(false, false, true, false); err != nil {
			return err
		}
		if !ValidRole(b.Role) {
			return fmt.Errorf("unknown role %q (roles: %s)", b.Role, strings.Join(Roles, ", "))
		}
		if b.MinProofs < 0 || b.MinProofs > MaxMinProofs {
			return fmt.Errorf("min_proofs %d: want 0 to %d (the tminus key plus one proof of each kind)", b.MinProofs, MaxMinProofs)
		}
		return nil
	case ChangeRotate:
		if err := has(false, false, false, true); err != nil {
			return err
		}
		r := b.Rotation
		if !ValidHandle(r.Member) {
			return fmt.Errorf("rotation: member %q is not a handle", r.Member)
		}
		if r.Old == (common.Address{}) || r.New == (common.Address{}) || r.Old == r.New {
			return fmt.Errorf("rotation: needs the old and a different new key address")
		}
		if err := r.Endorsement.Validate(); err != nil {
			return fmt.Errorf("rotation endorsement: %w", err)
		}
		return nil
	}
	return fmt.Errorf("action %q: want %s, %s, %s or %s", b.Action, ChangeCAAdd, ChangeCARemove, ChangePolicy, ChangeRotate)
}

// Describe says in a few words what the change does, for listings.
func (b *MemberChange) Describe() string {
	switch b.Action {
	case ChangeCAAdd:
		fp, _ := proof.Fingerprint(proof.KindSSH, []byte(b.CA))
		return "trust SSH CA " + fp
	case ChangeCARemove:
		return "stop trusting SSH CA " + b.Fingerprint
	case ChangePolicy:
		return fmt.Sprintf("role %s needs %d proofs", b.Role, b.MinProofs)
	case ChangeRotate:
		d := fmt.Sprintf("rotate %s's key %s to %s", b.Rotation.Member, b.Rotation.Old.Hex(), b.Rotation.New.Hex())
		if c := b.Rotation.Cut; c != nil {
			d += fmt.Sprintf(", counting the old key's events up to seq %d", *c)
		}
		return d
	}
	return b.Action
}
