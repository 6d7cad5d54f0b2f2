package proof

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/crypto/ssh"
)

// t0 is the time every test judges at unless it says otherwise.
var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

var testMember = common.HexToAddress("0x8d3f5e6a1b2c3d4e5f60718293a4b5c6d7e8f901")

// statementFor is a statement for kind and key, issued at t0, valid six months.
func statementFor(t testing.TB, kind string, key []byte) Statement {
	t.Helper()
	fp, err := Fingerprint(kind, key)
	if err != nil {
		t.Fatalf("Fingerprint(%s): %v", kind, err)
	}
	return Statement{
		Workspace:   "5f1c9a0e7b3d",
		Member:      testMember,
		Kind:        kind,
		Fingerprint: fp,
		IssuedAt:    t0,
		Expires:     t0.Add(DefaultValidity),
	}
}

// sshKey is a fresh software key of one OpenSSH type.
type sshKey struct {
	name   string
	signer ssh.Signer
	line   []byte // authorized_keys line
}

func newSSHKey(t testing.TB, name string) sshKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch name {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa-p256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-p384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ecdsa-p521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "rsa-2048":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa-1024":
		priv, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		t.Fatalf("no key type %q", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return sshKey{name: name, signer: s, line: ssh.MarshalAuthorizedKey(s.PublicKey())}
}

// sshProof is a valid ssh proof by k, signed with SignSSH.
func sshProof(t testing.TB, k sshKey) Proof {
	t.Helper()
	st := statementFor(t, KindSSH, k.line).Marshal()
	sig, err := SignSSH(k.signer, st)
	if err != nil {
		t.Fatalf("SignSSH(%s): %v", k.name, err)
	}
	return Proof{Kind: KindSSH, PublicKey: k.line, Statement: st, Signature: sig}
}

// wantErr fails unless err wraps want (or is nil when want is nil).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}

// flip returns a copy of b with one byte changed at i.
// flipKeyBlob flips the last byte of the key material in an authorized_keys
// line. Flipping a base64 character instead could make it undecodable, a
// different error, and whether it does depends on the random key.
func flipKeyBlob(t testing.TB, line []byte) []byte {
	t.Helper()
	f := bytes.Fields(line)
	blob, err := base64.StdEncoding.DecodeString(string(f[1]))
	if err != nil {
		t.Fatal(err)
	}
	blob = flip(blob, len(blob)-1)
	f[1] = []byte(base64.StdEncoding.EncodeToString(blob))
	return append(bytes.Join(f, []byte(" ")), '\n')
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x01
	return out
}

// editCase edits a good proof into one Check must refuse, with want (nil:
// any error).
type editCase struct {
	name string
	edit func(p *Proof)
	want error
}

// checkEdits checks that good verifies at t0 and that every case's edit of
// it is refused at t0, returning nothing.
func checkEdits(t *testing.T, good Proof, cases []editCase) {
	t.Helper()
	if _, err := Check(good, t0); err != nil {
		t.Fatalf("good proof refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := good
			c.edit(&p)
			got, err := Check(p, t0)
			if c.want == nil {
				// A flipped key byte lands anywhere: the key no longer reads,
				// or it is another key. Either way, refused.
				if err == nil {
					t.Fatal("accepted")
				}
			} else {
				wantErr(t, err, c.want)
			}
			if got.Fingerprint != "" {
				t.Fatalf("a refused proof still returned %+v", got)
			}
		})
	}
}
