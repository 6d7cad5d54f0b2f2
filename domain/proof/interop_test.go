package proof

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// These tests run the real tools: ssh-keygen (openssh-client) and gpg
// (gnupg). CI installs both (.ci/run); a machine without one skips its tests.

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install %s); this real-tool interop test needs it", name,
			map[string]string{"ssh-keygen": "openssh-client", "gpg": "gnupg"}[name])
	}
}

// run runs a tool in dir with env added; it fails the test when the tool does.
func run(t *testing.T, dir string, env []string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := tryRun(dir, env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func tryRun(dir string, env []string, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nowStatement is a statement issued now (the real tools judge at the wall
// clock), for kind and key.
func nowStatement(t *testing.T, kind string, key []byte) []byte {
	t.Helper()
	s := statementFor(t, kind, key)
	s.IssuedAt = time.Now().UTC().Truncate(time.Second)
	s.Expires = s.IssuedAt.Add(DefaultValidity)
	return s.Marshal()
}

// sshKeygen makes a key with ssh-keygen in dir and returns its path.
func sshKeygen(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	run(t, dir, nil, nil, "ssh-keygen", append([]string{"-q", "-N", "", "-C", name, "-f", path}, args...)...)
	return path
}

var interopKeyTypes = []struct {
	name string
	args []string
	alg  string
}{
	{"ed25519", []string{"-t", "ed25519"}, ssh.KeyAlgoED25519},
	{"ecdsa", []string{"-t", "ecdsa", "-b", "384"}, ssh.KeyAlgoECDSA384},
	{"rsa", []string{"-t", "rsa", "-b", "2048"}, ssh.KeyAlgoRSASHA512},
}

// eachInteropKey runs f as a subtest per key type, on a fresh ssh-keygen key
// in its own directory: key is the private key's path, pub the public key
// line, alg the signature algorithm Check should report.
func eachInteropKey(t *testing.T, f func(t *testing.T, alg, dir, key string, pub []byte)) {
	needTool(t, "ssh-keygen")
	for _, kt := range interopKeyTypes {
		t.Run(kt.name, func(t *testing.T) {
			dir := t.TempDir()
			key := sshKeygen(t, dir, "id_"+kt.name, kt.args...)
			f(t, kt.alg, dir, key, readFile(t, key+".pub"))
		})
	}
}

// A signature from `ssh-keygen -Y sign -n tminus` is accepted by Check.
func TestInteropSSHKeygenSignAccepted(t *testing.T) {
	eachInteropKey(t, func(t *testing.T, alg, dir, key string, pub []byte) {
		fp, err := Fingerprint(KindSSH, pub)
		if err != nil {
			t.Fatal(err)
		}
		if out := run(t, dir, nil, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub"); !bytes.Contains(out, []byte(fp)) {
			t.Fatalf("our fingerprint %s is not ssh-keygen's: %s", fp, out)
		}
		st := nowStatement(t, KindSSH, pub)
		stPath := filepath.Join(dir, "statement")
		os.WriteFile(stPath, st, 0o600)
		run(t, dir, nil, nil, "ssh-keygen", "-Y", "sign", "-f", key, "-n", Namespace, stPath)
		p := Proof{Kind: KindSSH, PublicKey: pub, Statement: st, Signature: readFile(t, stPath+".sig")}
		c, err := Check(p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.Algorithm != alg {
			t.Fatalf("algorithm %s, want %s", c.Algorithm, alg)
		}
		// ssh-keygen's signature under another namespace is refused.
		os.Remove(stPath + ".sig")
		run(t, dir, nil, nil, "ssh-keygen", "-Y", "sign", "-f", key, "-n", "git", stPath)
		p.Signature = readFile(t, stPath+".sig")
		_, err = Check(p, time.Now())
		wantErr(t, err, ErrNamespace)
	})
}

// SignSSH's output, with AllowedSigner's line, is accepted by
// `ssh-keygen -Y verify`, and valid-before is honoured.
func TestInteropSSHKeygenVerifiesSignSSH(t *testing.T) {
	eachInteropKey(t, func(t *testing.T, _, dir, key string, pub []byte) {
		signer, err := ssh.ParsePrivateKey(readFile(t, key))
		if err != nil {
			t.Fatal(err)
		}
		st := nowStatement(t, KindSSH, pub)
		sig, err := SignSSH(signer, st)
		if err != nil {
			t.Fatal(err)
		}
		sigPath := filepath.Join(dir, "statement.sig")
		os.WriteFile(sigPath, sig, 0o600)
		verify := func(validBefore time.Time) ([]byte, error) {
			line, err := AllowedSigner("alice@ws1", pub, validBefore)
			if err != nil {
				t.Fatal(err)
			}
			signers := filepath.Join(dir, "allowed_signers")
			os.WriteFile(signers, []byte(line+"\n"), 0o600)
			return tryRun(dir, nil, st, "ssh-keygen", "-Y", "verify", "-f", signers, "-I", "alice@ws1", "-n", Namespace, "-s", sigPath)
		}
		if out, err := verify(time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("ssh-keygen -Y verify refused SignSSH's signature: %v\n%s", err, out)
		}
		if out, err := verify(time.Time{}); err != nil {
			t.Fatalf("without valid-before: %v\n%s", err, out)
		}
		if out, err := verify(time.Now().Add(-time.Hour)); err == nil {
			t.Fatalf("ssh-keygen accepted a key past its valid-before: %s", out)
		}
	})
}

// A certificate from `ssh-keygen -s CA -I alice -n alice -V +52w`: Check
// accepts a proof signed by the certified key (plain or through the
// certificate) and reports the CA, principals and window; AllowedCA's line
// lets ssh-keygen verify a signature made through the certificate.
func TestInteropSSHCertificate(t *testing.T) {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	ca := sshKeygen(t, dir, "ca", "-t", "ed25519")
	user := sshKeygen(t, dir, "user", "-t", "ecdsa")
	run(t, dir, nil, nil, "ssh-keygen", "-q", "-s", ca, "-I", "alice", "-n", "alice", "-V", "+52w", user+".pub")
	certLine := readFile(t, user+"-cert.pub")
	caPub := readFile(t, ca+".pub")
	caFP, _ := Fingerprint(KindSSH, caPub)
	st := nowStatement(t, KindSSHCert, certLine)
	stPath := filepath.Join(dir, "statement")
	os.WriteFile(stPath, st, 0o600)
	now := time.Now()

	for _, signWith := range []string{user, user + "-cert.pub"} {
		os.Remove(stPath + ".sig")
		run(t, dir, nil, nil, "ssh-keygen", "-Y", "sign", "-f", signWith, "-n", Namespace, stPath)
		c, err := Check(Proof{Kind: KindSSHCert, PublicKey: certLine, Statement: st, Signature: readFile(t, stPath+".sig")}, now)
		if err != nil {
			t.Fatalf("signed with -f %s: %v", filepath.Base(signWith), err)
		}
		if c.CA != caFP || !slices.Equal(c.Principals, []string{"alice"}) {
			t.Fatalf("checked %+v", c)
		}
		if d := c.ValidBefore.Sub(now); d < 51*7*24*time.Hour || d > 53*7*24*time.Hour {
			t.Fatalf("valid before %s, want about 52 weeks from now", c.ValidBefore)
		}
		wantErr(t, c.ValidAt(now), nil)
	}

	// The signature made through the certificate verifies against a
	// cert-authority line, and not for a principal the certificate lacks.
	line, err := AllowedCA("alice", caPub)
	if err != nil {
		t.Fatal(err)
	}
	signers := filepath.Join(dir, "allowed_signers")
	os.WriteFile(signers, []byte(line+"\n"), 0o600)
	if out, err := tryRun(dir, nil, st, "ssh-keygen", "-Y", "verify", "-f", signers, "-I", "alice", "-n", Namespace, "-s", stPath+".sig"); err != nil {
		t.Fatalf("ssh-keygen refused the cert-authority line: %v\n%s", err, out)
	}
	line, _ = AllowedCA("mallory", caPub)
	os.WriteFile(signers, []byte(line+"\n"), 0o600)
	if out, err := tryRun(dir, nil, st, "ssh-keygen", "-Y", "verify", "-f", signers, "-I", "mallory", "-n", Namespace, "-s", stPath+".sig"); err == nil {
		t.Fatalf("ssh-keygen accepted a certificate for another principal: %s", out)
	}

	// An ssh-keygen host certificate is refused.
	host := sshKeygen(t, dir, "host", "-t", "ed25519")
	run(t, dir, nil, nil, "ssh-keygen", "-q", "-s", ca, "-h", "-I", "host", "-n", "host.example", host+".pub")
	hostCert := readFile(t, host+"-cert.pub")
	_, err = Fingerprint(KindSSHCert, hostCert)
	wantErr(t, err, nil)
	p := Proof{Kind: KindSSHCert, PublicKey: hostCert, Statement: nowStatement(t, KindSSHCert, hostCert)}
	hostSigner, _ := ssh.ParsePrivateKey(readFile(t, host))
	p.Signature, _ = SignSSH(hostSigner, p.Statement)
	_, err = Check(p, now)
	wantErr(t, err, ErrUnsupported)
}

// ssh-keygen agrees with the security-key vectors: the good ones verify,
// the one made for another application does not.
func TestInteropSKVectors(t *testing.T) {
	needTool(t, "ssh-keygen")
	for _, name := range []string{"ed25519", "ecdsa"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "sk", name)
			key := readFile(t, filepath.Join(dir, "key.pub"))
			st := readFile(t, filepath.Join(dir, "statement"))
			line, err := AllowedSigner("alice@ws1", key, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			signers := filepath.Join(t.TempDir(), "allowed_signers")
			os.WriteFile(signers, []byte(line+"\n"), 0o600)
			for _, v := range skVectorFiles {
				sig, _ := filepath.Abs(filepath.Join(dir, v.file))
				out, err := tryRun(dir, nil, st, "ssh-keygen", "-Y", "verify", "-f", signers, "-I", "alice@ws1", "-n", Namespace, "-s", sig)
				// OpenSSH 9.2's -Y verify does not insist on the touch;
				// tminus does (TestSKVectors). The signature itself must agree.
				if wantGood := v.want != ErrSignature; wantGood != (err == nil) {
					t.Errorf("%s: ssh-keygen says %v, want good=%v\n%s", v.file, err, wantGood, out)
				}
			}
		})
	}
}

// gpgHome is a throwaway GNUPGHOME; its agent is stopped when the test ends.
func gpgHome(t *testing.T) []string {
	t.Helper()
	needTool(t, "gpg")
	// A short path: gpg-agent's socket lives in it and sockets have a length limit.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	env := []string{"GNUPGHOME=" + home}
	t.Cleanup(func() {
		tryRun(home, env, nil, "gpgconf", "--kill", "gpg-agent")
		os.RemoveAll(home)
	})
	return env
}

// gpgKey makes a key with gpg --quick-gen-key (and a signing subkey) and
// returns its fingerprint and armored public key. made and added are gpg's
// --faked-system-time for the two steps ("" for the clock; a "!" suffix
// freezes it, so a loaded machine does not move it on); they differ,
// since gpg refuses a subkey dated before its primary.
func gpgKey(t *testing.T, env []string, uid, expire, made, added string) (string, []byte) {
	t.Helper()
	at := func(fake string) []string {
		if fake == "" {
			return nil
		}
		return []string{"--faked-system-time", fake}
	}
	args := append(append([]string{"--batch", "--passphrase", ""}, at(made)...), "--quick-gen-key", uid, "future-default", "default", expire)
	run(t, "", env, nil, "gpg", args...)
	out := run(t, "", env, nil, "gpg", "--with-colons", "--list-keys", uid)
	var fpr string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
			break
		}
	}
	args = append(append([]string{"--batch", "--passphrase", ""}, at(added)...), "--quick-add-key", fpr, "ed25519", "sign", expire)
	run(t, "", env, nil, "gpg", args...)
	return fpr, run(t, "", env, nil, "gpg", "--armor", "--export", uid)
}

// gpgSign makes a detached signature over msg with gpg --detach-sign.
func gpgSign(t *testing.T, env []string, msg []byte, armor bool, fake ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "statement"), filepath.Join(dir, "statement.sig")
	os.WriteFile(in, msg, 0o600)
	args := append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, fake...)
	if armor {
		args = append(args, "--armor")
	}
	run(t, "", env, nil, "gpg", append(args, "--detach-sign", "-o", out, in)...)
	return readFile(t, out)
}

