package domain_test

import (
	"bytes"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hiddeco/sshsig"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
)

// A proof team: alice (node 0, founder: containment, triage), bob (node 1:
// containment), carol (node 2: triage), all on one line; node 3 is a key
// nobody holds yet (alice's next). Roster quorum 2.
type proofTeam struct {
	*domaintest.Team
	ws domain.ID
}

var epoch = time.UnixMilli(domaintest.Epoch).UTC()

func newProofTeam(t *testing.T) *proofTeam {
	t.Helper()
	tm := domaintest.NewTeam(77, 4)
	g := do(t, tm, 0, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 2},
		Founder: member(tm, 0, "alice", domain.RoleContainment, domain.RoleTriage)})
	p := &proofTeam{Team: tm, ws: g.ID}
	// With one member the quorum is capped at 1: alice adds bob alone,
	// and bob approves carol.
	do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", domain.RoleContainment)})
	c := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 2, "carol", domain.RoleTriage)})
	do(t, tm, 1, &domain.MemberApprove{Proposal: c.ID})
	if st := tm.Fold(nil); st.ActiveMembers() != 3 {
		t.Fatalf("team has %d members", st.ActiveMembers())
	}
	return p
}

// sshProof is node i's ssh proof with key, valid [issued, issued+validity).
func (p *proofTeam) sshProof(t *testing.T, i int, key ssh.Signer, issued time.Time, validity time.Duration) *domain.ProofAdd {
	t.Helper()
	b, err := domaintest.KeyProof(key, p.ws, p.Addr(i), issued, validity)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gatedStep sets containment's minimum to two proofs and declares an
// incident; each call of the function it returns has carol propose a
// runbook step there that two containment approvals gate.
func (p *proofTeam) gatedStep(t *testing.T) func() *domain.Event {
	t.Helper()
	p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleContainment, MinProofs: 2})
	inc := do(t, p.Team, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	cmd := "cast send 0xvault 'pause()'"
	return func() *domain.Event {
		return do(t, p.Team, 2, &domain.RunbookPropose{Incident: inc.ID, Runbook: "pause", RunbookHash: domain.CommandHash("rb"), Step: 1,
			Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 2, Approvers: []string{domain.RoleContainment}})
	}
}

// change proposes a member.change by node i and has node j approve it.
func (p *proofTeam) change(t *testing.T, i, j int, b *domain.MemberChange) *domain.Event {
	t.Helper()
	e := do(t, p.Team, i, b)
	do(t, p.Team, j, &domain.MemberApprove{Proposal: e.ID})
	st := p.Fold(nil)
	if rp := st.Roster[e.ID]; rp == nil || !rp.Applied {
		t.Fatalf("%s not applied: %+v (%s)", b.Describe(), rp, reason(st, e.ID))
	}
	return e
}

func flip(s string, at int) string {
	b := []byte(s)
	b[at] ^= 0x01
	return string(b)
}

func sshsigWith(t *testing.T, key ssh.Signer, msg []byte, h sshsig.HashAlgorithm, ns string) string {
	t.Helper()
	sig, err := sshsig.Sign(bytes.NewReader(msg), key, sshsig.HashSHA512, ns)
	if err != nil {
		t.Fatal(err)
	}
	sig.HashAlgorithm = h
	return string(sshsig.Armor(sig))
}

