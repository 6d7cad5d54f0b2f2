package domain

import (
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain/proof"
)

// Identity is what the fold keeps about members' identity proofs. It is
// nil in a workspace that never used them, so their state (and its hash)
// is what it was before proofs existed.
type Identity struct {
	Proofs map[ID]*Proof `json:"proofs,omitempty"`
	// CAs are the SSH certificate authorities the roster trusts, by
	// fingerprint.
	CAs map[string]*TrustedCA `json:"cas,omitempty"`
	// MinProofs is each role's minimum of valid proofs of distinct kinds,
	// the tminus key counting as one.
	MinProofs map[string]int `json:"min_proofs,omitempty"`
	// Rotated are keys retired by a rotation: their events after the
	// rotation do not count.
	Rotated map[common.Address]*KeyRotation `json:"rotated,omitempty"`
}

// Proof is a verified identity proof bound to a member. Times are unix ms;
// the window is what the statement, a certificate and an OpenPGP key's
// expiry allow together.
type Proof struct {
	ID          ID       `json:"id"`
	Member      string   `json:"member"` // handle
	Kind        string   `json:"kind"`
	Fingerprint string   `json:"fingerprint"`
	Algorithm   string   `json:"algorithm"`
	PublicKey   string   `json:"public_key"`
	IssuedAt    int64    `json:"issued_at"`
	Expires     int64    `json:"expires"`
	CA          string   `json:"ca,omitempty"`
	Principals  []string `json:"principals,omitempty"`
	ValidAfter  int64    `json:"valid_after,omitempty"`
	ValidBefore int64    `json:"valid_before,omitempty"`
	KeyExpires  int64    `json:"key_expires,omitempty"`
	At          int64    `json:"at"`
	Revoked     bool     `json:"revoked,omitempty"`
	RevokedAt   int64    `json:"revoked_at,omitempty"`
}

// TrustedCA is an SSH CA the roster trusts for ssh-cert proofs.
type TrustedCA struct {
	Fingerprint string `json:"fingerprint"`
	PublicKey   string `json:"public_key"`
	Since       int64  `json:"since"` // when the change applied
}

// KeyRotation retires a key: its events with a seq above Seq do not count
// (Seq 0: none folded after the rotation, for a lost key).
type KeyRotation struct {
	Member string         `json:"member"`
	New    common.Address `json:"new"`
	Seq    uint64         `json:"seq"`
	Event  ID             `json:"event"`
	At     int64          `json:"at"`
}

// Proof statuses, as member list and proof list show them.
const (
	ProofValid       = "valid"
	ProofExpired     = "expired"
	ProofNotYetValid = "not-yet-valid"
	ProofRevoked     = "revoked"
	ProofUntrustedCA = "untrusted-ca" // ssh-cert whose CA the roster no longer trusts
)

// ident is the identity part, made on first write.
func (s *State) ident() *Identity {
	if s.Identity == nil {
		s.Identity = &Identity{}
	}
	id := s.Identity
	if id.Proofs == nil {
		id.Proofs = map[ID]*Proof{}
	}
	if id.CAs == nil {
		id.CAs = map[string]*TrustedCA{}
	}
	if id.MinProofs == nil {
		id.MinProofs = map[string]int{}
	}
	if id.Rotated == nil {
		id.Rotated = map[common.Address]*KeyRotation{}
	}
	return id
}

// noIdentity is read (never written) in place of a nil Identity: the fold
// asks of every event whether its key was rotated out.
var noIdentity = &Identity{}

// readIdent is the identity part for reading: never nil, never to be written.
func (s *State) readIdent() *Identity {
	if s.Identity == nil {
		return noIdentity
	}
	return s.Identity
}

// window is when p is valid: [from, until); until 0 = no end.
func (p *Proof) window() (from, until int64) {
	from, until = p.IssuedAt, p.Expires
	if p.ValidAfter > from {
		from = p.ValidAfter
	}
	// proof.Checked.ValidAt counts an OpenPGP key's last second in.
	keyEnd := p.KeyExpires
	if keyEnd != 0 {
		keyEnd++
	}
	for _, t := range []int64{p.ValidBefore, keyEnd} {
		if t != 0 && (until == 0 || t < until) {
			until = t
		}
	}
	return from, until
}

// ValidUntil is the end of the proof's window (unix ms; 0: none).
func (p *Proof) ValidUntil() int64 {
	_, until := p.window()
	return until
}

// ProofStatus is p's status at t (unix ms): revoked, an untrusted CA, or
// where t falls in its window.
func (s *State) ProofStatus(p *Proof, t int64) string {
	if p.Revoked {
		return ProofRevoked
	}
	if p.Kind == proof.KindSSHCert {
		if _, ok := s.readIdent().CAs[p.CA]; !ok {
			return ProofUntrustedCA
		}
	}
	from, until := p.window()
	switch {
	case t < from:
		return ProofNotYetValid
	case until != 0 && t >= until:
		return ProofExpired
	}
	return ProofValid
}

// MemberProofs are a member's proofs, oldest first.
func (s *State) MemberProofs(handle string) []*Proof {
	var out []*Proof
	for _, p := range s.readIdent().Proofs {
		if p.Member == handle {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].At != out[j].At {
			return out[i].At < out[j].At
		}
		return string(out[i].ID[:]) < string(out[j].ID[:])
	})
	return out
}

// ProofCount is how many distinct kinds of identity m proves at t (unix
// ms): its tminus key, plus each kind with a valid proof.
func (s *State) ProofCount(handle string, t int64) int {
	kinds := map[string]bool{}
	for _, p := range s.readIdent().Proofs { // a set: no need for MemberProofs' sorted copy
		if p.Member == handle && s.ProofStatus(p, t) == ProofValid {
			kinds[p.Kind] = true
		}
	}
	return 1 + len(kinds)
}

// RoleMinimum is the role's minimum of proofs; 0 when none is set.
func (s *State) RoleMinimum(role string) int { return s.readIdent().MinProofs[role] }

// MemberMinimum is the highest minimum among m's roles, with the role
// that sets it.
func (s *State) MemberMinimum(m *Member) (int, string) {
	min, role := 0, ""
	for _, r := range m.Roles {
		if n := s.RoleMinimum(r); n > min {
			min, role = n, r
		}
	}
	return min, role
}

// MeetsPolicy reports whether m's valid proofs at t reach the minimum of
// every role m holds: only then do m's approvals count.
func (s *State) MeetsPolicy(m *Member, t int64) bool {
	min, _ := s.MemberMinimum(m)
	return min <= 1 || s.ProofCount(m.Handle, t) >= min
}

// RotatedKey is the rotation that retired a, or nil.
func (s *State) RotatedKey(a common.Address) *KeyRotation {
	return s.readIdent().Rotated[a]
}

// SortedCAs are the trusted CAs by fingerprint.
func (s *State) SortedCAs() []*TrustedCA {
	var out []*TrustedCA
	for _, c := range s.readIdent().CAs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out
}
