//go:build !cgo || gofuzz

package sigbatch

import secp "github.com/decred/dcrd/dcrec/secp256k1/v4"

// lift sets p to the curve point with x = r and y of the given parity, as
// recovery does.
func lift(r []byte, odd bool, p *secp.JacobianPoint) bool {
	p.X.SetByteSlice(r)
	if !secp.DecompressY(&p.X, odd, &p.Y) {
		return false
	}
	p.Y.Normalize()
	p.Z.SetInt(1)
	return true
}