// Every bad proof is stored but not folded, and the reason names why.
func TestProofRejections(t *testing.T) {
	alice, bobKey, ca, otherCA := domaintest.SSHKey("alice"), domaintest.SSHKey("bob"), domaintest.SSHKey("ca"), domaintest.SSHKey("other-ca")
	day := 24 * time.Hour
	cases := []struct {
		name string
		// make returns the body node 0 (alice) signs, given the team.
		make func(t *testing.T, p *proofTeam) *domain.ProofAdd
		want string
	}{
		{"signature by another key", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			sig, err := proof.SignSSH(bobKey, []byte(b.Statement)) // bob's key signs alice's statement
			if err != nil {
				t.Fatal(err)
			}
			b.Signature = string(sig)
			return b
		}, "does not verify"},
		{"flipped byte in statement", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			b.Statement = strings.Replace(b.Statement, "issued-at: 2023", "issued-at: 2022", 1)
			return b
		}, "does not verify"},
		{"flipped byte in key", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			b.PublicKey = flip(b.PublicKey, len(b.PublicKey)-5)
			return b
		}, "does not verify"},
		{"flipped byte in signature", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			b.Signature = flip(b.Signature, len(b.Signature)/2)
			return b
		}, "does not verify"},
		{"SSHSIG in another namespace", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			b.Signature = sshsigWith(t, alice, []byte(b.Statement), sshsig.HashSHA512, "git")
			return b
		}, "namespace"},
		{"SSHSIG with another hash algorithm", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			b := p.sshProof(t, 0, alice, epoch, day)
			b.Signature = sshsigWith(t, alice, []byte(b.Statement), "sha384", proof.Namespace)
			return b
		}, "does not verify"},
		{"statement replayed from another workspace", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			st := domaintest.Statement(domain.ID{9}, p.Addr(0), proof.KindSSH, ssh.FingerprintSHA256(alice.PublicKey()), epoch, epoch.Add(day))
			b, _ := domaintest.SSHProof(alice, proof.KindSSH, domaintest.AuthorizedKey(alice.PublicKey()), st)
			return b
		}, "sign the statement this workspace prints"},
		{"statement for another member", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			return p.sshProof(t, 1, alice, epoch, day) // names bob's key, alice signs the event
		}, ": sign a statement that names 0x"},
		{"expired at the event's time", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			return p.sshProof(t, 0, alice, epoch.Add(-2*day), day)
		}, "(add a new proof)"},
		{"not yet valid at the event's time", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			return p.sshProof(t, 0, alice, epoch.Add(day), day)
		}, "record the proof after its statement was issued"},
		{"certificate from an untrusted CA", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			return certProof(t, p, 0, alice, otherCA, []string{"alice"}, epoch.Add(-day), epoch.Add(day))
		}, "does not trust"},
		{"certificate with the wrong principal", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(ca.PublicKey())})
			return certProof(t, p, 0, alice, ca, []string{"bob"}, epoch.Add(-day), epoch.Add(day))
		}, `principals ["bob"] do not include alice: have the CA issue a certificate naming alice (ssh-keygen -s CA -n alice)`},
		{"expired certificate", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(ca.PublicKey())})
			return certProof(t, p, 0, alice, ca, []string{"alice"}, epoch.Add(-2*day), epoch.Add(-day))
		}, "have the CA issue a new certificate"},
		{"certificate from a CA removed from the roster", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(ca.PublicKey())})
			p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCARemove, Fingerprint: ssh.FingerprintSHA256(ca.PublicKey())})
			return certProof(t, p, 0, alice, ca, []string{"alice"}, epoch.Add(-day), epoch.Add(day))
		}, "does not trust"},
		{"key already bound to another member", func(t *testing.T, p *proofTeam) *domain.ProofAdd {
			accepted(t, p.Fold(nil), do(t, p.Team, 1, p.sshProof(t, 1, bobKey, epoch, day)))
			return p.sshProof(t, 0, bobKey, epoch, day)
		}, "already bound to bob: one proof key proves one member; prove another key, or bob revokes that proof first"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProofTeam(t)
			b := c.make(t, p)
			e := do(t, p.Team, 0, b)
			st := p.Fold(nil)
			rejected(t, st, e, c.want)
			if n := len(st.MemberProofs("alice")); n != 0 {
				t.Errorf("alice has %d proofs after a refused one", n)
			}
			// The CLI asks the same question before it signs.
			if err := st.CheckBody(p.Addr(0), b, int64(e.Time)); err == nil {
				t.Errorf("CheckBody accepts what the fold refused")
			}
		})
	}
}

