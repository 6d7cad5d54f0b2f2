// Package sigbatch checks many secp256k1 recoverable signatures against
// known public keys at once, for less than one recovery each.
//
// Recovering signature (r, s, v) of digest e to key Q succeeds exactly when
// s·R = e·G + r·Q, R being the curve point with x = r and the y parity v
// names. A batch checks a random combination of those equations,
//
//	Σ zᵢ·Rᵢ = (Σ zᵢ·eᵢ/sᵢ)·G + Σ_Q (Σ zᵢ·rᵢ/sᵢ)·Q,
//
// with 128-bit zᵢ drawn from a hash of the whole batch: one multi-scalar
// multiplication over the Rᵢ with half-length scalars, one over G and one
// per distinct key. If any signature is bad the sum holds with probability
// 2⁻¹²⁸ at most, and the caller checks each alone to learn which.
package sigbatch

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Key is a public key parsed once for many checks.
type Key struct{ p secp.JacobianPoint }

// ParseKey reads a 65-byte uncompressed (or 33-byte compressed) key.
func ParseKey(pub []byte) (*Key, error) {
	pk, err := secp.ParsePubKey(pub)
	if err != nil {
		return nil, err
	}
	k := new(Key)
	pk.AsJacobian(&k.p)
	return k, nil
}

// Item is one signature to check: Sig is r ‖ s ‖ v with v in {0, 1}.
type Item struct {
	Digest *[32]byte
	Sig    []byte
	Key    *Key
}

// Verify reports whether every item's signature recovers to its key.
// false says that at least one does not (or is malformed), not which.
func Verify(items []Item) bool {
	n := len(items)
	if n == 0 {
		return true
	}
	b := batch{
		r:   make([]secp.ModNScalar, n),
		s:   make([]secp.ModNScalar, n),
		pts: make([]secp.JacobianPoint, n),
	}
	if !b.load(items) {
		return false
	}
	z, raw := weights(items)
	invertAll(b.s)

	// Right side: (Σ zᵢ·eᵢ/sᵢ)·G + Σ_Q (Σ zᵢ·rᵢ/sᵢ)·Q.
	var gk secp.ModNScalar
	keys := make(map[*Key]*secp.ModNScalar, 4)
	for i, it := range items {
		var e, t secp.ModNScalar
		e.SetByteSlice(it.Digest[:])
		gk.Add(t.Mul2(&e, &b.s[i]).Mul(&z[i]))
		qk := keys[it.Key]
		if qk == nil {
			qk = new(secp.ModNScalar)
			keys[it.Key] = qk
		}
		qk.Add(t.Mul2(&b.r[i], &b.s[i]).Mul(&z[i]))
	}
	var rhs, t secp.JacobianPoint
	secp.ScalarBaseMultNonConst(&gk, &rhs)
	for k, qk := range keys {
		secp.ScalarMultNonConst(qk, &k.p, &t)
		add(&rhs, &t)
	}

	// Left side: Σ zᵢ·Rᵢ, then left − right must be the point at infinity.
	lhs := msm(b.pts, raw)
	rhs.Y.Negate(1).Normalize()
	add(&lhs, &rhs)
	return isInfinity(&lhs)
}

type batch struct {
	r, s []secp.ModNScalar
	pts  []secp.JacobianPoint
}

// load parses r, s and Rᵢ, refusing what recovery refuses: r or s zero or
// not below the group order, v not 0 or 1, r not the x of a curve point.
func (b *batch) load(items []Item) bool {
	for i, it := range items {
		if len(it.Sig) != 65 || it.Sig[64] > 1 || it.Key == nil || it.Digest == nil {
			return false
		}
		if b.r[i].SetByteSlice(it.Sig[:32]) || b.r[i].IsZero() ||
			b.s[i].SetByteSlice(it.Sig[32:64]) || b.s[i].IsZero() {
			return false
		}
		if !lift(it.Sig[:32], it.Sig[64] == 1, &b.pts[i]) { // r < n < p: x = r
			return false
		}
	}
	return true
}

// weights draws the zᵢ from a hash of every item, so no signer can choose
// signatures that cancel out: changing any item changes every weight.
func weights(items []Item) ([]secp.ModNScalar, []uint128) {
	h := sha256.New()
	for _, it := range items {
		h.Write(it.Digest[:])
		h.Write(it.Sig)
		var q [64]byte
		it.Key.p.X.PutBytesUnchecked(q[:32])
		it.Key.p.Y.PutBytesUnchecked(q[32:])
		h.Write(q[:])
	}
	var seed [32]byte
	h.Sum(seed[:0])
	rng := rand.NewChaCha8(seed)
	z := make([]secp.ModNScalar, len(items))
	raw := make([]uint128, len(items))
	var buf [32]byte
	for i := range z {
		raw[i] = uint128{hi: rng.Uint64(), lo: rng.Uint64() | 1} // never zero
		binary.BigEndian.PutUint64(buf[16:], raw[i].hi)
		binary.BigEndian.PutUint64(buf[24:], raw[i].lo)
		z[i].SetBytes(&buf)
	}
	return z, raw
}

// invertAll replaces each scalar by its inverse with one inversion and
// three multiplications each (Montgomery's trick). None may be zero.
func invertAll(s []secp.ModNScalar) {
	prefix := make([]secp.ModNScalar, len(s))
	var acc secp.ModNScalar
	acc.SetInt(1)
	for i := range s {
		prefix[i] = acc
		acc.Mul(&s[i])
	}
	acc.InverseNonConst()
	for i := len(s) - 1; i >= 0; i-- {
		var inv secp.ModNScalar
		inv.Mul2(&acc, &prefix[i])
		acc.Mul(&s[i])
		s[i] = inv
	}
}

func isInfinity(p *secp.JacobianPoint) bool {
	return (p.X.IsZero() && p.Y.IsZero()) || p.Z.IsZero()
}

// add sets p to p + q.
func add(p, q *secp.JacobianPoint) {
	var t secp.JacobianPoint
	secp.AddNonConst(p, q, &t)
	*p = t
}
