package sigbatch

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/ethereum/go-ethereum/crypto"
)

type signed struct {
	keys  []*ecdsa.PrivateKey
	items []Item
}

// sign makes n signatures by k keys over seeded random digests.
func sign(t testing.TB, seed uint64, n, k int) signed {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var s signed
	parsed := make([]*Key, k)
	for i := range k {
		var b [32]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		b[0] |= 1
		key, err := crypto.ToECDSA(b[:])
		if err != nil {
			t.Fatal(err)
		}
		s.keys = append(s.keys, key)
		if parsed[i], err = ParseKey(crypto.FromECDSAPub(&key.PublicKey)); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		var d [32]byte
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		ki := rng.IntN(k)
		sig, err := crypto.Sign(d[:], s.keys[ki])
		if err != nil {
			t.Fatal(err)
		}
		s.items = append(s.items, Item{Digest: &d, Sig: sig, Key: parsed[ki]})
	}
	return s
}

func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{64, 256, 1024, 4096} {
		s := sign(b, 1, n, 4)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if !Verify(s.items) {
					b.Fatal("refused")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/sig")
		})
	}
}

func BenchmarkEcrecover(b *testing.B) {
	s := sign(b, 1, 256, 4)
	i := 0
	for b.Loop() {
		it := s.items[i%len(s.items)]
		if _, err := crypto.Ecrecover(it.Digest[:], it.Sig); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestVerifyGood(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 31, 200, 600} {
		for _, keys := range []int{1, 3} {
			s := sign(t, uint64(n), n, keys)
			if !Verify(s.items) {
				t.Fatalf("%d signatures by %d keys: good batch refused", n, keys)
			}
		}
	}
}

// recovers is the rule a batch must agree with: the signature recovers to
// the item's key, v being 0 or 1.
func recovers(t testing.TB, it Item) bool {
	t.Helper()
	if len(it.Sig) != 65 || it.Sig[64] > 1 {
		return false
	}
	pub, err := crypto.Ecrecover(it.Digest[:], it.Sig)
	if err != nil {
		return false
	}
	k, err := ParseKey(pub)
	return err == nil && equal(k.p, it.Key.p)
}

func TestVerifyRefusesOneBadSignature(t *testing.T) {
	n := secp.S256().N.Bytes()
	halfOf := func(b []byte) []byte {
		return new(big.Int).Rsh(new(big.Int).SetBytes(b), 1).FillBytes(make([]byte, 32))
	}
	notX := make([]byte, 32) // x = 5: 5³+7 = 132 has no square root mod p
	notX[31] = 5
	bad := []struct {
		name string
		harm func(it *Item, other *Item)
	}{
		{"another key's signature", func(it, o *Item) { it.Key = o.Key }},
		{"v flipped", func(it, _ *Item) { it.Sig[64] ^= 1 }},
		{"v is 2", func(it, _ *Item) { it.Sig[64] = 2 }},
		{"v is 27", func(it, _ *Item) { it.Sig[64] = 27 }},
		{"digest changed", func(it, _ *Item) { d := *it.Digest; d[31] ^= 1; it.Digest = &d }},
		{"r changed", func(it, _ *Item) { it.Sig[31] ^= 1 }},
		{"s changed", func(it, _ *Item) { it.Sig[63] ^= 1 }},
		{"r zero", func(it, _ *Item) { clear(it.Sig[:32]) }},
		{"s zero", func(it, _ *Item) { clear(it.Sig[32:64]) }},
		{"r the group order", func(it, _ *Item) { copy(it.Sig[:32], n) }},
		{"s the group order", func(it, _ *Item) { copy(it.Sig[32:64], n) }},
		{"r all ones", func(it, _ *Item) { copy(it.Sig[:32], bytes.Repeat([]byte{0xff}, 32)) }},
		{"r no curve point's x", func(it, _ *Item) { copy(it.Sig[:32], notX) }},
		{"s halved", func(it, _ *Item) { copy(it.Sig[32:64], halfOf(it.Sig[32:64])) }},
		{"another item's signature", func(it, o *Item) { copy(it.Sig, o.Sig) }},
		{"short", func(it, _ *Item) { it.Sig = it.Sig[:64] }},
		{"no key", func(it, _ *Item) { it.Key = nil }},
		{"no digest", func(it, _ *Item) { it.Digest = nil }},
	}
	for _, b := range bad {
		for _, at := range []int{0, 17, 99} {
			s := sign(t, 5, 100, 2)
			it := &s.items[at]
			it.Sig = append([]byte(nil), it.Sig...)
			other := &s.items[(at+1)%100]
			if other.Key == it.Key {
				for j := range s.items {
					if s.items[j].Key != it.Key {
						other = &s.items[j]
						break
					}
				}
			}
			b.harm(it, other)
			if it.Key != nil && it.Digest != nil && recovers(t, *it) {
				t.Fatalf("%s: the harmed signature still recovers; the case tests nothing", b.name)
			}
			if Verify(s.items) {
				t.Errorf("%s at item %d: batch accepted", b.name, at)
			}
		}
	}
}

// A batch agrees with recovering each signature, whatever is changed in
// one item: the seeded random edits reach every byte.
func TestVerifyAgreesWithRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 300 {
		s := sign(t, uint64(round), 20+rng.IntN(60), 1+rng.IntN(3))
		it := &s.items[rng.IntN(len(s.items))]
		it.Sig = append([]byte(nil), it.Sig...)
		d := *it.Digest
		it.Digest = &d
		switch rng.IntN(3) {
		case 0:
			it.Sig[rng.IntN(65)] ^= byte(1 << rng.IntN(8))
		case 1:
			it.Digest[rng.IntN(32)] ^= byte(1 << rng.IntN(8))
		case 2: // high S with v flipped: the same signature, still valid
			var sv secp.ModNScalar
			sv.SetByteSlice(it.Sig[32:64])
			b := sv.Negate().Bytes()
			copy(it.Sig[32:64], b[:])
			it.Sig[64] ^= 1
		}
		want := true
		for _, x := range s.items {
			want = want && recovers(t, x)
		}
		if got := Verify(s.items); got != want {
			t.Fatalf("round %d: batch says %v, recovery says %v", round, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s := sign(f, 9, 24, 2)
	f.Add(uint8(3), s.items[3].Sig, s.items[3].Digest[:])
	f.Add(uint8(0), s.items[1].Sig, s.items[0].Digest[:])
	f.Add(uint8(5), make([]byte, 65), make([]byte, 32))
	f.Fuzz(func(t *testing.T, at uint8, sig, digest []byte) {
		items := append([]Item(nil), s.items...)
		it := &items[int(at)%len(items)]
		var d [32]byte
		copy(d[:], digest)
		it.Sig, it.Digest = sig, &d
		want := true
		for _, x := range items {
			want = want && recovers(t, x)
		}
		if got := Verify(items); got != want {
			t.Fatalf("batch says %v, recovery says %v", got, want)
		}
	})
}