func certProof(t *testing.T, p *proofTeam, i int, key, ca ssh.Signer, principals []string, after, before time.Time) *domain.ProofAdd {
	t.Helper()
	cert := domaintest.Cert(ca, key.PublicKey(), principals, after, before)
	signer, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	line := domaintest.AuthorizedKey(cert)
	st := domaintest.Statement(p.ws, p.Addr(i), proof.KindSSHCert, ssh.FingerprintSHA256(key.PublicKey()), epoch.Add(-time.Hour), epoch.Add(30*24*time.Hour))
	b, err := domaintest.SSHProof(signer, proof.KindSSHCert, line, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Oversized keys and signatures never reach the fold: bodies are capped.
func TestProofBodyCaps(t *testing.T) {
	big := strings.Repeat("A", proof.MaxKey+1)
	for _, b := range []*domain.ProofAdd{
		{ProofKind: proof.KindSSH, PublicKey: big, Statement: "s", Signature: "s"},
		{ProofKind: proof.KindSSH, PublicKey: "k", Statement: "s", Signature: big},
		{ProofKind: proof.KindSSH, PublicKey: "k", Statement: strings.Repeat("s", proof.MaxStatement+1), Signature: "s"},
		{ProofKind: "x509", PublicKey: "k", Statement: "s", Signature: "s"},
	} {
		if _, err := domain.EncodeBody(b); err == nil {
			t.Errorf("%s proof with a %d-byte key and %d-byte signature encoded", b.ProofKind, len(b.PublicKey), len(b.Signature))
		}
	}
	raw := []byte(`{"kind":"ssh","public_key":"` + big + `","statement":"s","signature":"s"}`)
	if _, err := domain.DecodeBody(domain.KindProofAdd, raw); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized key decoded: %v", err)
	}
	for _, c := range []*domain.MemberChange{
		{Action: domain.ChangePolicy, Role: "containment", MinProofs: 9},
		{Action: domain.ChangePolicy, Role: "janitor", MinProofs: 2},
		{Action: domain.ChangeCAAdd, CA: "not a key"},
		{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(domaintest.SSHKey("x").PublicKey()), Role: "triage"},
		{Action: domain.ChangeRotate},
		{Action: "grant"},
	} {
		if _, err := domain.EncodeBody(c); err == nil {
			t.Errorf("member.change %+v encoded", c)
		}
	}
}

// Good proofs count; a revoked or expired one stops counting; a CA
// removed from the roster stops its certificates counting.
func TestProofStatuses(t *testing.T) {
	p := newProofTeam(t)
	alice, ca := domaintest.SSHKey("alice"), domaintest.SSHKey("ca")
	day := 24 * time.Hour
	e1 := do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 2*day))
	p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(ca.PublicKey())})
	e2 := do(t, p.Team, 0, certProof(t, p, 0, alice, ca, []string{"alice", "root"}, epoch.Add(-day), epoch.Add(day)))
	st := p.Fold(nil)
	accepted(t, st, e1, e2)
	now := int64(e2.Time)
	if n := st.ProofCount("alice", now); n != 3 {
		t.Errorf("alice proves %d kinds, want 3 (key, ssh, ssh-cert)", n)
	}
	pr := st.Identity.Proofs[e2.ID]
	if pr.Fingerprint != ssh.FingerprintSHA256(alice.PublicKey()) || pr.CA != ssh.FingerprintSHA256(ca.PublicKey()) {
		t.Errorf("certificate proof %+v", pr)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{{epoch.Add(-2 * time.Hour), domain.ProofNotYetValid}, {epoch.Add(day - time.Second), domain.ProofValid}, {epoch.Add(day), domain.ProofExpired}} {
		if got := st.ProofStatus(pr, c.at.UnixMilli()); got != c.want {
			t.Errorf("certificate at %s: %s, want %s", c.at, got, c.want)
		}
	}
	p.change(t, 0, 1, &domain.MemberChange{Action: domain.ChangeCARemove, Fingerprint: ssh.FingerprintSHA256(ca.PublicKey())})
	rv := do(t, p.Team, 0, &domain.ProofRevoke{Proof: e1.ID})
	again := do(t, p.Team, 0, &domain.ProofRevoke{Proof: e1.ID})
	notHers := do(t, p.Team, 1, &domain.ProofRevoke{Proof: e2.ID})
	st = p.Fold(nil)
	accepted(t, st, rv)
	rejected(t, st, again, "already revoked")
	rejected(t, st, notHers, "only its member revokes it")
	if s := st.ProofStatus(st.Identity.Proofs[e1.ID], now); s != domain.ProofRevoked {
		t.Errorf("revoked proof is %s", s)
	}
	if s := st.ProofStatus(st.Identity.Proofs[e2.ID], now); s != domain.ProofUntrustedCA {
		t.Errorf("certificate of a removed CA is %s", s)
	}
	if n := st.ProofCount("alice", now); n != 1 {
		t.Errorf("alice proves %d kinds after revoking and losing her CA, want 1", n)
	}
	// A revoked key is free to be bound again, by its own member.
	accepted(t, p.Fold(nil), do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 2*day)))
}

