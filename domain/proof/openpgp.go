package proof

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// readOpenPGPKey reads exactly one OpenPGP public key (a transferable public
// key: primary, user ids, subkeys), armored or binary.
func readOpenPGPKey(b []byte) (*openpgp.Entity, error) {
	var (
		el  openpgp.EntityList
		err error
	)
	if t := bytes.TrimSpace(b); bytes.HasPrefix(t, []byte("-----BEGIN ")) {
		if err := oneArmorBlock(t, "key"); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(t))
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(b))
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not an OpenPGP public key (gpg --export --armor): %v", ErrUnsupported, err)
	case len(el) != 1:
		return nil, fmt.Errorf("%w: %d OpenPGP keys given, want one", ErrUnsupported, len(el))
	}
	e := el[0]
	if e.PrivateKey != nil {
		// Never let secret key material into an event that every replica keeps.
		return nil, fmt.Errorf("%w: that is a secret key; give the public key (gpg --export --armor)", ErrUnsupported)
	}
	if e.PrimaryKey.Version != 4 {
		return nil, fmt.Errorf("%w: OpenPGP v%d key; want a v4 key", ErrUnsupported, e.PrimaryKey.Version)
	}
	keys := []*packet.PublicKey{e.PrimaryKey}
	for _, sk := range e.Subkeys {
		keys = append(keys, sk.PublicKey)
	}
	for _, k := range keys {
		if err := checkOpenPGPAlgo(k); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// checkOpenPGPAlgo refuses DSA and ElGamal (legacy, and their verification
// cost grows with parameters an attacker picks) and RSA outside
// [minRSABits, maxRSABits]: every replica verifies every proof.
func checkOpenPGPAlgo(k *packet.PublicKey) error {
	switch k.PubKeyAlgo {
	case packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		return fmt.Errorf("%w: DSA/ElGamal OpenPGP key %X; use an RSA, ECC or Ed25519 key", ErrUnsupported, k.KeyId)
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		bits, err := k.BitLength()
		if err != nil || int(bits) < minRSABits || int(bits) > maxRSABits {
			return fmt.Errorf("%w: RSA OpenPGP key %X of %d bits, want %d to %d", ErrUnsupported, k.KeyId, bits, minRSABits, maxRSABits)
		}
	}
	return nil
}

func openPGPFingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

// checkOpenPGP verifies a detached signature (binary or text mode) over the
// statement, judging revocation and expiry of the signing key or subkey at at.
func checkOpenPGP(p Proof, st Statement, at time.Time) (Checked, error) {
	e, err := readOpenPGPKey(p.PublicKey)
	if err != nil {
		return Checked{}, err
	}
	if err := matchKey(st, openPGPFingerprint(e)); err != nil {
		return Checked{}, err
	}
	sigBody, err := openPGPSignature(p.Signature)
	if err != nil {
		return Checked{}, err
	}
	// The config's clock is at, never the machine's: every replica decides alike.
	config := &packet.Config{Time: func() time.Time { return at }}
	sig, _, err := openpgp.VerifyDetachedSignature(openpgp.EntityList{e}, bytes.NewReader(p.Statement), sigBody, config)
	switch {
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return Checked{}, fmt.Errorf("%w: the signing key or subkey is revoked as of %s: prove another key", ErrRevoked, stamp(at))
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return Checked{}, fmt.Errorf("%w: the signing key or subkey is expired (or not yet created) at %s: extend its expiry (gpg --quick-set-expire) and export it again, or prove another key", ErrKeyExpired, stamp(at))
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return Checked{}, fmt.Errorf("%w: the signature or a binding signature expired before %s: sign the statement again, or extend the key's expiry (gpg --quick-set-expire) and export it again", ErrKeyExpired, stamp(at))
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return Checked{}, fmt.Errorf("%w: not signed by a signing key of %s: sign with it (gpg -u %s --detach-sign --armor)", ErrSignature, openPGPFingerprint(e), openPGPFingerprint(e))
	case err != nil:
		return Checked{}, fmt.Errorf("%w: OpenPGP signature does not verify over the statement: %v", ErrSignature, err)
	}
	return Checked{
		Fingerprint: openPGPFingerprint(e),
		Algorithm:   KindOpenPGP,
		KeyExpires:  signingKeyExpiry(e, *sig.IssuerKeyId),
	}, nil
}

// openPGPSignature returns the packets of a detached signature, armored or
// binary: exactly one signature packet, nothing after it.
func openPGPSignature(b []byte) (io.Reader, error) {
	t := bytes.TrimSpace(b)
	body := b
	if bytes.HasPrefix(t, []byte("-----BEGIN ")) {
		if err := oneArmorBlock(t, "signature"); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		block, err := armor.Decode(bytes.NewReader(t))
		if err != nil {
			return nil, fmt.Errorf("%w: unreadable armored OpenPGP signature: %v", ErrSignature, err)
		}
		if block.Type != openpgp.SignatureType {
			return nil, fmt.Errorf("%w: armored %q, want %q (gpg --detach-sign --armor)", ErrSignature, block.Type, openpgp.SignatureType)
		}
		// The armor holds no more than MaxSignature bytes of base64.
		if body, err = io.ReadAll(block.Body); err != nil {
			return nil, fmt.Errorf("%w: unreadable armored OpenPGP signature: %v", ErrSignature, err)
		}
	}
	packets := packet.NewReader(bytes.NewReader(body))
	p, err := packets.Next()
	if err != nil {
		return nil, fmt.Errorf("%w: unreadable OpenPGP signature: %v", ErrSignature, err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, fmt.Errorf("%w: the file holds a %T, not a detached signature (gpg --detach-sign)", ErrSignature, p)
	}
	// go-crypto's v1 API verifies these; its v2 and gpg itself refuse
	// them, and an SSH proof refuses ssh-rsa (SHA-1) alike.
	if weakHashes[sig.Hash] {
		return nil, fmt.Errorf("%w: the OpenPGP signature hashes with %s, which is broken; sign again with gpg --digest-algo SHA512", ErrSignature, sig.Hash)
	}
	if _, err := packets.Next(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one OpenPGP packet; give one detached signature (gpg --detach-sign)", ErrSignature)
	}
	return bytes.NewReader(body), nil
}

// weakHashes are the digests a proof signature may not use.
var weakHashes = map[crypto.Hash]bool{crypto.MD5: true, crypto.SHA1: true, crypto.RIPEMD160: true}

// oneArmorBlock refuses armored text with anything before its BEGIN line or
// after its END line: another key, a second signature, or words that every
// replica would keep but nobody verified. t is trimmed of space.
func oneArmorBlock(t []byte, what string) error {
	end := bytes.LastIndex(t, []byte("\n-----END "))
	if bytes.Count(t, []byte("-----BEGIN ")) != 1 || end < 0 || bytes.IndexByte(t[end+1:], '\n') >= 0 || !bytes.HasSuffix(t, []byte("-----")) {
		return fmt.Errorf("want exactly one armored OpenPGP %s and nothing around it (one gpg --export --armor or --detach-sign --armor, not several in one file)", what)
	}
	return nil
}

// signingKeyExpiry is when the key that made a signature stops being valid:
// the earlier of the primary key's and, for a subkey, the subkey's expiry.
// Zero means never.
func signingKeyExpiry(e *openpgp.Entity, keyID uint64) time.Time {
	var out time.Time
	earliest := func(pk *packet.PublicKey, sig *packet.Signature) {
		if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
			return
		}
		t := pk.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC()
		if out.IsZero() || t.Before(out) {
			out = t
		}
	}
	self, _ := e.PrimarySelfSignature()
	earliest(e.PrimaryKey, self)
	for _, sk := range e.Subkeys {
		if sk.PublicKey.KeyId == keyID {
			earliest(sk.PublicKey, sk.Sig)
		}
	}
	return out
}
