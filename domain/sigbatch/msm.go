package sigbatch

import secp "github.com/decred/dcrd/dcrec/secp256k1/v4"

type uint128 struct{ hi, lo uint64 }

// bits returns the w bits of k from bit at up (w ≤ 32).
func (k uint128) bits(at, w uint) uint64 {
	var v uint64
	switch {
	case at >= 128:
		return 0
	case at >= 64:
		v = k.hi >> (at - 64)
	case at == 0:
		v = k.lo
	default:
		v = k.lo>>at | k.hi<<(64-at)
	}
	return v & (1<<w - 1)
}

// window picks Pippenger's digit width for n points: each window costs
// about n additions into buckets and two per bucket to sum them.
func window(n int) uint {
	switch {
	case n < 32:
		return 4
	case n < 128:
		return 5
	case n < 512:
		return 6
	case n < 2048:
		return 7
	case n < 8192:
		return 8
	default:
		return 9
	}
}

// affine is a point (x, y) with both normalized, never the infinity.
type affine struct{ x, y secp.FieldVal }

// msm returns Σ kᵢ·pᵢ for affine points (Z = 1) and 128-bit scalars, by
// Pippenger's bucket method with signed digits (negating a point is free,
// so half the buckets do). The points of a bucket are summed in pairs, all
// pairs of a round in affine coordinates over one shared inversion: about
// half of what adding each point into a Jacobian bucket costs.
func msm(pts []secp.JacobianPoint, k []uint128) secp.JacobianPoint {
	c := window(len(pts))
	half := int64(1) << (c - 1)
	windows := int((128 + c) / c) // one more bit for the last carry
	digits := make([]int32, len(pts)*windows)
	for i, ki := range k {
		var carry int64
		for w := range windows {
			d := int64(ki.bits(uint(w)*c, c)) + carry
			carry = 0
			if d > half {
				d -= 1 << c // negative digit, borrow from the next window
				carry = 1
			}
			digits[i*windows+w] = int32(d)
		}
	}
	s := summer{
		start: make([]int, half+1),
		count: make([]int, half),
		work:  make([]affine, len(pts)),
	}
	var acc secp.JacobianPoint
	for w := windows - 1; w >= 0; w-- {
		for range c {
			if !isInfinity(&acc) {
				var t secp.JacobianPoint
				secp.DoubleNonConst(&acc, &t)
				acc = t
			}
		}
		s.fill(pts, digits, windows, w)
		s.reduce()
		// Σ j·bucket[j] as running sums from the top.
		var run, sum secp.JacobianPoint
		for b := int(half) - 1; b >= 0; b-- {
			s.finish(b, &run)
			add(&sum, &run)
		}
		add(&acc, &sum)
	}
	return acc
}

// summer sums the points of each bucket, laid out bucket after bucket in
// work: bucket b's points are work[start[b]:start[b]+count[b]].
type summer struct {
	start, count []int
	work         []affine
	pairs        []int // index in work of each pair's first point
	den          []secp.FieldVal
	next         int // the next pair's entry in den
	scratch      []secp.FieldVal
}

// fill sorts window w's points into their buckets, negated where the
// digit is negative.
func (s *summer) fill(pts []secp.JacobianPoint, digits []int32, windows, w int) {
	clear(s.count)
	for i := range pts {
		if d := digits[i*windows+w]; d != 0 {
			s.count[abs(d)-1]++
		}
	}
	s.start[0] = 0
	for b := range s.count {
		s.start[b+1] = s.start[b] + s.count[b]
	}
	next := append([]int(nil), s.start[:len(s.count)]...)
	for i := range pts {
		d := digits[i*windows+w]
		if d == 0 {
			continue
		}
		b := abs(d) - 1
		a := &s.work[next[b]]
		next[b]++
		a.x, a.y = pts[i].X, pts[i].Y
		if d < 0 {
			a.y.Negate(1).Normalize()
		}
	}
}

// minPairs is the fewest additions worth a round in affine coordinates:
// the round's one inversion costs about what 16 Jacobian additions do, and
// an affine addition saves a little over half of one.
const minPairs = 32