// Approvals count only from members who meet their roles' minimum at the
// approval's signed time: before bob's proof expires his approval counts,
// after it does not.
func TestPolicyGatesApprovalsAtSignedTime(t *testing.T) {
	p := newProofTeam(t)
	bob, alice := domaintest.SSHKey("bob"), domaintest.SSHKey("alice")
	// Policy first needs enough members able to approve: alice proves.
	do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	tooStrict := do(t, p.Team, 0, &domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleTriage, MinProofs: 3})
	rejected(t, p.Fold(nil), tooStrict, "would leave 1 members whose approvals count")

	propose := p.gatedStep(t)
	// Bob, below the minimum: his approvals count for nothing.
	pr1 := propose()
	early := do(t, p.Team, 1, &domain.RunbookApprove{Proposal: pr1.ID})
	st := p.Fold(nil)
	rejected(t, st, early, "bob's approval does not count: role containment needs 2 proofs")
	if got := st.Proposals[pr1.ID].Approvals; len(got) != 0 {
		t.Errorf("approvals %v", got)
	}
	// Bob proves for one hour; an approval within it counts.
	proofAt := time.UnixMilli(p.Clock).UTC()
	do(t, p.Team, 1, p.sshProof(t, 1, bob, proofAt, time.Hour))
	ok := do(t, p.Team, 1, &domain.RunbookApprove{Proposal: pr1.ID})
	accepted(t, p.Fold(nil), ok)
	// Two hours later his proof has expired: the next approval does not count.
	p.Clock += (2 * time.Hour).Milliseconds()
	pr2 := propose()
	late := do(t, p.Team, 1, &domain.RunbookApprove{Proposal: pr2.ID})
	lateRoster := do(t, p.Team, 1, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}})
	st = p.Fold(nil)
	rejected(t, st, late, "bob had 1 valid at")
	if rp := st.Roster[lateRoster.ID]; len(rp.Approvals) != 0 || rp.Applied {
		t.Errorf("bob's own roster proposal counted his approval: %+v", rp)
	}
	// Re-folding in any order, the verdicts stand: judged at signed times.
	want := stateHash(t, st)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 10; i++ {
		if got := stateHash(t, fold(shuffled(rng, p.Events))); got != want {
			t.Fatalf("order %d: hash differs", i)
		}
	}
	// Alice, with her proof, approves bob's roster proposal: only she counts.
	ap := do(t, p.Team, 0, &domain.MemberApprove{Proposal: lateRoster.ID})
	st = p.Fold(nil)
	accepted(t, st, ap)
	if rp := st.Roster[lateRoster.ID]; rp.Applied {
		t.Errorf("a roster change applied with one counting approval of a quorum of 2")
	}
}

// key.rotate: the old key's later events are refused on every replica; the
// new key signs as the same member, and quorums still count members.
func TestKeyRotation(t *testing.T) {
	p := newProofTeam(t)
	alice, mallory := domaintest.SSHKey("alice"), domaintest.SSHKey("mallory")
	do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	newKey := p.Addr(3)
	endorse := func(key ssh.Signer) domain.ProofAdd {
		return *p.sshProof(t, 3, key, epoch, 30*24*time.Hour)
	}
	forged := do(t, p.Team, 0, &domain.KeyRotate{New: newKey, Endorsement: endorse(mallory)})
	toTaken := do(t, p.Team, 0, &domain.KeyRotate{New: p.Addr(1), Endorsement: *p.sshProof(t, 1, alice, epoch, time.Hour)})
	inc := do(t, p.Team, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	rot := do(t, p.Team, 0, &domain.KeyRotate{New: newKey, Endorsement: endorse(alice)})
	stale := do(t, p.Team, 0, &domain.Note{Incident: inc.ID, Text: "from the old key"})
	fresh := do(t, p.Team, 3, &domain.Note{Incident: inc.ID, Text: "from the new key"})
	st := p.Fold(nil)
	rejected(t, st, forged, "not a valid proof key of alice")
	rejected(t, st, toTaken, "already a key of bob")
	accepted(t, st, inc, rot, fresh)
	rejected(t, st, stale, domain.ErrRotated.Error())
	rejected(t, st, stale, "write from the home that holds "+newKey.Hex())
	if st.Handle(newKey) != "alice" || st.Members["alice"].Keys[0] != newKey {
		t.Errorf("alice's keys after rotation: %v", st.Members["alice"].Keys)
	}
	// The same member under two keys is one approval.
	rp := do(t, p.Team, 1, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}})
	viaNew := do(t, p.Team, 3, &domain.MemberApprove{Proposal: rp.ID})
	viaOld := do(t, p.Team, 0, &domain.MemberApprove{Proposal: rp.ID})
	st = p.Fold(nil)
	accepted(t, st, viaNew)
	rejected(t, st, viaOld, domain.ErrRotated.Error())
	if !st.Roster[rp.ID].Applied {
		t.Errorf("bob + alice's new key did not reach the quorum of 2")
	}
	want := stateHash(t, st)
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 10; i++ {
		if got := stateHash(t, fold(shuffled(rng, p.Events))); got != want {
			t.Fatalf("order %d: hash differs", i)
		}
	}
}

