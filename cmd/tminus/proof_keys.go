package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/term"
)

// SSHPassphraseEnv gives a passphrase-protected SSH key's passphrase
// without a prompt, as TMINUS_PASSPHRASE does for the tminus key.
const SSHPassphraseEnv = "TMINUS_SSH_PASSPHRASE"

// sshKeyOpts names an SSH key to sign a statement with: a private key file
// (its .pub beside it), or the key of that .pub in the ssh-agent on
// SSH_AUTH_SOCK (with --agent, or when the private key file is absent).
// cert, when set, is the key's OpenSSH certificate.
type sshKeyOpts struct {
	key, cert string
	agent     bool
}

// signer returns the signer and the public key line the proof carries: the
// key's, or the certificate's.
func (o sshKeyOpts) signer() (ssh.Signer, string, error) {
	if o.key == "" {
		return nil, "", usageError{errors.New("--key FILE is required: the SSH private key, or its .pub with --agent")}
	}
	priv, pubPath := o.key, o.key+".pub"
	if strings.HasSuffix(o.key, ".pub") {
		priv, pubPath = strings.TrimSuffix(o.key, ".pub"), o.key
	}
	useAgent := o.agent
	if _, err := os.Stat(priv); errors.Is(err, os.ErrNotExist) {
		useAgent = true
	}
	var s ssh.Signer
	var err error
	if useAgent {
		s, err = agentSigner(pubPath)
	} else {
		s, err = fileSigner(priv)
	}
	if err != nil {
		return nil, "", err
	}
	if o.cert == "" {
		return s, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))), nil
	}
	data, err := readCapped(o.cert, "certificate", proof.MaxKey)
	if err != nil {
		return nil, "", err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not an OpenSSH certificate: %w", o.cert, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, "", fmt.Errorf("%s is a plain key, not a certificate (ssh-keygen -s CA signs one as KEY-cert.pub)", o.cert)
	}
	if !bytes.Equal(cert.Key.Marshal(), s.PublicKey().Marshal()) {
		return nil, "", fmt.Errorf("%s certifies %s, not the key %s", o.cert, ssh.FingerprintSHA256(cert.Key), ssh.FingerprintSHA256(s.PublicKey()))
	}
	cs, err := ssh.NewCertSigner(cert, s)
	if err != nil {
		return nil, "", err
	}
	return cs, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(cert))), nil
}

// fileSigner reads a private key file, asking for its passphrase when it
// has one: TMINUS_SSH_PASSPHRASE, or a prompt on the terminal.
func fileSigner(path string) (ssh.Signer, error) {
	data, err := readCapped(path, "SSH private key", proof.MaxKey)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		var pass []byte
		if pass, err = sshPassphrase(path); err != nil {
			return nil, err
		}
		if s, err = ssh.ParsePrivateKeyWithPassphrase(data, pass); errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("%s: wrong passphrase (%s, or the prompt)", path, SSHPassphraseEnv)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (a security key or a key in ssh-agent: give its .pub with --agent)", path, err)
	}
	return s, nil
}

func sshPassphrase(path string) ([]byte, error) {
	if p, ok := os.LookupEnv(SSHPassphraseEnv); ok {
		return []byte(p), nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err == nil {
		defer tty.Close()
	}
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return nil, fmt.Errorf("%s is passphrase-protected: set %s, run in a terminal, or load it into ssh-agent and use --agent", path, SSHPassphraseEnv)
	}
	fmt.Fprint(tty, "Passphrase for "+path+": ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return p, err
}

// agentSigner finds the key of the .pub file among the ssh-agent's keys.
func agentSigner(pubPath string) (ssh.Signer, error) {
	data, err := readCapped(pubPath, "SSH public key", proof.MaxKey)
	if err != nil {
		return nil, fmt.Errorf("%w (with the key in ssh-agent, --key names its .pub file)", err)
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pubPath, err)
	}
	if c, ok := want.(*ssh.Certificate); ok {
		want = c.Key
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("no private key file beside %s and no SSH_AUTH_SOCK: give the private key file, or start ssh-agent and ssh-add the key", pubPath)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent on SSH_AUTH_SOCK=%s: %w", sock, err)
	}
	// The connection stays open for the signature; the process ends soon after.
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh-agent: %w", err)
	}
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), want.Marshal()) {
			return s, nil
		}
	}
	conn.Close()
	return nil, fmt.Errorf("ssh-agent on %s does not hold %s (ssh-add it)", sock, ssh.FingerprintSHA256(want))
}

// readCapped reads a file of at most max bytes.
func readCapped(path, what string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s %s is over %d bytes: not a key, statement or signature tminus takes", what, path, max)
	}
	return data, nil
}

// proofText is a key or signature as a proof stores it: text. A binary
// OpenPGP key or signature is armored; anything else must be UTF-8 text.
func proofText(kind, what string, data []byte, armorType string) (string, error) {
	if kind == proof.KindOpenPGP && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN ")) {
		var buf bytes.Buffer
		w, err := armor.Encode(&buf, armorType, nil)
		if err != nil {
			return "", err
		}
		if _, err := w.Write(data); err != nil {
			return "", err
		}
		if err := w.Close(); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("%s is not text: a %s proof takes the armored or authorized_keys form", what, kind)
	}
	return string(data), nil
}
