package safe

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(t testing.TB, n int64) (*ecdsa.PrivateKey, common.Address) {
	t.Helper()
	k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(n).Bytes(), 32))
	if err != nil {
		t.Fatal(err)
	}
	return k, crypto.PubkeyToAddress(k.PublicKey)
}

func TestSignRecover(t *testing.T) {
	key, addr := testKey(t, 42)
	h := validTx().Hash()
	sig, err := Sign(key, h)
	if err != nil {
		t.Fatal(err)
	}
	if v := sig[64]; v != 27 && v != 28 {
		t.Fatalf("v = %d, want 27 or 28", v)
	}
	if got, err := Recover(h, sig); err != nil || got != addr {
		t.Fatalf("Recover = %s, %v; want %s", got.Hex(), err, addr.Hex())
	}
	// eth_sign form: the signature is over the personal-message hash of
	// safeTxHash, and v is raised by 4.
	ethSign, err := crypto.Sign(accounts.TextHash(h[:]), key)
	if err != nil {
		t.Fatal(err)
	}
	ethSign[64] += 31
	if got, err := Recover(h, ethSign); err != nil || got != addr {
		t.Fatalf("Recover(eth_sign) = %s, %v; want %s", got.Hex(), err, addr.Hex())
	}
	// A signature over another transaction recovers to someone else:
	// callers must check the result against the owners.
	other := validTx()
	other.Nonce = big.NewInt(8)
	if got, err := Recover(other.Hash(), sig); err == nil && got == addr {
		t.Fatal("a signature for nonce 7 recovered to the signer for nonce 8")
	}
	if _, err := Sign(nil, h); err == nil {
		t.Fatal("Sign(nil) succeeded")
	}
}

func TestRecoverBad(t *testing.T) {
	key, _ := testKey(t, 42)
	h := validTx().Hash()
	sig, _ := Sign(key, h)
	with := func(edit func([]byte)) []byte {
		s := bytes.Clone(sig)
		edit(s)
		return s
	}
	n := crypto.S256().Params().N
	highS := with(func(s []byte) {
		S := new(big.Int).Sub(n, new(big.Int).SetBytes(s[32:64]))
		S.FillBytes(s[32:64])
		s[64] = 55 - s[64] // 27 <-> 28
	})
	for _, c := range []struct {
		name string
		sig  []byte
		want string
	}{
		{"empty", nil, "0 bytes"},
		{"64 bytes", sig[:64], "64 bytes"},
		{"66 bytes", append(bytes.Clone(sig), 0), "66 bytes"},
		{"v 0 contract signature", with(func(s []byte) { s[64] = 0 }), "contract"},
		{"v 1 approved hash", with(func(s []byte) { s[64] = 1 }), "approveHash"},
		{"v 29", with(func(s []byte) { s[64] = 29 }), "v=29"},
		{"v 33", with(func(s []byte) { s[64] = 33 }), "v=33"},
		{"r zero", with(func(s []byte) { clear(s[:32]) }), "out of range"},
		{"s zero", with(func(s []byte) { clear(s[32:64]) }), "out of range"},
		{"high s", highS, "high-s"},
		{"r = n", with(func(s []byte) { n.FillBytes(s[:32]) }), "out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Recover(h, c.sig)
			if err == nil || !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Recover = %v, want %q", err, c.want)
			}
		})
	}
}

func TestPackSortsByOwner(t *testing.T) {
	h := validTx().Hash()
	sigs := map[common.Address][]byte{}
	var owners []common.Address
	for i := int64(1); i <= 5; i++ {
		k, a := testKey(t, i*7919)
		s, err := Sign(k, h)
		if err != nil {
			t.Fatal(err)
		}
		sigs[a] = s
		owners = append(owners, a)
	}
	packed := Pack(sigs)
	if len(packed) != 5*SignatureLen {
		t.Fatalf("packed %d bytes", len(packed))
	}
	slices.SortFunc(owners, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	for i, want := range owners {
		got, err := Recover(h, packed[i*SignatureLen:(i+1)*SignatureLen])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("signature %d is by %s, want %s (owners ascending)", i, got.Hex(), want.Hex())
		}
	}
	if len(Pack(nil)) != 0 {
		t.Fatal("Pack(nil) not empty")
	}
}

func FuzzRecover(f *testing.F) {
	key, _ := crypto.ToECDSA(common.LeftPadBytes([]byte{42}, 32))
	h := crypto.Keccak256Hash([]byte("fuzz"))
	sig, _ := Sign(key, h)
	f.Add(h[:], sig)
	f.Add(h[:], append(bytes.Clone(sig[:64]), 31))
	f.Add(h[:], []byte{})
	f.Fuzz(func(t *testing.T, hash, sig []byte) {
		addr, err := Recover(common.BytesToHash(hash), sig)
		if err != nil {
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("refusal %v does not wrap ErrSignature", err)
			}
			return
		}
		if addr == (common.Address{}) {
			t.Fatal("Recover returned the zero address without an error")
		}
		// Only an owner key's r, s, v in one of the two forms is taken,
		// and never its malleable twin (s -> n-s, v flipped).
		if len(sig) != SignatureLen || !slices.Contains([]byte{27, 28, 31, 32}, sig[64]) {
			t.Fatalf("accepted %x", sig)
		}
		twin := bytes.Clone(sig)
		new(big.Int).Sub(crypto.S256().Params().N, new(big.Int).SetBytes(sig[32:64])).FillBytes(twin[32:64])
		if twin[64] <= 28 {
			twin[64] = 27 + 28 - twin[64]
		} else {
			twin[64] = 31 + 32 - twin[64]
		}
		if _, err := Recover(common.BytesToHash(hash), twin); err == nil {
			t.Fatalf("accepted %x and its high-s twin %x", sig, twin)
		}
	})
}