// A member who lost their key is rotated by the roster quorum, endorsed by
// one of their own proof keys.
func TestLostKeyRotation(t *testing.T) {
	p := newProofTeam(t)
	alice, mallory := domaintest.SSHKey("alice"), domaintest.SSHKey("mallory")
	do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	inc := do(t, p.Team, 0, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	rotation := func(key ssh.Signer) *domain.MemberChange {
		return &domain.MemberChange{Action: domain.ChangeRotate, Rotation: &domain.Rotation{Member: "alice", Old: p.Addr(0), New: p.Addr(3),
			Endorsement: *p.sshProof(t, 3, key, epoch, 30*24*time.Hour)}}
	}
	forged := do(t, p.Team, 1, rotation(mallory))
	rejected(t, p.Fold(nil), forged, "not a valid proof key of alice")
	prop := do(t, p.Team, 1, rotation(alice))
	if st := p.Fold(nil); st.Roster[prop.ID].Applied {
		t.Fatal("a rotation applied on one approval of a quorum of 2")
	}
	do(t, p.Team, 2, &domain.MemberApprove{Proposal: prop.ID})
	stale := do(t, p.Team, 0, &domain.Note{Incident: inc.ID, Text: "the thief"})
	fresh := do(t, p.Team, 3, &domain.Note{Incident: inc.ID, Text: "alice again"})
	st := p.Fold(nil)
	if !st.Roster[prop.ID].Applied {
		t.Fatalf("rotation not applied: %+v", st.Roster[prop.ID])
	}
	rejected(t, st, stale, "the roster replaced alice's key")
	accepted(t, st, fresh)
}

func TestIdentityLeavesOldStatesAlone(t *testing.T) {
	p := newProofTeam(t)
	st := p.Fold(nil)
	if st.Identity != nil {
		t.Errorf("a workspace without proofs has identity state %+v", st.Identity)
	}
}

// The convergence tests' random histories prove, revoke and set a policy,
// so their shuffles cover the identity kinds too.
func TestGeneratedHistoriesProve(t *testing.T) {
	kinds := map[string]int{}
	valid, policies := 0, 0
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		st := fold(h.Events)
		for _, e := range h.Events {
			if reason(st, e.ID) == "" {
				kinds[e.Kind]++
			}
		}
		if st.Identity != nil {
			valid += len(st.Identity.Proofs)
			policies += len(st.Identity.MinProofs)
		}
	}
	if kinds[domain.KindProofAdd] < len(convergenceSeeds) || kinds[domain.KindProofRevoke] == 0 || kinds[domain.KindMemberChange] == 0 || policies == 0 {
		t.Errorf("identity in the generated histories: counted kinds %v, %d proofs, %d policies", kinds, valid, policies)
	}
}

