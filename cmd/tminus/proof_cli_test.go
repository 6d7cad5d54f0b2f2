package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hiddeco/sshsig"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// writeSSHKey writes name's derived ed25519 key as dir/name (OpenSSH
// private key, encrypted when pass is set) and dir/name.pub.
func writeSSHKey(t *testing.T, dir, name, pass string) string {
	t.Helper()
	priv := domaintest.SSHPrivateKey(name)
	var block *pem.Block
	var err error
	if pass == "" {
		block, err = ssh.MarshalPrivateKey(priv, name)
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, name, []byte(pass))
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, string(pem.EncodeToMemory(block)))
	writeFile(t, path+".pub", domaintest.AuthorizedKey(domaintest.SSHKey(name).PublicKey())+" "+name+"\n")
	return path
}

func writeFile(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type listedProof struct {
	ID, Member, Kind, Fingerprint, Expires, Status string
}

func proofList(t *testing.T, home string, args ...string) []listedProof {
	t.Helper()
	var out []listedProof
	if err := json.Unmarshal([]byte(must(t, home, append([]string{"proof", "list", "--json"}, args...)...)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProofAddSSHKeyFile(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-ed25519", "")
	fp := ssh.FingerprintSHA256(domaintest.SSHKey("alice-ed25519").PublicKey())

	stmt := must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--expires", "720h")
	me := must(t, home, "id", "--json")
	if !strings.HasPrefix(stmt, "tminus identity proof v1\n") || !strings.Contains(stmt, "fingerprint: "+fp) || !strings.Contains(me, strings.TrimPrefix(strings.SplitN(strings.SplitN(stmt, "member: ", 2)[1], "\n", 2)[0], "0x")) {
		t.Errorf("statement:\n%s\nid: %s", stmt, me)
	}

	id := must(t, home, "proof", "add", "ssh", "--key", key)
	ps := proofList(t, home)
	if len(ps) != 1 || ps[0].ID != id || ps[0].Kind != "ssh" || ps[0].Fingerprint != fp || ps[0].Status != "valid" || ps[0].Member != "alice" {
		t.Fatalf("proof list: %+v", ps)
	}
	exp, err := time.Parse(jsonTimeFormat, ps[0].Expires)
	if err != nil || time.Until(exp) < 182*24*time.Hour || time.Until(exp) > 184*24*time.Hour {
		t.Errorf("default expiry %s, want about 183 days: %v", ps[0].Expires, err)
	}
	// The same key again for the same member is a renewal, not a conflict.
	must(t, home, "proof", "add", "ssh", "--key", key, "--expires", "48h")

	var members []struct {
		Handle     string
		ProofCount int `json:"proof_count"`
		RolesMet   map[string]bool
		Proofs     []struct{ ID, Kind, Fingerprint, Expires, Status string }
	}
	if err := json.Unmarshal([]byte(must(t, home, "member", "list", "--json")), &members); err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].ProofCount != 2 || len(members[0].Proofs) != 2 || members[0].Proofs[0].Status != "valid" {
		t.Errorf("member list: %+v", members)
	}
	if out := must(t, home, "member", "list"); !strings.Contains(out, "key+ssh") {
		t.Errorf("member list text: %s", out)
	}

	lines := must(t, home, "member", "allowed-signers")
	pub := domaintest.AuthorizedKey(domaintest.SSHKey("alice-ed25519").PublicKey())
	if !strings.HasPrefix(lines, `alice@acme namespaces="tminus",valid-before="`) || !strings.Contains(lines, pub) {
		t.Errorf("allowed-signers:\n%s", lines)
	}

	// Revoked: stops counting, and cannot be revoked twice.
	must(t, home, "proof", "revoke", id[:8])
	if ps := proofList(t, home, "--member", "alice"); ps[0].Status != "revoked" {
		t.Errorf("after revoke: %+v", ps)
	}
	fails(t, home, "already revoked", "proof", "revoke", id[:8])
	fails(t, home, "not found", "proof", "revoke", "abcdef12")
}

func TestProofAddSSHPassphraseAndAgent(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "locked", "s3cret")
	t.Setenv("SSH_AUTH_SOCK", "")
	os.Unsetenv(SSHPassphraseEnv)
	fails(t, home, "passphrase-protected", "proof", "add", "ssh", "--key", key)
	t.Setenv(SSHPassphraseEnv, "wrong")
	fails(t, home, "locked: wrong passphrase (TMINUS_SSH_PASSPHRASE", "proof", "add", "ssh", "--key", key)
	t.Setenv(SSHPassphraseEnv, "s3cret")
	must(t, home, "proof", "add", "ssh", "--key", key)

	// A key only an ssh-agent holds: its .pub names it.
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: domaintest.SSHPrivateKey("in-agent")}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "ssh-agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	pub := writeFile(t, filepath.Join(dir, "in-agent.pub"), domaintest.AuthorizedKey(domaintest.SSHKey("in-agent").PublicKey())+"\n")
	other := writeFile(t, filepath.Join(dir, "elsewhere.pub"), domaintest.AuthorizedKey(domaintest.SSHKey("elsewhere").PublicKey())+"\n")
	fails(t, home, "no SSH_AUTH_SOCK", "proof", "add", "ssh", "--key", pub)
	t.Setenv("SSH_AUTH_SOCK", sock)
	fails(t, home, "does not hold", "proof", "add", "ssh", "--key", other)
	must(t, home, "proof", "add", "ssh", "--key", pub, "--agent")
	if ps := proofList(t, home); len(ps) != 2 || ps[1].Fingerprint != ssh.FingerprintSHA256(domaintest.SSHKey("in-agent").PublicKey()) {
		t.Errorf("proofs: %+v", ps)
	}
}

// A signature made elsewhere, over the statement proof statement printed;
// and every bad input refused before anything is stored.
func TestProofAddSignedElsewhere(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := domaintest.SSHKey("yubikey")
	pub := writeFile(t, filepath.Join(dir, "sk.pub"), domaintest.AuthorizedKey(key.PublicKey())+"\n")
	stmt := must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", pub) + "\n"
	stFile := writeFile(t, filepath.Join(dir, "statement"), stmt)
	sig, err := proof.SignSSH(key, []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	sigFile := writeFile(t, filepath.Join(dir, "statement.sig"), string(sig))
	add := func(pub, st, sig string) []string {
		return []string{"proof", "add", "ssh", "--public-key", pub, "--statement", st, "--signature", sig}
	}

	forged, _ := proof.SignSSH(domaintest.SSHKey("mallory"), []byte(stmt))
	flipped := []byte(stmt)
	flipped[len(flipped)-3] ^= 1
	other, _ := newWorkspaceNamed(t, "bob-ws")
	otherStmt := must(t, other, "proof", "statement", "--kind", "ssh", "--public-key", pub) + "\n"
	otherSig, _ := proof.SignSSH(key, []byte(otherStmt))
	git, err := sshsig.Sign(strings.NewReader(stmt), key, sshsig.HashSHA512, "git")
	if err != nil {
		t.Fatal(err)
	}
	gitSig := string(sshsig.Armor(git))
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"another key's signature", add(pub, stFile, writeFile(t, filepath.Join(dir, "forged.sig"), string(forged))), "does not verify"},
		{"flipped statement byte", add(pub, writeFile(t, filepath.Join(dir, "flipped"), string(flipped)), sigFile), "proof"},
		{"another workspace's statement", add(pub, writeFile(t, filepath.Join(dir, "other"), otherStmt), writeFile(t, filepath.Join(dir, "other.sig"), string(otherSig))), "another workspace"},
		{"SSHSIG in the git namespace", add(pub, stFile, writeFile(t, filepath.Join(dir, "git.sig"), gitSig)), "namespace"},
		{"oversized signature", add(pub, stFile, writeFile(t, filepath.Join(dir, "big.sig"), strings.Repeat("A", proof.MaxSignature+1))), "over 16384 bytes"},
		{"missing signature", []string{"proof", "add", "ssh", "--public-key", pub, "--statement", stFile}, "needs --public-key, --statement and --signature"},
		{"openpgp without files", []string{"proof", "add", "openpgp", "--key", pub}, "does not hold OpenPGP keys"},
		{"unknown kind", []string{"proof", "add", "x509", "--key", pub}, "want one of ssh, ssh-cert, openpgp"},
	} {
		t.Run(c.name, func(t *testing.T) { fails(t, home, c.want, c.args...) })
	}
	must(t, home, add(pub, stFile, sigFile)...)
	if ps := proofList(t, home); len(ps) != 1 || ps[0].Status != "valid" {
		t.Errorf("proofs: %+v", ps)
	}
}

