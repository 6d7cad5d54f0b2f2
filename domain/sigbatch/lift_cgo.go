//go:build cgo && !gofuzz

package sigbatch

import (
	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
	libsecp "github.com/ethereum/go-ethereum/crypto/secp256k1"
)

// lift sets p to the curve point with x = r and y of the given parity, as
// recovery does. libsecp256k1's square root, through go-ethereum's cgo
// binding, takes half the time of decred's pure-Go one, and a batch spends
// a third of its time there.
func lift(r []byte, odd bool, p *secp.JacobianPoint) bool {
	var c [33]byte
	c[0] = 2
	if odd {
		c[0] = 3
	}
	copy(c[1:], r)
	x, y := libsecp.DecompressPubkey(c[:])
	if x == nil {
		return false
	}
	var yb [32]byte
	y.FillBytes(yb[:])
	p.X.SetByteSlice(r)
	p.Y.SetBytes(&yb)
	p.Z.SetInt(1)
	return true
}
