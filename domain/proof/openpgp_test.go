package proof

import (
	"bytes"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// pgpAt is a go-crypto config whose clock is at.
func pgpAt(at time.Time) *packet.Config {
	return &packet.Config{Time: func() time.Time { return at }, Algorithm: packet.PubKeyAlgoEdDSA}
}

// newPGPKey makes an OpenPGP key created at t0 minus a day, with a signing
// subkey; lifetime 0 means it never expires.
func newPGPKey(t testing.TB, lifetime, subLifetime time.Duration) *openpgp.Entity {
	t.Helper()
	created := t0.Add(-24 * time.Hour)
	cfg := pgpAt(created)
	cfg.KeyLifetimeSecs = uint32(lifetime / time.Second)
	e, err := openpgp.NewEntity("Alice", "", "alice@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeyLifetimeSecs = uint32(subLifetime / time.Second)
	if err := e.AddSigningSubkey(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// pgpPublic is e's public key, armored when armored is set.
func pgpPublic(t testing.TB, e *openpgp.Entity, armored bool) []byte {
	t.Helper()
	var b bytes.Buffer
	w := &b
	var aw interface{ Close() error }
	var out interface {
		Write([]byte) (int, error)
	} = w
	if armored {
		a, err := armor.Encode(w, openpgp.PublicKeyType, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, aw = a, a
	}
	if err := e.Serialize(out); err != nil {
		t.Fatal(err)
	}
	if aw != nil {
		aw.Close()
	}
	return b.Bytes()
}

// pgpProof signs the statement for e at signedAt with the key keyID (0: the
// library's choice, the newest signing subkey).
func pgpProof(t testing.TB, e *openpgp.Entity, signedAt time.Time, keyID uint64, armored bool) Proof {
	t.Helper()
	key := pgpPublic(t, e, armored)
	st := statementFor(t, KindOpenPGP, key).Marshal()
	cfg := pgpAt(signedAt)
	cfg.SigningKeyId = keyID
	var sig bytes.Buffer
	sign := openpgp.DetachSign
	if armored {
		sign = openpgp.ArmoredDetachSign
	}
	if err := sign(&sig, e, bytes.NewReader(st), cfg); err != nil {
		t.Fatal(err)
	}
	return Proof{Kind: KindOpenPGP, PublicKey: key, Statement: st, Signature: sig.Bytes()}
}

func TestCheckOpenPGP(t *testing.T) {
	e := newPGPKey(t, 0, 0)
	for _, armored := range []bool{true, false} {
		p := pgpProof(t, e, t0, 0, armored)
		c, err := Check(p, t0)
		if err != nil {
			t.Fatalf("armored=%v: %v", armored, err)
		}
		if len(c.Fingerprint) != 40 || c.Algorithm != KindOpenPGP || !c.KeyExpires.IsZero() {
			t.Fatalf("checked %+v", c)
		}
	}
	t.Run("signed by the primary key", func(t *testing.T) {
		if _, err := Check(pgpProof(t, e, t0, e.PrimaryKey.KeyId, true), t0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("text-mode signature", func(t *testing.T) {
		p := pgpProof(t, e, t0, 0, false)
		var sig bytes.Buffer
		if err := openpgp.DetachSignText(&sig, e, bytes.NewReader(p.Statement), pgpAt(t0)); err != nil {
			t.Fatal(err)
		}
		p.Signature = sig.Bytes()
		if _, err := Check(p, t0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCheckOpenPGPExpiry(t *testing.T) {
	// Key made a day before t0, valid for three days; subkey for two.
	e := newPGPKey(t, 72*time.Hour, 48*time.Hour)
	p := pgpProof(t, e, t0, 0, true)
	c, err := Check(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	subExpiry := t0.Add(24 * time.Hour)
	if !c.KeyExpires.Equal(subExpiry) {
		t.Fatalf("KeyExpires %s, want the subkey's %s", c.KeyExpires, subExpiry)
	}
	wantErr(t, c.ValidAt(subExpiry), nil)
	wantErr(t, c.ValidAt(subExpiry.Add(time.Second)), ErrKeyExpired)
	wantErr(t, c.ValidAt(subExpiry.Add(time.Second)), ErrNotValid)

	// Judged after the subkey expired: refused.
	_, err = Check(p, t0.Add(36*time.Hour))
	wantErr(t, err, ErrKeyExpired)
	// Signed by the primary, judged after the primary expired: refused.
	_, err = Check(pgpProof(t, e, t0, e.PrimaryKey.KeyId, true), t0.Add(60*time.Hour))
	wantErr(t, err, ErrKeyExpired)
	// Judged before the key existed: refused, not accepted.
	_, err = Check(p, t0.Add(-48*time.Hour))
	wantErr(t, err, ErrKeyExpired)
}

func TestCheckOpenPGPRevoked(t *testing.T) {
	revokedAt := t0.Add(time.Hour)
	cases := []struct {
		name          string
		reason        packet.ReasonForRevocation
		primary       bool
		beforeRevoked error // judged at t0, when the proof was signed
	}{
		// A retired subkey's earlier signatures stand.
		{"subkey retired", packet.KeyRetired, false, nil},
		// A compromised key is revoked back to its creation (RFC 4880 5.2.3.23).
		{"subkey compromised", packet.KeyCompromised, false, ErrRevoked},
		{"primary key superseded", packet.KeySuperseded, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newPGPKey(t, 0, 0)
			var keyID uint64
			if c.primary {
				keyID = e.PrimaryKey.KeyId
			}
			p := pgpProof(t, e, t0, keyID, true)
			var err error
			if c.primary {
				err = e.RevokeKey(c.reason, "", pgpAt(revokedAt))
			} else {
				err = e.RevokeSubkey(&e.Subkeys[len(e.Subkeys)-1], c.reason, "", pgpAt(revokedAt))
			}
			if err != nil {
				t.Fatal(err)
			}
			p.PublicKey = pgpPublic(t, e, true) // the key as published after the revocation
			_, err = Check(p, revokedAt.Add(time.Minute))
			wantErr(t, err, ErrRevoked)
			_, err = Check(p, t0)
			wantErr(t, err, c.beforeRevoked)
		})
	}
}

func TestCheckOpenPGPRefuses(t *testing.T) {
	e := newPGPKey(t, 0, 0)
	other := newPGPKey(t, 0, 0)
	good := pgpProof(t, e, t0, 0, false)
	byOther := pgpProof(t, other, t0, 0, false)
	var secret bytes.Buffer
	if err := e.SerializePrivate(&secret, nil); err != nil {
		t.Fatal(err)
	}
	both := append(pgpPublic(t, e, false), pgpPublic(t, other, false)...)
	// Armored, each block is a key of its own: the first used to be read
	// and the rest kept, unread, in the event every replica stores.
	armored := pgpProof(t, e, t0, 0, true)
	byOtherArmored := pgpProof(t, other, t0, 0, true)
	if _, err := Check(armored, t0); err != nil {
		t.Fatalf("armored proof refused: %v", err)
	}
	withJunk := func(b []byte) []byte { return append(append([]byte(nil), b...), "\nsigned: the CFO\n"...) }
	cases := []editCase{
		{"signature by another key", func(p *Proof) { p.Signature = byOther.Signature }, ErrSignature},
		{"another key", func(p *Proof) { p.PublicKey = byOther.PublicKey }, ErrKeyMismatch},
		{"flipped byte in statement's header", func(p *Proof) { p.Statement = flip(p.Statement, 3) }, ErrStatement},
		{"flipped byte in statement's workspace", func(p *Proof) {
			p.Statement = bytes.Replace(p.Statement, []byte("5f1c9a0e7b3d"), []byte("5f1c9a0e7b3e"), 1)
		}, ErrSignature},
		{"flipped byte in key", func(p *Proof) { p.PublicKey = flip(p.PublicKey, 20) }, nil},
		{"flipped byte in signature", func(p *Proof) { p.Signature = flip(p.Signature, len(p.Signature)-10) }, ErrSignature},
		{"secret key", func(p *Proof) { p.PublicKey = secret.Bytes() }, ErrUnsupported},
		{"two keys", func(p *Proof) { p.PublicKey = both }, ErrUnsupported},
		{"two armored keys", func(p *Proof) {
			*p = armored
			p.PublicKey = append(append([]byte(nil), armored.PublicKey...), byOtherArmored.PublicKey...)
		}, ErrUnsupported},
		{"text after an armored key", func(p *Proof) { *p = armored; p.PublicKey = withJunk(armored.PublicKey) }, ErrUnsupported},
		{"text before an armored key", func(p *Proof) {
			*p = armored
			p.PublicKey = append([]byte("my key:\n"), armored.PublicKey...)
		}, ErrUnsupported},
		{"two armored signatures", func(p *Proof) {
			*p = armored
			p.Signature = append(append([]byte(nil), armored.Signature...), byOtherArmored.Signature...)
		}, ErrSignature},
		{"text after an armored signature", func(p *Proof) { *p = armored; p.Signature = withJunk(armored.Signature) }, ErrSignature},
		{"two binary signatures", func(p *Proof) { p.Signature = append(append([]byte(nil), p.Signature...), byOther.Signature...) }, ErrSignature},
		{"bytes after a binary signature", func(p *Proof) { p.Signature = append(append([]byte(nil), p.Signature...), 0xc0, 0x01, 0x00) }, ErrSignature},
		{"a key given as the signature", func(p *Proof) { p.Signature = p.PublicKey }, ErrSignature},
		{"not a key", func(p *Proof) { p.PublicKey = []byte("hello") }, ErrUnsupported},
		{"SSH signature armor", func(p *Proof) {
			p.Signature = []byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n")
		}, ErrSignature},
		{"empty signature", func(p *Proof) { p.Signature = nil }, ErrSignature},
		{"oversized key", func(p *Proof) { p.PublicKey = bytes.Repeat([]byte{0x99}, MaxKey+1) }, ErrTooLarge},
		{"oversized signature", func(p *Proof) { p.Signature = bytes.Repeat([]byte{0x88}, MaxSignature+1) }, ErrTooLarge},
	}
	checkEdits(t, good, cases)
}