func newWorkspaceNamed(t *testing.T, name string) (home, incident string) {
	t.Helper()
	home = filepath.Join(t.TempDir(), name)
	must(t, home, "init", "--name", name, "--handle", "bob", "--light-kdf")
	return home, ""
}

func TestProofSSHCertAndTrustedCAs(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-cert", "")
	ca, rogue := domaintest.SSHKey("corp-ca"), domaintest.SSHKey("rogue-ca")
	caFile := writeFile(t, filepath.Join(dir, "ca.pub"), domaintest.AuthorizedKey(ca.PublicKey())+"\n")
	now := time.Now()
	cert := func(name string, signer ssh.Signer, principals []string, from, to time.Time) string {
		c := domaintest.Cert(signer, domaintest.SSHKey("alice-cert").PublicKey(), principals, from, to)
		return writeFile(t, filepath.Join(dir, name), domaintest.AuthorizedKey(c)+"\n")
	}
	good := cert("good-cert.pub", ca, []string{"alice"}, now.Add(-time.Hour), now.Add(24*time.Hour))
	fails(t, home, "does not trust", "proof", "add", "ssh-cert", "--key", key, "--cert", good)
	fails(t, home, "an ssh-cert proof needs --cert", "proof", "add", "ssh-cert", "--key", key)
	fails(t, home, "want the CA's .pub", "member", "ca", "add", key)

	var added struct{ Applied bool }
	if err := json.Unmarshal([]byte(must(t, home, "member", "ca", "add", caFile, "--json")), &added); err != nil || !added.Applied {
		t.Fatalf("ca add: %+v %v", added, err)
	}
	fails(t, home, "already trusted: nothing to add", "member", "ca", "add", caFile)
	fails(t, home, "have the CA issue a certificate naming alice", "proof", "add", "ssh-cert", "--key", key, "--cert", cert("bob-cert.pub", ca, []string{"bob"}, now.Add(-time.Hour), now.Add(time.Hour)))
	fails(t, home, "have the CA issue a new certificate", "proof", "add", "ssh-cert", "--key", key, "--cert", cert("old-cert.pub", ca, []string{"alice"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	fails(t, home, "does not trust", "proof", "add", "ssh-cert", "--key", key, "--cert", cert("rogue-cert.pub", rogue, []string{"alice"}, now.Add(-time.Hour), now.Add(time.Hour)))
	fails(t, home, "certifies", "proof", "add", "ssh-cert", "--key", writeSSHKey(t, dir, "other", ""), "--cert", good)
	must(t, home, "proof", "add", "ssh-cert", "--key", key, "--cert", good)
	ps := proofList(t, home)
	if len(ps) != 1 || ps[0].Kind != "ssh-cert" || ps[0].Status != "valid" {
		t.Fatalf("proofs: %+v", ps)
	}
	signers := must(t, home, "member", "allowed-signers")
	if !strings.Contains(signers, `alice cert-authority,namespaces="tminus" `+domaintest.AuthorizedKey(ca.PublicKey())) || !strings.Contains(signers, "alice@acme ") {
		t.Errorf("allowed-signers:\n%s", signers)
	}
	if out := must(t, home, "member", "list"); !strings.Contains(out, ssh.FingerprintSHA256(ca.PublicKey())) {
		t.Errorf("member list names no trusted CA:\n%s", out)
	}
	// Removed from the roster: its certificates stop counting.
	must(t, home, "member", "ca", "remove", ssh.FingerprintSHA256(ca.PublicKey()))
	if ps := proofList(t, home); ps[0].Status != "untrusted-ca" {
		t.Errorf("after the CA's removal: %+v", ps)
	}
	fails(t, home, "is not trusted", "member", "ca", "remove", ssh.FingerprintSHA256(ca.PublicKey()))
}

func TestMemberPolicy(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-policy", "")
	// Alone and without a proof, alice would lock the roster.
	fails(t, home, "would leave 0 members whose approvals count", "member", "policy", "--role", "reporter", "--min-proofs", "2")
	fails(t, home, "want 0 to 4", "member", "policy", "--role", "reporter", "--min-proofs", "7")
	fails(t, home, "--role \"janitor\"", "member", "policy", "--role", "janitor", "--min-proofs", "2")
	must(t, home, "proof", "add", "ssh", "--key", key)
	must(t, home, "member", "policy", "--role", "reporter", "--min-proofs", "2")
	var members []struct {
		RolesMet  map[string]bool `json:"roles_met"`
		MinProofs map[string]int  `json:"min_proofs"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "member", "list", "--json")), &members); err != nil {
		t.Fatal(err)
	}
	if !members[0].RolesMet["reporter"] || members[0].MinProofs["reporter"] != 2 {
		t.Errorf("member list: %+v", members)
	}
	if out := must(t, home, "member", "list"); !strings.Contains(out, "reporter 2") {
		t.Errorf("member list text shows no policy:\n%s", out)
	}
}

// Two members in one workspace, by bundles: bob cannot bind alice's key.
func TestProofKeyBoundToAnotherMember(t *testing.T) {
	alice, _ := newWorkspace(t)
	dir := t.TempDir()
	bob := filepath.Join(dir, "bob")
	var joined struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "join", "--handle", "bob", "--light-kdf", "--json")), &joined); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "member", "add", joined.Address, "--handle", "bob", "--role", "triage")
	key := writeSSHKey(t, dir, "shared", "")
	must(t, alice, "proof", "add", "ssh", "--key", key)
	bundle := filepath.Join(dir, "bundle.jsonl")
	must(t, alice, "bundle", "export", bundle)
	must(t, bob, "bundle", "import", bundle)
	fails(t, bob, "already bound to alice: one proof key proves one member; prove another key", "proof", "add", "ssh", "--key", key)
}

func TestKeyRotate(t *testing.T) {
	home, inc := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-rot", "")
	stranger := writeSSHKey(t, dir, "stranger", "")
	old := idAddress(t, home)

	fails(t, home, "not a valid proof key of alice", "key", "rotate", "--key", key, "--light-kdf")
	must(t, home, "proof", "add", "ssh", "--key", key)
	fails(t, home, "not a valid proof key of alice", "key", "rotate", "--key", stranger, "--light-kdf")
	fails(t, home, "endorse the new key", "key", "rotate", "--light-kdf")
	fails(t, home, "--print-statement needs --kind and --public-key", "key", "rotate", "--print-statement")

	// A serve or cockpit writing this home (its node socket answers).
	node, err := net.Listen("unix", filepath.Join(home, "node.sock"))
	if err != nil {
		t.Fatal(err)
	}
	fails(t, home, "a tminus serve or cockpit writes this home", "key", "rotate", "--key", key, "--light-kdf")
	node.Close()
	// An agent holding the old key: stop it first.
	ag := startAgentWith(t, binary(t), home, "correct horse")
	fails(t, home, "tminus agent stop", "key", "rotate", "--key", key, "--light-kdf")
	must(t, home, "agent", "stop")
	<-ag.done

	out, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf", "--json")
	if code != 0 {
		t.Fatalf("key rotate: %s", errs)
	}
	var rotated struct{ Address, Old, Event string }
	if err := json.Unmarshal([]byte(out), &rotated); err != nil || rotated.Old != old || rotated.Address == old {
		t.Fatalf("key rotate printed %s (%v)", out, err)
	}
	if !strings.Contains(errs, "Start tminus agent or serve again") {
		t.Errorf("key rotate said: %s", errs)
	}
	if got := idAddress(t, home); got != rotated.Address {
		t.Errorf("id after rotation: %s, want %s", got, rotated.Address)
	}
	// The new key writes as alice; the old key's own chain is closed.
	must(t, home, "note", inc[:8], "signed by the new key")
	if out := must(t, home, "verify"); !strings.Contains(out, "OK") {
		t.Errorf("verify: %s", out)
	}
	var shown struct{ Notes []struct{ By string } }
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &shown); err != nil || len(shown.Notes) != 1 || shown.Notes[0].By != "alice" {
		t.Errorf("note by the new key: %+v %v", shown, err)
	}
	if _, err := os.Stat(filepath.Join(home, "key."+old+".retired.json")); err != nil {
		t.Errorf("old keystore not kept: %v", err)
	}
}

func idAddress(t *testing.T, home string) string {
	t.Helper()
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, home, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	return id.Address
}

// A proof key tminus cannot use (gpg, a security key elsewhere) endorses a
// rotation through the statement --print-statement prints.
func TestKeyRotateSignedElsewhere(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-far", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	stmt := must(t, home, "key", "rotate", "--print-statement", "--kind", "ssh", "--public-key", key+".pub", "--light-kdf") + "\n"
	again := must(t, home, "key", "rotate", "--print-statement", "--kind", "ssh", "--public-key", key+".pub") + "\n"
	if member := strings.SplitN(stmt, "member: ", 2)[1][:42]; !strings.Contains(again, member) || member == idAddress(t, home) {
		t.Fatalf("the pending key changed or is the old one:\n%s\n%s", stmt, again)
	}
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-far"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	stFile := writeFile(t, filepath.Join(dir, "rot"), stmt)
	sigFile := writeFile(t, filepath.Join(dir, "rot.sig"), string(sig))
	// A proof statement naming the old key does not endorse a new one.
	oldStmt := must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub") + "\n"
	oldSig, _ := proof.SignSSH(domaintest.SSHKey("alice-far"), []byte(oldStmt))
	fails(t, home, "statement names key", "key", "rotate", "--kind", "ssh", "--public-key", key+".pub", "--statement",
		writeFile(t, filepath.Join(dir, "proof"), oldStmt), "--signature", writeFile(t, filepath.Join(dir, "proof.sig"), string(oldSig)))
	addr := must(t, home, "key", "rotate", "--kind", "ssh", "--public-key", key+".pub", "--statement", stFile, "--signature", sigFile)
	if !strings.Contains(stmt, "member: "+addr) {
		t.Errorf("rotated to %s, the statement named\n%s", addr, stmt)
	}
}

// A member who lost their key: another member proposes the rotation, the
// lost member's proof key endorses it, the roster quorum applies it.
func TestMemberRotateLostKey(t *testing.T) {
	alice, inc := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-lost", "")
	must(t, alice, "proof", "add", "ssh", "--key", key)
	// alice's laptop is gone; her new home has a new key.
	fresh := filepath.Join(dir, "alice-new")
	var joined struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, fresh, "join", "--handle", "alice", "--light-kdf", "--json")), &joined); err != nil {
		t.Fatal(err)
	}
	// Any member's home prints the statement naming the new key (here the
	// old home stands in for a teammate's).
	stmt := must(t, alice, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--member", joined.Address) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-lost"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	stFile, sigFile := writeFile(t, filepath.Join(dir, "st"), stmt), writeFile(t, filepath.Join(dir, "st.sig"), string(sig))
	// mallory's key, a stranger's, cannot vouch for alice.
	mPub := writeFile(t, filepath.Join(dir, "m.pub"), domaintest.AuthorizedKey(domaintest.SSHKey("mallory").PublicKey()))
	mStmt := must(t, alice, "proof", "statement", "--kind", "ssh", "--public-key", mPub, "--member", joined.Address) + "\n"
	forged, _ := proof.SignSSH(domaintest.SSHKey("mallory"), []byte(mStmt))
	fails(t, alice, "not a valid proof key of alice", "member", "rotate", "alice", "--to", joined.Address, "--kind", "ssh",
		"--public-key", mPub, "--statement", writeFile(t, filepath.Join(dir, "m.st"), mStmt),
		"--signature", writeFile(t, filepath.Join(dir, "forged.sig"), string(forged)))
	out := must(t, alice, "member", "rotate", "alice", "--to", joined.Address, "--kind", "ssh", "--public-key", key+".pub",
		"--statement", stFile, "--signature", sigFile, "--json")
	var res struct{ Applied bool }
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Applied {
		t.Fatalf("member rotate: %s", out)
	}
	// The old home refuses to sign, plain appends and checked commands alike
	// (what it signed before it heard: TestRotatedOutKeyRefusesPlainWrites).
	fails(t, alice, "is alice's old key, replaced by "+joined.Address, "note", inc[:8], "from the lost laptop")
	fails(t, alice, "is alice's old key, replaced by "+joined.Address, "incident", "assign", inc[:8], "triage", "alice")
}

// checkIdentityJSON runs every identity command with --json through check
// (TestJSONTimes): proofs, CAs, the policy, both rotations. bob approves
// what needs the roster quorum of two.
func checkIdentityJSON(t *testing.T, w *cockpitWorkspace, check func(args ...string) any) {
	t.Helper()
	dir := t.TempDir()
	key, spare := writeSSHKey(t, dir, "json-alice", ""), writeSSHKey(t, dir, "json-spare", "")
	approve := func(v any) {
		t.Helper()
		id, err := domain.ParseID(v.(map[string]any)["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.Append(context.Background(), w.bob, &domain.MemberApprove{Proposal: id}); err != nil {
			t.Fatal(err)
		}
	}
	added := check("proof", "add", "ssh", "--key", key)
	if exp, _ := added.(map[string]any)["expires"].(string); exp == "" {
		t.Errorf("proof add --json: %v", added)
	}
	spareID := check("proof", "add", "ssh", "--key", spare).(map[string]any)["id"].(string)
	check("proof", "revoke", spareID[:10])
	if ps := check("proof", "list").([]any); len(ps) != 2 {
		t.Errorf("proof list --json: %v", ps)
	}
	ca := domaintest.SSHKey("json-ca")
	approve(check("member", "ca", "add", writeFile(t, filepath.Join(dir, "ca.pub"), domaintest.AuthorizedKey(ca.PublicKey()))))
	check("member", "ca", "remove", ssh.FingerprintSHA256(ca.PublicKey()))
	check("member", "policy", "--role", "comms", "--min-proofs", "2")
	next, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := crypto.PubkeyToAddress(next.PublicKey).Hex()
	stmt := must(t, w.home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--member", to) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("json-alice"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	check("member", "rotate", "alice", "--to", to, "--kind", "ssh", "--public-key", key+".pub",
		"--statement", writeFile(t, filepath.Join(dir, "st"), stmt), "--signature", writeFile(t, filepath.Join(dir, "st.sig"), string(sig)))
	check("key", "rotate", "--key", key, "--light-kdf")
}

// gpg writes binary keys and signatures unless told --armor: tminus armors
// them before it stores them, so bodies stay text.
func TestProofAddOpenPGPBinary(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	cfg := &packet.Config{Time: func() time.Time { return time.Now().Add(-time.Hour) }, Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("Alice", "", "alice@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var key bytes.Buffer
	if err := e.Serialize(&key); err != nil {
		t.Fatal(err)
	}
	pub := writeFile(t, filepath.Join(dir, "alice.gpg"), key.String())
	stmt := must(t, home, "proof", "statement", "--kind", "openpgp", "--public-key", pub) + "\n"
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, e, strings.NewReader(stmt), nil); err != nil {
		t.Fatal(err)
	}
	st, sg := writeFile(t, filepath.Join(dir, "st"), stmt), writeFile(t, filepath.Join(dir, "st.sig"), sig.String())
	fails(t, home, "proof", "proof", "add", "openpgp", "--public-key", pub, "--statement", st, "--signature",
		writeFile(t, filepath.Join(dir, "bad.sig"), sig.String()[:sig.Len()-4]+"xxxx"))
	id := must(t, home, "proof", "add", "openpgp", "--public-key", pub, "--statement", st, "--signature", sg)
	ps := proofList(t, home)
	if len(ps) != 1 || ps[0].ID != id || ps[0].Kind != "openpgp" || ps[0].Status != "valid" || len(ps[0].Fingerprint) != 40 {
		t.Fatalf("proofs: %+v", ps)
	}
	if log := must(t, home, "log", "--json"); !strings.Contains(log, `-----BEGIN PGP SIGNATURE-----`) || !strings.Contains(log, `-----BEGIN PGP PUBLIC KEY BLOCK-----`) {
		t.Errorf("the stored proof is not armored")
	}
}