// FuzzIdentityBodies: the identity kinds' decoders never panic, and what
// they accept is canonical: it encodes back to the same bytes.
func FuzzIdentityBodies(f *testing.F) {
	kinds := []string{domain.KindProofAdd, domain.KindProofRevoke, domain.KindKeyRotate, domain.KindMemberChange}
	pa := domain.ProofAdd{ProofKind: "ssh", PublicKey: "ssh-ed25519 AAAA", Statement: "s\n", Signature: "sig"}
	for _, b := range []domain.Body{&pa, &domain.ProofRevoke{Proof: domain.ID{1}}, &domain.KeyRotate{New: domaintest.NewTeam(1, 1).Addr(0), Endorsement: pa},
		&domain.MemberChange{Action: domain.ChangePolicy, Role: "triage", MinProofs: 2},
		&domain.MemberChange{Action: domain.ChangeCARemove, Fingerprint: "SHA256:x"}} {
		data, err := domain.EncodeBody(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(slices.Index(kinds, b.Kind())), data)
	}
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		kind := kinds[int(k)%len(kinds)]
		b, err := domain.DecodeBody(kind, data)
		if err != nil {
			return
		}
		again, err := domain.EncodeBody(b)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%s: accepted %q, encodes to %q (%v)", kind, data, again, err)
		}
	})
}

// A lost-key rotation whose endorsing proof is revoked before the quorum
// is reached does not apply.
func TestLostKeyRotationNeedsAStandingProof(t *testing.T) {
	p := newProofTeam(t)
	alice := domaintest.SSHKey("alice")
	pr := do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	prop := do(t, p.Team, 1, &domain.MemberChange{Action: domain.ChangeRotate, Rotation: &domain.Rotation{Member: "alice", Old: p.Addr(0),
		New: p.Addr(3), Endorsement: *p.sshProof(t, 3, alice, epoch, 30*24*time.Hour)}})
	do(t, p.Team, 0, &domain.ProofRevoke{Proof: pr.ID})
	do(t, p.Team, 2, &domain.MemberApprove{Proposal: prop.ID})
	st := p.Fold(nil)
	if rp := st.Roster[prop.ID]; rp.Applied || !strings.Contains(rp.Void, "not a valid proof key of alice") {
		t.Errorf("rotation after its endorsing proof was revoked: %+v", rp)
	}
	if st.Handle(p.Addr(3)) == "alice" {
		t.Error("the new key became alice's")
	}
}

// A thief holding a copy of alice's old key signs another event at the seq
// of her key.rotate. That equivocation used to void the rotation on every
// replica, giving the roster back the stolen key; the rotation now stands,
// and of two rotations at one seq only the first folded applies.
func TestKeyRotationSurvivesAForkAtItsSeq(t *testing.T) {
	for _, thiefRotates := range []bool{false, true} {
		p := newProofTeam(t)
		alice := domaintest.SSHKey("alice")
		do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
		inc := do(t, p.Team, 1, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
		newKey := p.Addr(3)
		rot := do(t, p.Team, 0, &domain.KeyRotate{New: newKey, Endorsement: *p.sshProof(t, 3, alice, epoch, 30*24*time.Hour)})
		var stolen domain.Body = &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved}
		if thiefRotates { // the thief also holds alice's proof key
			stolen = &domain.KeyRotate{New: p.Addr(2), Endorsement: *p.sshProof(t, 2, alice, epoch, 30*24*time.Hour)}
		}
		twin, err := p.Nodes[0].Equivocate(rot, stolen)
		if err != nil {
			t.Fatal(err)
		}
		fresh := do(t, p.Team, 3, &domain.Note{Incident: inc.ID, Text: "from the new key"})
		all := append(append([]*domain.Event(nil), p.Events...), twin)
		forks := map[common.Address]uint64{p.Addr(0): rot.Seq}
		st := domain.Fold(all, forks)
		if !thiefRotates {
			accepted(t, st, rot, fresh)
			rejected(t, st, twin, domain.ErrForked.Error())
			if st.Incidents[inc.ID].Status == domain.StatusResolved {
				t.Errorf("the thief's status change counted")
			}
		}
		r := st.RotatedKey(p.Addr(0))
		if r == nil || (r.New != newKey && !thiefRotates) {
			t.Fatalf("thief rotates %v: rotation %+v", thiefRotates, r)
		}
		if n := len(st.Members["alice"].Keys); n != 1 {
			t.Errorf("thief rotates %v: alice has %d keys: %v", thiefRotates, n, st.Members["alice"].Keys)
		}
		if err := st.MayWrite(p.Addr(0)); err == nil {
			t.Errorf("thief rotates %v: the old key may still write", thiefRotates)
		}
		want := stateHash(t, st)
		rng := rand.New(rand.NewSource(3))
		for i := 0; i < 10; i++ {
			if got := stateHash(t, domain.Fold(shuffled(rng, all), forks)); got != want {
				t.Fatalf("thief rotates %v, order %d: hash differs", thiefRotates, i)
			}
		}
	}
}

