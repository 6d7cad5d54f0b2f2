package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
)

// Identity in the demo, so the roster pane has news: alice and bob have SSH proofs
// (bob's runs out in nine days), and the roster asks containment for two proofs, the
// tminus key and one more, which leaves dave, on containment with his key alone,
// below the minimum. alice and bob still count, so the pause proposal's gate and the
// roster quorum read as before.
const (
	demoContainmentMin = 2
	demoBobProofLeft   = 9*24*time.Hour + 6*time.Hour // "in 9d", inside the roster's 14-day warning
)

// identity seeds the proofs and the policy as the CLI writes them: tminus proof add
// ssh --key (a statement signed with an ed25519 key made here, in-process, no
// ssh-keygen), then tminus member policy through the roster quorum.
func (s *seeder) identity(ago time.Duration) {
	s.sshProof(ago, "alice", proof.DefaultValidity)
	s.sshProof(ago, "bob", ago+demoBobProofLeft)
	s.checked(ago-time.Minute, "alice", &domain.MemberChange{Action: domain.ChangePolicy, Role: "containment", MinProofs: demoContainmentMin})
}

// sshProof records who's SSH proof, issued at the event's time and valid for validity.
func (s *seeder) sshProof(ago time.Duration, who string, validity time.Duration) {
	if s.err != nil {
		return
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		s.err = err
		return
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		s.err = err
		return
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	fp, err := proof.Fingerprint(proof.KindSSH, []byte(line))
	if err != nil {
		s.err = err
		return
	}
	issued := s.now.Add(-ago).UTC().Truncate(time.Second)
	st := proof.Statement{Workspace: s.d.st.Workspace().String(), Member: s.d.signers[who].Address(), Kind: proof.KindSSH,
		Fingerprint: fp, IssuedAt: issued, Expires: issued.Add(validity)}
	msg := st.Marshal()
	sig, err := proof.SignSSH(signer, msg)
	if err != nil {
		s.err = err
		return
	}
	s.checked(ago, who, &domain.ProofAdd{ProofKind: proof.KindSSH, PublicKey: line, Statement: string(msg), Signature: string(sig)})
}

// checked appends an identity body after asking the fold's question of the state, as
// the CLI does before it signs (gated): a demo that seeded a refused proof would
// show nothing and say nothing.
func (s *seeder) checked(ago time.Duration, who string, b domain.Body) {
	if s.err != nil {
		return
	}
	state, err := s.d.st.State(s.ctx)
	if err != nil {
		s.err = err
		return
	}
	if err := state.CheckBody(s.d.signers[who].Address(), b, s.now.Add(-ago).UnixMilli()); err != nil {
		s.err = fmt.Errorf("%s %s: %w", who, b.Kind(), err)
		return
	}
	s.at(ago, who, b)
}
