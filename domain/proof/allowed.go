package proof

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigner formats one OpenSSH allowed_signers line:
//
//	HANDLE@WORKSPACE namespaces="tminus",valid-before="YYYYMMDDhhmmssZ" ssh-ed25519 AAAA...
//
// valid-before is left out when validBefore is zero. For a certificate it
// writes the certified key (cert-authority lines are separate: AllowedCA).
func AllowedSigner(principal string, publicKey []byte, validBefore time.Time) (string, error) {
	if err := checkPrincipal(principal); err != nil {
		return "", err
	}
	if len(publicKey) > MaxKey {
		return "", fmt.Errorf("%w: public key is %d bytes, the limit is %d", ErrTooLarge, len(publicKey), MaxKey)
	}
	pub, err := parseSSHLine(publicKey)
	if err != nil {
		return "", err
	}
	if c, ok := pub.(*ssh.Certificate); ok {
		pub = c.Key
	}
	if err := checkSSHKeyType(pub); err != nil {
		return "", err
	}
	opts := `namespaces="` + Namespace + `"`
	if !validBefore.IsZero() {
		opts += `,valid-before="` + validBefore.UTC().Format("20060102150405") + `Z"`
	}
	return principal + " " + opts + " " + keyText(pub), nil
}

// AllowedCA formats one allowed_signers line that trusts certificates by
// caKey for the principals principal matches:
//
//	PATTERN cert-authority,namespaces="tminus" ssh-ed25519 AAAA...
func AllowedCA(principal string, caKey []byte) (string, error) {
	if err := checkPrincipal(principal); err != nil {
		return "", err
	}
	if len(caKey) > MaxKey {
		return "", fmt.Errorf("%w: CA key is %d bytes, the limit is %d", ErrTooLarge, len(caKey), MaxKey)
	}
	ca, err := parseSSHLine(caKey)
	if err != nil {
		return "", err
	}
	if _, ok := ca.(*ssh.Certificate); ok {
		return "", fmt.Errorf("%w: a CA is a plain key, not a certificate", ErrUnsupported)
	}
	if err := checkSSHKeyType(ca); err != nil {
		return "", err
	}
	return principal + ` cert-authority,namespaces="` + Namespace + `" ` + keyText(ca), nil
}

// keyText is "type base64" without the newline MarshalAuthorizedKey adds.
func keyText(pub ssh.PublicKey) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
}

// checkPrincipal refuses what would change an allowed_signers line's
// meaning: whitespace, quotes, a leading '#', and the list separator ','.
// Patterns ('*', '?') are the caller's choice.
func checkPrincipal(p string) error {
	if p == "" || strings.HasPrefix(p, "#") || strings.ContainsAny(p, ",\"'\\") {
		return fmt.Errorf("%w: principal %q cannot go in an allowed_signers line", ErrUnsupported, p)
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%w: principal %q holds whitespace or a control character", ErrUnsupported, p)
		}
	}
	return nil
}