// One signed statement is one proof: recorded twice (a peer's replay, or a
// second proof add) it would make two standing proofs of one key, and once
// revoked it cannot count again.
func TestProofStatementRecordedOnce(t *testing.T) {
	p := newProofTeam(t)
	b := p.sshProof(t, 0, domaintest.SSHKey("alice"), epoch, 30*24*time.Hour)
	first := do(t, p.Team, 0, b)
	again := do(t, p.Team, 0, b)
	accepted(t, p.Fold(nil), first)
	rejected(t, p.Fold(nil), again, "already recorded as proof "+first.ID.Short())
	do(t, p.Team, 0, &domain.ProofRevoke{Proof: first.ID})
	back := do(t, p.Team, 0, b)
	st := p.Fold(nil)
	rejected(t, st, back, "revoked: it cannot count again")
	if n := st.ProofCount("alice", epoch.Add(time.Hour).UnixMilli()); n != 1 { // the tminus key alone
		t.Errorf("alice has %d proofs counting, want the key alone", n)
	}
	renewal := do(t, p.Team, 0, p.sshProof(t, 0, domaintest.SSHKey("alice"), epoch.Add(time.Second), 30*24*time.Hour))
	accepted(t, p.Fold(nil), renewal)
}

// An approval's signed time is its signer's to choose. Dated back to when
// an expired proof was valid, it is judged at its proposal's time instead
// and does not count; an approval whose clock lags the proposer's, with
// the proof valid at the proposal, still does.
func TestBackdatedApprovalJudgedAtItsProposal(t *testing.T) {
	p := newProofTeam(t)
	bob, alice := domaintest.SSHKey("bob"), domaintest.SSHKey("alice")
	do(t, p.Team, 0, p.sshProof(t, 0, alice, epoch, 30*24*time.Hour))
	propose := p.gatedStep(t)
	proofAt := p.Clock
	do(t, p.Team, 1, p.sshProof(t, 1, bob, time.UnixMilli(proofAt).UTC(), time.Hour))

	// Two hours on, bob's proof has expired. He dates approvals of a new
	// runbook step and a new roster proposal back into its hour.
	p.Clock += (2 * time.Hour).Milliseconds()
	step := propose()
	roster := do(t, p.Team, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}})
	p.Clock = proofAt + (10 * time.Minute).Milliseconds()
	backStep := do(t, p.Team, 1, &domain.RunbookApprove{Proposal: step.ID})
	backRoster := do(t, p.Team, 1, &domain.MemberApprove{Proposal: roster.ID})
	st := p.Fold(nil)
	rejected(t, st, backStep, "bob's approval does not count: role containment needs 2 proofs")
	rejected(t, st, backRoster, "bob had 1 valid at "+time.UnixMilli(int64(roster.Time)).UTC().Format(time.RFC3339))
	if got := st.Proposals[step.ID].Approvals; len(got) != 0 {
		t.Errorf("the backdated approval counted: %v", got)
	}
	if rp := st.Roster[roster.ID]; rp.Applied {
		t.Errorf("carol removed on a backdated approval")
	}
	// Everyone signing now would be told first.
	if err := st.CheckBody(p.Addr(1), &domain.RunbookApprove{Proposal: step.ID}, proofAt); err == nil ||
		!strings.Contains(err.Error(), "bob's approval would not count") {
		t.Errorf("CheckBody of a backdated approval: %v", err)
	}

	// Within bob's hour: carol proposes, and bob's clock runs five minutes
	// behind hers. Judged at the proposal's time, his proof is valid.
	p.Clock = proofAt + (20 * time.Minute).Milliseconds()
	fresh := propose()
	p.Clock -= (5 * time.Minute).Milliseconds()
	lagging := do(t, p.Team, 1, &domain.RunbookApprove{Proposal: fresh.ID})
	accepted(t, p.Fold(nil), lagging)
	sameHashShuffled(t, p.Events, nil)
}
