package proof

import (
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// certOptions are the critical options OpenSSH defines for user
// certificates; a certificate with any other is refused, as sshd would.
var certOptions = []string{"force-command", "source-address", "verify-required"}

// checkCert checks that cert is a user certificate whose signature by its CA
// is valid, and records what it certifies. Whether the CA is trusted, the
// principals fit and the window holds is the fold's judgement.
func checkCert(cert *ssh.Certificate, c *Checked) error {
	if cert.CertType != ssh.UserCert {
		return fmt.Errorf("%w: a host certificate; want a user certificate (ssh-keygen -s CA -I ID -n HANDLE)", ErrUnsupported)
	}
	if _, ok := cert.SignatureKey.(*ssh.Certificate); ok {
		return fmt.Errorf("%w: the certificate is signed by a certificate, not a CA key", ErrUnsupported)
	}
	if err := checkSSHKeyType(cert.SignatureKey); err != nil {
		return fmt.Errorf("certificate authority: %w", err)
	}
	if cert.Signature == nil || cert.Signature.Format == ssh.KeyAlgoRSA {
		return fmt.Errorf("%w: the certificate's CA signature is missing or SHA-1 (ssh-rsa)", ErrSignature)
	}
	for opt := range cert.CriticalOptions {
		if !slices.Contains(certOptions, opt) {
			return fmt.Errorf("%w: certificate critical option %q", ErrUnsupported, opt)
		}
	}
	if cert.ValidAfter > math.MaxInt64 || (cert.ValidBefore > math.MaxInt64 && cert.ValidBefore != ssh.CertTimeInfinity) {
		return fmt.Errorf("%w: certificate validity times out of range", ErrUnsupported)
	}
	if cert.ValidBefore != ssh.CertTimeInfinity && cert.ValidBefore <= cert.ValidAfter {
		return fmt.Errorf("%w: the certificate's validity window is empty", ErrNotValid)
	}
	// CertChecker holds x/crypto's signature check, which matches OpenSSH
	// on security-key CAs; it also checks a principal and the clock, which
	// are not ours to judge here, so give it a listed principal and a time
	// inside the window.
	principal := ""
	if len(cert.ValidPrincipals) > 0 {
		principal = cert.ValidPrincipals[0]
	}
	inside := time.Unix(int64(cert.ValidAfter), 0)
	checker := ssh.CertChecker{Clock: func() time.Time { return inside }, SupportedCriticalOptions: certOptions}
	if err := checker.CheckCert(principal, cert); err != nil {
		return fmt.Errorf("%w: certificate: %v", ErrSignature, err)
	}
	c.CA = ssh.FingerprintSHA256(cert.SignatureKey)
	c.Principals = slices.Clone(cert.ValidPrincipals)
	if cert.ValidAfter != 0 {
		c.ValidAfter = time.Unix(int64(cert.ValidAfter), 0).UTC()
	}
	if cert.ValidBefore != ssh.CertTimeInfinity {
		c.ValidBefore = time.Unix(int64(cert.ValidBefore), 0).UTC()
	}
	return nil
}
