package safe

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrSignature is wrapped by every Recover and Sign error.
var ErrSignature = errors.New("bad owner signature")

// SignatureLen is an owner signature's length in the Safe's packed form: r, s, v.
const SignatureLen = 65

// Recover returns the owner that signed safeTxHash h: 65-byte r||s||v with v
// 27/28 (an EIP-712 signature of the hash, as a hardware wallet's
// eth_signTypedData gives) or 31/32 (eth_sign over the hash, Safe's v>30
// form). v 0 (contract signature) and 1 (approved hash) are refused: they
// cannot be checked off chain. A high-s (malleable) signature is refused too.
//
// Recover cannot tell a signature over another hash: it then returns some
// other address, so callers must check the result against the Safe's owners.
func Recover(h common.Hash, sig []byte) (common.Address, error) {
	if len(sig) != SignatureLen {
		return common.Address{}, fmt.Errorf("%w: %d bytes, want %d (r, s, v)", ErrSignature, len(sig), SignatureLen)
	}
	v := sig[64]
	digest := h[:]
	switch v {
	case 27, 28:
	case 31, 32:
		digest = accounts.TextHash(h[:])
		v -= 4
	case 0:
		return common.Address{}, fmt.Errorf("%w: v=0 is a contract (EIP-1271) signature, which only the chain can check; sign with an owner key", ErrSignature)
	case 1:
		return common.Address{}, fmt.Errorf("%w: v=1 is an on-chain approveHash, which only the chain can check; sign with an owner key", ErrSignature)
	default:
		return common.Address{}, fmt.Errorf("%w: v=%d, want 27 or 28 (EIP-712) or 31 or 32 (eth_sign)", ErrSignature, v)
	}
	r, s := sig[:32], sig[32:64]
	if !crypto.ValidateSignatureValues(v-27, bytesToBig(r), bytesToBig(s), true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range (or a malleable high-s signature)", ErrSignature)
	}
	rsv := make([]byte, SignatureLen)
	copy(rsv, sig[:64])
	rsv[64] = v - 27
	pub, err := crypto.SigToPub(digest, rsv)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// Sign signs safeTxHash h directly (the EIP-712 form, v = 27/28): what an
// owner's hardware wallet produces for eth_signTypedData of the SafeTx.
func Sign(key *ecdsa.PrivateKey, h common.Hash) ([]byte, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no key", ErrSignature)
	}
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	sig[64] += 27
	return sig, nil
}

// Pack concatenates signatures sorted by owner address ascending, as
// execTransaction's checkNSignatures requires (it refuses an unsorted or
// repeated owner).
func Pack(sigs map[common.Address][]byte) []byte {
	owners := slices.SortedFunc(maps.Keys(sigs), func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	out := make([]byte, 0, len(owners)*SignatureLen)
	for _, o := range owners {
		out = append(out, sigs[o]...)
	}
	return out
}

func bytesToBig(b []byte) *big.Int { return new(big.Int).SetBytes(b) }
