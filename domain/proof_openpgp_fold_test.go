package domain_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// pgpKey is an OpenPGP key created a day before epoch whose signing subkey
// lives for life.
func pgpKey(t *testing.T, life time.Duration) (*openpgp.Entity, string) {
	t.Helper()
	cfg := &packet.Config{Time: func() time.Time { return epoch.Add(-24 * time.Hour) }, Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("Alice", "", "alice@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeyLifetimeSecs = uint32(life / time.Second)
	if err := e.AddSigningSubkey(cfg); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, b.String()
}

// An OpenPGP proof counts until its signing subkey expires, then shows
// expired; a signature made after the subkey expired is refused.
func TestOpenPGPProofFold(t *testing.T) {
	p := newProofTeam(t)
	e, pub := pgpKey(t, 48*time.Hour) // the subkey expires a day after epoch
	fp, err := proof.Fingerprint(proof.KindOpenPGP, []byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(at time.Time) *domain.ProofAdd {
		st := domaintest.Statement(p.ws, p.Addr(0), proof.KindOpenPGP, fp, epoch, epoch.Add(30*24*time.Hour)).Marshal()
		var sig bytes.Buffer
		if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(st), &packet.Config{Time: func() time.Time { return at }}); err != nil {
			t.Fatal(err)
		}
		return &domain.ProofAdd{ProofKind: proof.KindOpenPGP, PublicKey: pub, Statement: string(st), Signature: sig.String()}
	}
	ok := do(t, p.Team, 0, sign(epoch))
	st := p.Fold(nil)
	accepted(t, st, ok)
	pr := st.Identity.Proofs[ok.ID]
	if pr.Fingerprint != fp || pr.KeyExpires == 0 {
		t.Fatalf("openpgp proof %+v", pr)
	}
	if s := st.ProofStatus(pr, epoch.Add(12*time.Hour).UnixMilli()); s != domain.ProofValid {
		t.Errorf("within the subkey's life: %s", s)
	}
	if s := st.ProofStatus(pr, epoch.Add(25*time.Hour).UnixMilli()); s != domain.ProofExpired {
		t.Errorf("after the subkey expired: %s", s)
	}
	p.Clock = epoch.Add(26 * time.Hour).UnixMilli()
	late := do(t, p.Team, 0, sign(epoch))
	rejected(t, p.Fold(nil), late, "expired")
}