// reduce adds each bucket's points in pairs, round after round, while a
// round has enough pairs to pay for its inversion.
func (s *summer) reduce() {
	for {
		s.pairs = s.pairs[:0]
		for b, n := range s.count {
			for j := 0; j+1 < n; j += 2 {
				s.pairs = append(s.pairs, s.start[b]+j)
			}
		}
		if len(s.pairs) < minPairs {
			return
		}
		s.den = grow(s.den, len(s.pairs))
		for i, at := range s.pairs {
			p, q := &s.work[at], &s.work[at+1]
			s.den[i].NegateVal(&p.x, 1).Add(&q.x).Normalize() // x₂ − x₁
		}
		s.invert()
		s.next = 0
		for b, n := range s.count {
			s.count[b] = s.halve(s.start[b], n)
		}
	}
}

// finish adds what reduce left in bucket b to p, in Jacobian coordinates.
func (s *summer) finish(b int, p *secp.JacobianPoint) {
	var one secp.FieldVal
	one.SetInt(1)
	for _, a := range s.work[s.start[b] : s.start[b]+s.count[b]] {
		q := secp.MakeJacobianPoint(&a.x, &a.y, &one)
		add(p, &q)
	}
}

// halve replaces the n points at work[at:] by the sums of their pairs
// (and the odd one out), whose inverted denominators are next in s.den,
// and returns how many points remain.
func (s *summer) halve(at, n int) int {
	out := at
	for j := 0; j+1 < n; j += 2 {
		p, q := s.work[at+j], s.work[at+j+1]
		inv := &s.den[s.next]
		s.next++
		if inv.IsZero() { // x₁ = x₂: a doubling or the infinity
			r, ok := addSlow(&p, &q)
			if ok {
				s.work[out] = r
				out++
			}
			continue
		}
		// λ = (y₂ − y₁)/(x₂ − x₁), x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁
		var l, t secp.FieldVal
		l.NegateVal(&p.y, 1).Add(&q.y).Mul(inv)
		r := &s.work[out]
		r.x.SquareVal(&l).Add(t.NegateVal(&p.x, 1)).Add(t.NegateVal(&q.x, 1)).Normalize()
		r.y.NegateVal(&r.x, 1).Add(&p.x).Mul(&l).Add(t.NegateVal(&p.y, 1)).Normalize()
		out++
	}
	if n%2 == 1 {
		s.work[out] = s.work[at+n-1]
		out++
	}
	return out - at
}

// invert replaces each of s.den by its inverse, with one inversion for
// all (Montgomery's trick); a zero stays zero and is skipped.
func (s *summer) invert() {
	s.scratch = grow(s.scratch, len(s.den))
	var acc secp.FieldVal
	acc.SetInt(1)
	for i := range s.den {
		s.scratch[i] = acc
		if !s.den[i].IsZero() {
			acc.Mul(&s.den[i])
		}
	}
	acc.Inverse()
	for i := len(s.den) - 1; i >= 0; i-- {
		if s.den[i].IsZero() {
			continue
		}
		var inv secp.FieldVal
		inv.Mul2(&acc, &s.scratch[i])
		acc.Mul(&s.den[i])
		s.den[i] = inv // magnitude 1, never all-zero limbs: IsZero still holds
	}
}

// addSlow adds two points of equal x in Jacobian coordinates: their sum
// is a doubling, or the infinity (ok false).
func addSlow(p, q *affine) (affine, bool) {
	one := new(secp.FieldVal).SetInt(1)
	a, b := secp.MakeJacobianPoint(&p.x, &p.y, one), secp.MakeJacobianPoint(&q.x, &q.y, one)
	var r secp.JacobianPoint
	secp.AddNonConst(&a, &b, &r)
	if isInfinity(&r) {
		return affine{}, false
	}
	r.ToAffine()
	return affine{r.X, r.Y}, true
}

func grow(v []secp.FieldVal, n int) []secp.FieldVal {
	if cap(v) < n {
		return make([]secp.FieldVal, n)
	}
	return v[:n]
}

func abs(d int32) int {
	if d < 0 {
		return int(-d)
	}
	return int(d)
}