// A key from `gpg --quick-gen-key` and a signature from `gpg --detach-sign`
// (armored and binary) are accepted; gpg's fingerprint is ours.
func TestInteropGPG(t *testing.T) {
	env := gpgHome(t)
	fpr, pub := gpgKey(t, env, "Alice <alice@example.org>", "1y", "", "")
	got, err := Fingerprint(KindOpenPGP, pub)
	if err != nil || got != fpr {
		t.Fatalf("fingerprint %s, %v; gpg says %s", got, err, fpr)
	}
	st := nowStatement(t, KindOpenPGP, pub)
	for _, armor := range []bool{true, false} {
		sig := gpgSign(t, env, st, armor)
		c, err := Check(Proof{Kind: KindOpenPGP, PublicKey: pub, Statement: st, Signature: sig}, time.Now())
		if err != nil {
			t.Fatalf("armor=%v: %v", armor, err)
		}
		if d := time.Until(c.KeyExpires); d < 360*24*time.Hour || d > 370*24*time.Hour {
			t.Fatalf("key expires %s, want in about a year", c.KeyExpires)
		}
	}
	// gpg --digest-algo SHA1 still signs; a proof refuses it.
	sig := gpgSign(t, env, st, true, "--digest-algo", "SHA1")
	_, err = Check(Proof{Kind: KindOpenPGP, PublicKey: pub, Statement: st, Signature: sig}, time.Now())
	wantErr(t, err, ErrSignature)
	// The binary export reads too.
	bin := run(t, "", env, nil, "gpg", "--export", "alice@example.org")
	if got, err := Fingerprint(KindOpenPGP, bin); err != nil || got != fpr {
		t.Fatalf("binary key: %s, %v", got, err)
	}
	// A secret key export is refused: it must never reach an event.
	secret := run(t, "", env, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", "alice@example.org")
	_, err = Fingerprint(KindOpenPGP, secret)
	wantErr(t, err, ErrUnsupported)
}

// A gpg key made (with a faked clock) in 2020 and valid for two days: the
// signature it made then holds then, and is refused as expired now.
func TestInteropGPGExpiredKey(t *testing.T) {
	env := gpgHome(t)
	_, pub := gpgKey(t, env, "Old <old@example.org>", "2d", "20200101T000000!", "20200101T010000!")
	signedAt := time.Date(2020, 1, 1, 2, 0, 0, 0, time.UTC)
	s := statementFor(t, KindOpenPGP, pub)
	s.IssuedAt, s.Expires = signedAt, signedAt.Add(DefaultValidity)
	st := s.Marshal()
	sig := gpgSign(t, env, st, true, "--faked-system-time", "20200101T020000!") // "!": a frozen clock
	p := Proof{Kind: KindOpenPGP, PublicKey: pub, Statement: st, Signature: sig}
	c, err := Check(p, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.ValidAt(signedAt.Add(72*time.Hour)), ErrKeyExpired)
	_, err = Check(p, time.Now())
	wantErr(t, err, ErrKeyExpired)
}

// A subkey revoked with gpg --edit-key (reason: compromised) no longer
// makes a valid proof, even for a signature made before the revocation.
func TestInteropGPGRevokedSubkey(t *testing.T) {
	env := gpgHome(t)
	fpr, pub := gpgKey(t, env, "Bob <bob@example.org>", "1y", "", "")
	st := nowStatement(t, KindOpenPGP, pub)
	sig := gpgSign(t, env, st, true)
	p := Proof{Kind: KindOpenPGP, PublicKey: pub, Statement: st, Signature: sig}
	if _, err := Check(p, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Subkey 2 is the signing subkey quick-add-key made (1 is for encryption).
	script := "key 2\nrevkey\ny\n1\n\ny\nsave\n"
	run(t, "", env, []byte(script), "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
		"--command-fd", "0", "--edit-key", fpr)
	p.PublicKey = run(t, "", env, nil, "gpg", "--armor", "--export", fpr)
	_, err := Check(p, time.Now())
	wantErr(t, err, ErrRevoked)
}
