package proof

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// There is no security key here, so the sk- kinds are covered by vectors
// that follow OpenSSH's PROTOCOL.u2f with software keys: the authenticator
// signs SHA256(application) || flags || counter || SHA256(message), and the
// SSH signature carries flags and counter after the signature blob.
// `go test ./domain/proof -run TestSKVectors -update` rewrites testdata/sk.

var update = flag.Bool("update", false, "rewrite testdata/sk vectors")

const skApplication = "ssh:"

// skKey is a software stand-in for a security key.
type skKey struct {
	name string
	ed   ed25519.PrivateKey
	ec   *ecdsa.PrivateKey
}

func newSKKeys(t *testing.T) []skKey {
	t.Helper()
	seed := sha256.Sum256([]byte("tminus sk test vector ed25519"))
	scalar := sha256.Sum256([]byte("tminus sk test vector ecdsa"))
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
	if err != nil {
		t.Fatal(err)
	}
	return []skKey{
		{name: "ed25519", ed: ed25519.NewKeyFromSeed(seed[:])},
		{name: "ecdsa", ec: ec},
	}
}

// publicKey is the sk- public key blob with application app.
func (k skKey) publicKey(t *testing.T, app string) ssh.PublicKey {
	t.Helper()
	var blob []byte
	if k.ed != nil {
		blob = ssh.Marshal(struct{ Name, Key, App string }{
			ssh.KeyAlgoSKED25519, string(k.ed.Public().(ed25519.PublicKey)), app})
	} else {
		pt, err := k.ec.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		blob = ssh.Marshal(struct{ Name, Curve, Key, App string }{
			ssh.KeyAlgoSKECDSA256, "nistp256", string(pt), app})
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// sign makes what a security key registered for app returns for data.
func (k skKey) sign(t *testing.T, app string, flags byte, counter uint32, data []byte) *ssh.Signature {
	t.Helper()
	appHash := sha256.Sum256([]byte(app))
	dataHash := sha256.Sum256(data)
	var signed []byte
	signed = append(signed, appHash[:]...)
	signed = append(signed, flags)
	signed = binary.BigEndian.AppendUint32(signed, counter)
	signed = append(signed, dataHash[:]...)
	sig := &ssh.Signature{Rest: binary.BigEndian.AppendUint32([]byte{flags}, counter)}
	if k.ed != nil {
		sig.Format = ssh.KeyAlgoSKED25519
		sig.Blob = ed25519.Sign(k.ed, signed)
	} else {
		sig.Format = ssh.KeyAlgoSKECDSA256
		h := sha256.Sum256(signed)
		r, s, err := ecdsa.Sign(rand.Reader, k.ec, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig.Blob = ssh.Marshal(struct{ R, S *big.Int }{r, s})
	}
	return sig
}

// skSigner signs like a security key with fixed flags and application.
type skSigner struct {
	t     *testing.T
	k     skKey
	pub   ssh.PublicKey
	app   string
	flags byte
}

func (s skSigner) PublicKey() ssh.PublicKey { return s.pub }
func (s skSigner) Sign(_ io.Reader, data []byte) (*ssh.Signature, error) {
	return s.k.sign(s.t, s.app, s.flags, 7, data), nil
}

var skVectorFiles = []struct {
	file  string
	app   string // what the signature was made for
	flags byte
	want  error
}{
	{"touched.sig", skApplication, 0x01, nil},
	{"touched-verified.sig", skApplication, 0x05, nil},
	{"no-touch.sig", skApplication, 0x00, ErrUserPresence},
	{"verified-no-touch.sig", skApplication, 0x04, ErrUserPresence},
	{"other-application.sig", "ssh:other", 0x01, ErrSignature},
}

func TestSKVectors(t *testing.T) {
	for _, k := range newSKKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "sk", k.name)
			pub := k.publicKey(t, skApplication)
			if *update {
				writeSKVectors(t, dir, k, pub)
			}
			read := func(name string) []byte {
				t.Helper()
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("%v (regenerate with -update)", err)
				}
				return b
			}
			key, st := read("key.pub"), read("statement")
			if !bytes.Equal(key, ssh.MarshalAuthorizedKey(pub)) || !bytes.Equal(st, statementFor(t, KindSSH, key).Marshal()) {
				t.Fatal("vectors do not match their keys (regenerate with -update)")
			}
			for _, v := range skVectorFiles {
				t.Run(v.file, func(t *testing.T) {
					c, err := Check(Proof{Kind: KindSSH, PublicKey: key, Statement: st, Signature: read(v.file)}, t0)
					wantErr(t, err, v.want)
					if v.want == nil && c.Algorithm != pub.Type() {
						t.Fatalf("algorithm %s, want %s", c.Algorithm, pub.Type())
					}
				})
			}
		})
	}
}

func writeSKVectors(t *testing.T, dir string, k skKey, pub ssh.PublicKey) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key := ssh.MarshalAuthorizedKey(pub)
	st := statementFor(t, KindSSH, key).Marshal()
	files := map[string][]byte{"key.pub": key, "statement": st}
	for _, v := range skVectorFiles {
		sig, err := sshsig.Sign(bytes.NewReader(st), skSigner{t, k, pub, v.app, v.flags}, sshsig.HashSHA512, Namespace)
		if err != nil {
			t.Fatal(err)
		}
		files[v.file] = sshsig.Armor(sig)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
