package sigbatch

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// naive is Σ kᵢ·pᵢ one multiplication at a time: the reference for msm.
func naive(pts []secp.JacobianPoint, k []uint128) secp.JacobianPoint {
	var sum secp.JacobianPoint
	for i := range pts {
		var s secp.ModNScalar
		var b [32]byte
		binary.BigEndian.PutUint64(b[16:], k[i].hi)
		binary.BigEndian.PutUint64(b[24:], k[i].lo)
		s.SetBytes(&b)
		var t secp.JacobianPoint
		secp.ScalarMultNonConst(&s, &pts[i], &t)
		add(&sum, &t)
	}
	return sum
}

func randPoint(rng *rand.Rand) secp.JacobianPoint {
	var s secp.ModNScalar
	var b [32]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	s.SetBytes(&b)
	var p secp.JacobianPoint
	secp.ScalarBaseMultNonConst(&s, &p)
	p.ToAffine()
	return p
}

func equal(a, b secp.JacobianPoint) bool {
	if isInfinity(&a) || isInfinity(&b) {
		return isInfinity(&a) && isInfinity(&b)
	}
	a.ToAffine()
	b.ToAffine()
	return a.X.Equals(&b.X) && a.Y.Equals(&b.Y)
}

func TestMSMMatchesNaive(t *testing.T) {
	neg := func(p secp.JacobianPoint) secp.JacobianPoint {
		p.Y.Negate(1).Normalize()
		return p
	}
	cases := []struct {
		name   string
		n      int
		points func(rng *rand.Rand, i int, prev []secp.JacobianPoint) secp.JacobianPoint
		scalar func(rng *rand.Rand, i int) uint128
	}{
		{"distinct", 0, nil, nil},
		// One point many times: every bucket's pairs are doublings.
		{"one point", 0, func(rng *rand.Rand, i int, prev []secp.JacobianPoint) secp.JacobianPoint {
			if i == 0 {
				return randPoint(rng)
			}
			return prev[0]
		}, nil},
		// A point and its negation with one scalar: pairs that sum to the
		// infinity, and a total of zero.
		{"opposites cancel", 0, func(rng *rand.Rand, i int, prev []secp.JacobianPoint) secp.JacobianPoint {
			if i%2 == 1 {
				return neg(prev[i-1])
			}
			return randPoint(rng)
		}, func(rng *rand.Rand, i int) uint128 { return uint128{hi: 7, lo: uint64(i / 2)} }},
		// Equal scalars put every point in the same buckets.
		{"equal scalars", 0, nil, func(*rand.Rand, int) uint128 { return uint128{hi: 1 << 63, lo: 0xdeadbeef} }},
		// Scalars with every window's digit at the edge of a carry.
		{"carries", 0, nil, func(rng *rand.Rand, i int) uint128 {
			return [...]uint128{{^uint64(0), ^uint64(0)}, {0x5555555555555555, 0xaaaaaaaaaaaaaaaa}, {0, 1}, {1 << 63, 1 << 63}}[i%4]
		}},
	}
	sizes := []int{1, 2, 3, 31, 32, 65, 127, 128, 300, 600}
	for _, c := range cases {
		for _, n := range sizes {
			rng := rand.New(rand.NewPCG(uint64(n), 2))
			pts := make([]secp.JacobianPoint, n)
			k := make([]uint128, n)
			for i := range n {
				if c.points != nil {
					pts[i] = c.points(rng, i, pts)
				} else {
					pts[i] = randPoint(rng)
				}
				if c.scalar != nil {
					k[i] = c.scalar(rng, i)
				} else {
					k[i] = uint128{rng.Uint64(), rng.Uint64()}
				}
			}
			if got, want := msm(pts, k), naive(pts, k); !equal(got, want) {
				t.Errorf("%s, %d points: msm differs from one multiplication each", c.name, n)
			}
		}
	}
}
