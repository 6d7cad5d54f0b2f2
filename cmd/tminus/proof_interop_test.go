package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The interop scenarios end to end through the CLI, with the real tools:
// ssh-keygen (openssh-client) and gpg (gnupg). CI installs both (.ci/run); a machine
// without one skips the tests that need it, saying which.

func needInteropTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install %s); this interop test runs the real tool", name, pkg)
	}
}

// tool runs a real tool with env added and stdin; it fails the test if the tool does.
func tool(t *testing.T, env []string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := tryTool(env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func tryTool(env []string, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// sshKeygenKey makes a key with ssh-keygen -N ” and returns its path.
func sshKeygenKey(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	tool(t, nil, nil, "ssh-keygen", append([]string{"-q", "-N", "", "-C", name, "-f", path}, args...)...)
	return path
}

// statementFile is what `proof statement` prints, exact bytes (must trims the newline).
func statementFile(t *testing.T, home, dir, kind, pub string) string {
	t.Helper()
	st := must(t, home, "proof", "statement", "--kind", kind, "--public-key", pub) + "\n"
	return writeFile(t, filepath.Join(dir, kind+".statement"), st)
}

// recordedProof is the proof.add body of the newest proof event in home's log.
func recordedProof(t *testing.T, home string) (statement, signature string) {
	t.Helper()
	var body struct{ Statement, Signature string }
	sc := bufio.NewScanner(strings.NewReader(must(t, home, "log", "--json")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Kind string          `json:"kind"`
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == "proof.add" {
			if err := json.Unmarshal(e.Body, &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if body.Statement == "" {
		t.Fatal("no proof.add in the log")
	}
	return body.Statement, body.Signature
}

// verifies runs ssh-keygen -Y verify over msg against an allowed_signers file.
func verifies(signers, principal, sigFile string, msg []byte) ([]byte, error) {
	return tryTool(nil, msg, "ssh-keygen", "-Y", "verify", "-f", signers, "-I", principal, "-n", "tminus", "-s", sigFile)
}

// `proof add ssh --key` with a key from ssh-keygen, then `member allowed-signers`:
// ssh-keygen -Y verify accepts the recorded statement's signature for alice@acme,
// and for nobody else.
func TestInteropProofAddThenSSHKeygenVerify(t *testing.T) {
	needInteropTool(t, "ssh-keygen", "openssh-client")
	for _, kt := range []struct{ name, args string }{{"ed25519", "-t ed25519"}, {"ecdsa", "-t ecdsa"}, {"rsa", "-t rsa -b 3072"}} {
		t.Run(kt.name, func(t *testing.T) {
			home, _ := newWorkspace(t)
			dir := t.TempDir()
			key := sshKeygenKey(t, dir, "id_"+kt.name, strings.Fields(kt.args)...)
			must(t, home, "proof", "add", "ssh", "--key", key)
			st, sig := recordedProof(t, home)
			sigFile := writeFile(t, filepath.Join(dir, "statement.sig"), sig)
			signers := writeFile(t, filepath.Join(dir, "allowed_signers"), must(t, home, "member", "allowed-signers")+"\n")
			if out, err := verifies(signers, "alice@acme", sigFile, []byte(st)); err != nil {
				t.Fatalf("ssh-keygen -Y verify refused the recorded proof: %v\n%s\nallowed_signers:\n%s", err, out, readText(t, signers))
			}
			if out, err := verifies(signers, "bob@acme", sigFile, []byte(st)); err == nil {
				t.Fatalf("ssh-keygen accepted alice's signature for bob: %s", out)
			}
			// And a signature ssh-keygen makes later with the same key, e.g. on a commit.
			msg := writeFile(t, filepath.Join(dir, "commit"), "tree 4b825dc6\n\nrunbook: pause the bridge\n")
			tool(t, nil, nil, "ssh-keygen", "-Y", "sign", "-f", key, "-n", "tminus", msg)
			if out, err := verifies(signers, "alice@acme", msg+".sig", []byte(readText(t, msg))); err != nil {
				t.Fatalf("ssh-keygen -Y verify refused a later signature: %v\n%s", err, out)
			}
		})
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A signature made by `ssh-keygen -Y sign -n tminus` over `proof statement`'s output
// is accepted by `proof add ssh --public-key --statement --signature`; one under
// another namespace, or by another key, is refused and nothing is stored.
func TestInteropSSHKeygenSignatureRecorded(t *testing.T) {
	needInteropTool(t, "ssh-keygen", "openssh-client")
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := sshKeygenKey(t, dir, "id_ed25519", "-t", "ed25519")
	other := sshKeygenKey(t, dir, "other", "-t", "ed25519")
	st := statementFile(t, home, dir, "ssh", key+".pub")
	add := func(sig string) []string {
		return []string{"proof", "add", "ssh", "--public-key", key + ".pub", "--statement", st, "--signature", sig}
	}
	sign := func(k, ns, out string) string {
		tool(t, nil, nil, "ssh-keygen", "-Y", "sign", "-f", k, "-n", ns, st)
		if err := os.Rename(st+".sig", out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fails(t, home, "namespace", add(sign(key, "git", filepath.Join(dir, "git.sig")))...)
	fails(t, home, "another key", add(sign(other, "tminus", filepath.Join(dir, "other.sig")))...)
	must(t, home, add(sign(key, "tminus", filepath.Join(dir, "good.sig")))...)
	ps := proofList(t, home)
	if len(ps) != 1 || ps[0].Kind != "ssh" || ps[0].Status != "valid" {
		t.Fatalf("proof list: %+v", ps)
	}
	if fp := string(tool(t, nil, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub")); !strings.Contains(fp, ps[0].Fingerprint) {
		t.Fatalf("fingerprint %s is not ssh-keygen's %s", ps[0].Fingerprint, fp)
	}
}

// memberProofCount is alice's proof_count in member list --json.
func memberProofCount(t *testing.T, home string) int {
	t.Helper()
	var ms []struct {
		Handle     string `json:"handle"`
		ProofCount int    `json:"proof_count"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "member", "list", "--json")), &ms); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Handle == "alice" {
			return m.ProofCount
		}
	}
	t.Fatal("alice not in member list")
	return 0
}

// A certificate from `ssh-keygen -s CA -I alice -n alice -V +52w` counts only while
// its CA is trusted: refused before `member ca add`, valid after, and back to not
// counting after `member ca remove`.
func TestInteropSSHCertCountsWhileCATrusted(t *testing.T) {
	needInteropTool(t, "ssh-keygen", "openssh-client")
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	ca := sshKeygenKey(t, dir, "ca", "-t", "ed25519")
	key := sshKeygenKey(t, dir, "id_alice", "-t", "ecdsa")
	tool(t, nil, nil, "ssh-keygen", "-q", "-s", ca, "-I", "alice", "-n", "alice", "-V", "+52w", key+".pub")
	cert := key + "-cert.pub"

	fails(t, home, "does not trust", "proof", "add", "ssh-cert", "--key", key, "--cert", cert)
	must(t, home, "member", "ca", "add", ca+".pub")
	// A certificate for another principal from the trusted CA is still refused.
	bobKey := sshKeygenKey(t, dir, "id_bob", "-t", "ed25519")
	tool(t, nil, nil, "ssh-keygen", "-q", "-s", ca, "-I", "bob", "-n", "bob", "-V", "+52w", bobKey+".pub")
	fails(t, home, "principals", "proof", "add", "ssh-cert", "--key", bobKey, "--cert", bobKey+"-cert.pub")

	must(t, home, "proof", "add", "ssh-cert", "--key", key, "--cert", cert)
	if n := memberProofCount(t, home); n != 2 {
		t.Fatalf("proof_count %d with the CA trusted, want 2", n)
	}
	// ssh-keygen checks a signature made through the certificate against the
	// exported cert-authority line.
	msg := writeFile(t, filepath.Join(dir, "msg"), "hello\n")
	tool(t, nil, nil, "ssh-keygen", "-Y", "sign", "-f", cert, "-n", "tminus", msg)
	signers := writeFile(t, filepath.Join(dir, "allowed_signers"), must(t, home, "member", "allowed-signers")+"\n")
	if out, err := verifies(signers, "alice", msg+".sig", []byte("hello\n")); err != nil {
		t.Fatalf("ssh-keygen refused the exported cert-authority line: %v\n%s\n%s", err, out, readText(t, signers))
	}

	caFP := strings.Fields(string(tool(t, nil, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", ca+".pub")))[1]
	must(t, home, "member", "ca", "remove", caFP)
	if n := memberProofCount(t, home); n != 1 {
		t.Fatalf("proof_count %d after the CA was removed, want 1", n)
	}
	if ps := proofList(t, home); len(ps) != 1 || ps[0].Status != "untrusted-ca" {
		t.Fatalf("proof list after ca remove: %+v", ps)
	}
}

// gpgEnv is a throwaway GNUPGHOME (a short path: gpg-agent's socket lives there); its
// agent is stopped when the test ends.
func gpgEnv(t *testing.T) []string {
	t.Helper()
	needInteropTool(t, "gpg", "gnupg")
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GNUPGHOME=" + home}
	t.Cleanup(func() {
		tryTool(env, nil, "gpgconf", "--kill", "gpg-agent")
		os.RemoveAll(home)
	})
	return env
}

// A key from `gpg --quick-gen-key` and a detached signature from `gpg --detach-sign`
// over `proof statement`'s output: recorded; a signature by another gpg key refused.
func TestInteropGPGProof(t *testing.T) {
	env := gpgEnv(t)
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	gen := func(uid string) string {
		tool(t, env, nil, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "future-default", "default", "1y")
		return writeFile(t, filepath.Join(dir, strings.Fields(uid)[0]+".asc"), string(tool(t, env, nil, "gpg", "--armor", "--export", uid)))
	}
	pub := gen("Alice <alice@example.org>")
	gen("Mallory <mallory@example.org>")
	st := statementFile(t, home, dir, "openpgp", pub)
	sign := func(uid, out string) string {
		tool(t, env, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", uid,
			"--detach-sign", "--armor", "-o", out, st)
		return out
	}
	add := func(sig string) []string {
		return []string{"proof", "add", "openpgp", "--public-key", pub, "--statement", st, "--signature", sig}
	}
	fails(t, home, "not signed by", add(sign("mallory@example.org", filepath.Join(dir, "mallory.sig")))...)
	must(t, home, add(sign("alice@example.org", filepath.Join(dir, "alice.sig")))...)
	ps := proofList(t, home)
	if len(ps) != 1 || ps[0].Kind != "openpgp" || ps[0].Status != "valid" {
		t.Fatalf("proof list: %+v", ps)
	}
	colons := string(tool(t, env, nil, "gpg", "--with-colons", "--fingerprint", "alice@example.org"))
	if !strings.Contains(colons, ":"+ps[0].Fingerprint+":") {
		t.Fatalf("fingerprint %s is not gpg's:\n%s", ps[0].Fingerprint, colons)
	}
}
