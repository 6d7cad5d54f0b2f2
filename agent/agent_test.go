package agent

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

var bg = context.Background()

// fixture is a workspace founded by alice (team node 0) with one incident;
// bob (node 1) is another key. The keyrings under test hold alice's key.
type fixture struct {
	team *domaintest.Team
	ws   domain.ID
	inc  domain.ID
}

const (
	alice = 0
	bob   = 1
)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	tm := domaintest.NewTeam(7, 2)
	g, err := tm.Do(alice, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: tm.Addr(alice), Handle: "alice", Roles: domain.NormalizeRoles([]string{"triage"})}})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := tm.Do(alice, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	// bob sees the workspace, so his next header names it.
	tm.Nodes[bob].Pull(tm.Nodes[alice])
	return &fixture{team: tm, ws: g.ID, inc: inc.ID}
}

func (f *fixture) key(i int) *ecdsa.PrivateKey { return f.team.Nodes[i].Signer.Key }
func (f *fixture) addr(i int) common.Address   { return f.team.Addr(i) }
func (f *fixture) note(text string) *domain.Note {
	return &domain.Note{Incident: f.inc, Text: text}
}

// capture is a domain.EventSigner that records what Seal hands a signer:
// the header and body exactly as an agent receives them.
type capture struct {
	domain.KeySigner
	header, body []byte
}

func (c *capture) SignEvent(header, body []byte) ([]byte, error) {
	c.header, c.body = header, body
	return c.SignHash(domain.SigningHash(domain.ID(crypto.Keccak256Hash(header))))
}

// sealed runs domain.Seal on h and body as node i would sign them and
// returns the signing request it made.
func (f *fixture) sealed(t testing.TB, i int, h domain.Header, body []byte) (header, b []byte) {
	t.Helper()
	c := &capture{KeySigner: f.team.Nodes[i].Signer}
	if _, err := domain.Seal(h, body, c); err != nil {
		t.Fatalf("seal %s: %v", h.Kind, err)
	}
	return c.header, c.body
}

// next is node i's next event of b, as store.Append would build it.
func (f *fixture) next(t testing.TB, i int, b domain.Body) (domain.Header, []byte) {
	t.Helper()
	data, err := domain.EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := f.team.Nodes[i].Next(b.Kind(), domaintest.Epoch+60_000)
	return h, data
}

// request is a valid signing request for node i's next event of b.
func (f *fixture) request(t testing.TB, i int, b domain.Body) (header, body []byte) {
	t.Helper()
	h, data := f.next(t, i, b)
	return f.sealed(t, i, h, data)
}

// clock is an injectable Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(domaintest.Epoch)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// syncBuffer is a log written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

const passphrase = "correct horse"

// errPassphrase stands in for the keystore's wrong-passphrase error.
var errPassphrase = errors.New("wrong passphrase")

// keyring holds alice's key for f's workspace; Unlock takes passphrase.
func (f *fixture) keyring(t testing.TB, c *clock, ttl time.Duration, log *syncBuffer) *Keyring {
	t.Helper()
	o := KeyringOptions{
		Workspace: func(context.Context) (domain.ID, error) { return f.ws, nil },
		Unlock: func(p []byte) (*ecdsa.PrivateKey, error) {
			if string(p) != passphrase {
				return nil, errPassphrase
			}
			return f.key(alice), nil
		},
		TTL: ttl,
		Now: c.Now,
	}
	if log != nil {
		o.Log = log
	}
	return NewKeyring(f.key(alice), o)
}

// pipe serves srv on one end of a net.Pipe and returns a Client on the
// other; cleanup hangs up and waits for the server to return.
func pipe(t testing.TB, srv *Server) *Client {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeConn(bg, b) }()
	c := NewClient(a, "pipe")
	t.Cleanup(func() {
		c.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the server did not return after the client hung up")
		}
	})
	return c
}

// agents runs fn against the keyring itself and against a Client talking
// to it over a pipe: both implement Agent and must answer alike.
func agents(t *testing.T, k *Keyring, fn func(t *testing.T, a Agent)) {
	t.Helper()
	t.Run("keyring", func(t *testing.T) { fn(t, k) })
	t.Run("client", func(t *testing.T) { fn(t, pipe(t, &Server{Agent: k, UID: -1})) })
}

// mustSign signs header and body through a and checks the signature is
// alice's over the event's id.
func mustSign(t *testing.T, a Agent, f *fixture, header, body []byte) {
	t.Helper()
	sig, err := a.SignEvent(bg, header, body)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	id := domain.ID(crypto.Keccak256Hash(header))
	pub, err := crypto.SigToPub(domain.SigningHash(id), sig)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got := crypto.PubkeyToAddress(*pub); got != f.addr(alice) {
		t.Fatalf("signature recovers to %s, want alice %s", got.Hex(), f.addr(alice).Hex())
	}
}

// refuse checks a refused signing request: the sentinel, and no signature.
func refuse(t *testing.T, a Agent, header, body []byte, want error) {
	t.Helper()
	sig, err := a.SignEvent(bg, header, body)
	if !errors.Is(err, want) {
		t.Fatalf("sign: err %v, want %v", err, want)
	}
	if sig != nil {
		t.Fatalf("a refused request returned a signature of %d bytes", len(sig))
	}
}

func status(t *testing.T, a Agent) Status {
	t.Helper()
	st, err := a.Status(bg)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

func TestStatus(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		ttl     time.Duration
		before  func(k *Keyring, c *clock)
		locked  bool
		expires time.Duration // from the clock's start; 0: never
	}{
		{name: "no ttl", locked: false},
		{name: "ttl", ttl: time.Hour, expires: time.Hour},
		{name: "locked", ttl: time.Hour, expires: time.Hour, locked: true,
			before: func(k *Keyring, _ *clock) { k.Lock(bg) }},
		{name: "expired", ttl: time.Hour, expires: time.Hour, locked: true,
			before: func(_ *Keyring, c *clock) { c.Advance(time.Hour) }},
		{name: "not yet expired", ttl: time.Hour, expires: time.Hour,
			before: func(_ *Keyring, c *clock) { c.Advance(time.Hour - time.Millisecond) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			start := c.Now()
			k := f.keyring(t, c, tc.ttl, nil)
			if tc.before != nil {
				tc.before(k, c)
			}
			agents(t, k, func(t *testing.T, a Agent) {
				st := status(t, a)
				if st.Locked != tc.locked || st.Address != f.addr(alice) || st.Workspace != f.ws || st.Writer {
					t.Fatalf("status %+v, want locked %v, alice %s, workspace %s, no writer", st, tc.locked, f.addr(alice).Hex(), f.ws.Short())
				}
				var want uint64
				if tc.expires > 0 {
					want = uint64(start.Add(tc.expires).UnixMilli())
				}
				if st.Expires != want {
					t.Fatalf("expires %d, want %d", st.Expires, want)
				}
			})
		})
	}
}

// A socket answers for what it holds: no key is a locked status, and a
// writer says so.
func TestServerStatusWithoutAKey(t *testing.T) {
	tests := []struct {
		name string
		srv  *Server
		want Status
	}{
		{"nothing", &Server{UID: -1}, Status{Locked: true}},
		{"writer only", &Server{Writer: &recorder{}, UID: -1}, Status{Locked: true, Writer: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := pipe(t, tc.srv)
			if st := status(t, c); st != tc.want {
				t.Fatalf("status %+v, want %+v", st, tc.want)
			}
			h, b := newFixture(t).request(t, alice, &domain.Note{Incident: domain.ID{1}, Text: "x"})
			for name, err := range map[string]error{
				"sign":   func() error { _, err := c.SignEvent(bg, h, b); return err }(),
				"lock":   c.Lock(bg),
				"unlock": c.Unlock(bg, []byte(passphrase)),
			} {
				if err == nil || !strings.Contains(err.Error(), "holds no key") {
					t.Errorf("%s on a socket without a key: %v", name, err)
				}
			}
		})
	}
}

// A valid event, built as store.Append builds it, is signed by alice's
// key; sealed through agent.Signer it verifies as a stored event would.
func TestSignEvent(t *testing.T) {
	f := newFixture(t)
	log := &syncBuffer{}
	k := f.keyring(t, newClock(), 0, log)
	agents(t, k, func(t *testing.T, a Agent) {
		tests := []struct {
			name string
			body domain.Body
		}{
			{"note", f.note("seen by the agent")},
			{"incident", &domain.IncidentDeclare{Title: "Bridge paused", Severity: "P2"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				h, b := f.request(t, alice, tc.body)
				mustSign(t, a, f, h, b)

				hdr, data := f.next(t, alice, tc.body)
				e, err := domain.Seal(hdr, data, Signer{Agent: a, Addr: f.addr(alice)})
				if err != nil {
					t.Fatalf("seal through the agent: %v", err)
				}
				if err := e.Verify(); err != nil {
					t.Fatalf("an event the agent signed does not verify: %v", err)
				}
			})
		}
	})
	if !strings.Contains(log.String(), "signed note.add seq 3 about "+f.inc.Short()) {
		t.Fatalf("the signing log does not name the note and its incident:\n%s", log.String())
	}
}

// Everything that is not a well-formed event of this workspace by this key
// is refused, with no signature: a process that reaches the socket cannot
// make it sign a digest, a message or another chain's event.
func TestSignRefusals(t *testing.T) {
	f := newFixture(t)
	valid := func(t *testing.T) ([]byte, []byte) { return f.request(t, alice, f.note("valid")) }
	tests := []struct {
		name  string
		build func(t *testing.T) (header, body []byte)
		want  error
	}{
		{"bare hash", func(t *testing.T) ([]byte, []byte) {
			h, _ := valid(t)
			return crypto.Keccak256(h), nil
		}, domain.ErrNotAnEvent},
		{"bare hash with body", func(t *testing.T) ([]byte, []byte) {
			h, b := valid(t)
			return crypto.Keccak256(h), b
		}, domain.ErrNotAnEvent},
		{"eip-191 message", func(t *testing.T) ([]byte, []byte) {
			return []byte("\x19Ethereum Signed Message:\n5hello"), nil
		}, domain.ErrNotAnEvent},
		{"eip-191 digest of an id", func(t *testing.T) ([]byte, []byte) {
			h, b := valid(t)
			return domain.SigningHash(domain.ID(crypto.Keccak256Hash(h))), b
		}, domain.ErrNotAnEvent},
		{"safe transaction hash", func(t *testing.T) ([]byte, []byte) {
			return append([]byte{0x19, 0x01}, make([]byte, 64)...), nil
		}, domain.ErrNotAnEvent},
		{"arbitrary rlp list", func(t *testing.T) ([]byte, []byte) {
			l, err := rlp.EncodeToBytes([]any{uint64(1), "transfer", common.Address{9}, uint64(1e18)})
			if err != nil {
				t.Fatal(err)
			}
			return l, nil
		}, domain.ErrNotAnEvent},
		{"empty", func(t *testing.T) ([]byte, []byte) { return nil, nil }, domain.ErrNotAnEvent},
		{"header with trailing bytes", func(t *testing.T) ([]byte, []byte) {
			h, b := valid(t)
			return append(h, 0x80), b
		}, domain.ErrNotAnEvent},
		{"header with an eleventh element", func(t *testing.T) ([]byte, []byte) {
			h, b := valid(t)
			return appendToList(t, h, []byte{0x80}), b
		}, domain.ErrNotAnEvent},
		{"non-canonical integer in header", func(t *testing.T) ([]byte, []byte) {
			hdr, b := f.next(t, alice, f.note("valid"))
			hdr.V, hdr.Author, hdr.BodyHash = domain.Format, f.addr(alice), crypto.Keccak256Hash(b)
			// seq 3 written with a leading zero byte: 0x82 0x00 0x03.
			return encodeHeader(t, hdr, func(i int, enc []byte) []byte {
				if i == 3 {
					return []byte{0x82, 0x00, byte(hdr.Seq)}
				}
				return enc
			}), b
		}, domain.ErrNotAnEvent},
		{"non-canonical string size in header", func(t *testing.T) ([]byte, []byte) {
			hdr, b := f.next(t, alice, f.note("valid"))
			hdr.V, hdr.Author, hdr.BodyHash = domain.Format, f.addr(alice), crypto.Keccak256Hash(b)
			// the kind with a long-form size for a short string.
			return encodeHeader(t, hdr, func(i int, enc []byte) []byte {
				if i == 8 {
					return append([]byte{0xb8, byte(len(hdr.Kind))}, hdr.Kind...)
				}
				return enc
			}), b
		}, domain.ErrNotAnEvent},
		{"body does not match its hash", func(t *testing.T) ([]byte, []byte) {
			h, _ := valid(t)
			other, err := domain.EncodeBody(f.note("something else"))
			if err != nil {
				t.Fatal(err)
			}
			return h, other
		}, domain.ErrNotAnEvent},
		{"redacted (no body)", func(t *testing.T) ([]byte, []byte) {
			h, _ := valid(t)
			return h, nil
		}, domain.ErrNotAnEvent},
		{"non-canonical body", func(t *testing.T) ([]byte, []byte) {
			hdr, _ := f.next(t, alice, f.note("valid"))
			body := []byte(`{"text":"valid","incident":"` + f.inc.String() + `"}`)
			return f.sealed(t, alice, hdr, body)
		}, domain.ErrNotAnEvent},
		{"unknown kind", func(t *testing.T) ([]byte, []byte) {
			hdr, _ := f.next(t, alice, f.note("valid"))
			hdr.Kind = "wallet.transfer"
			return f.sealed(t, alice, hdr, []byte(`{"to":"0x09","value":"1000000000000000000"}`))
		}, domain.ErrNotAnEvent},
		{"genesis", func(t *testing.T) ([]byte, []byte) {
			fresh := domaintest.NewNode(f.team.Nodes[alice].Signer)
			g := &domain.Genesis{Name: "evil", Policy: domain.Policy{RosterQuorum: 1},
				Founder: domain.MemberSpec{Address: f.addr(alice), Handle: "alice", Roles: []string{"triage"}}}
			data, err := domain.EncodeBody(g)
			if err != nil {
				t.Fatal(err)
			}
			hdr, _ := fresh.Next(domain.KindGenesis, domaintest.Epoch)
			return f.sealed(t, alice, hdr, data)
		}, domain.ErrNotAnEvent},
		{"another workspace", func(t *testing.T) ([]byte, []byte) {
			hdr, data := f.next(t, alice, f.note("valid"))
			hdr.WS = domain.ID{0xee}
			return f.sealed(t, alice, hdr, data)
		}, domain.ErrNotAnEvent},
		{"another author", func(t *testing.T) ([]byte, []byte) {
			return f.request(t, bob, f.note("by bob"))
		}, domain.ErrNotAnEvent},
		{"seq 0", func(t *testing.T) ([]byte, []byte) {
			hdr, data := f.next(t, alice, f.note("valid"))
			hdr.Seq = 0
			hdr.V, hdr.Author, hdr.BodyHash = domain.Format, f.addr(alice), crypto.Keccak256Hash(data)
			return encodeHeader(t, hdr, nil), data
		}, domain.ErrNotAnEvent},
		{"another format version", func(t *testing.T) ([]byte, []byte) {
			hdr, data := f.next(t, alice, f.note("valid"))
			hdr.V, hdr.Author, hdr.BodyHash = domain.Format+1, f.addr(alice), crypto.Keccak256Hash(data)
			return encodeHeader(t, hdr, nil), data
		}, domain.ErrNotAnEvent},
	}
	log := &syncBuffer{}
	k := f.keyring(t, newClock(), 0, log)
	agents(t, k, func(t *testing.T, a Agent) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				h, b := tc.build(t)
				refuse(t, a, h, b, tc.want)
			})
		}
	})
	if log.String() != "" {
		t.Fatalf("refused requests were logged as signed:\n%s", log.String())
	}
}

// encodeHeader writes h's ten fields as an RLP list; edit may replace the
// encoding of field i.
func encodeHeader(t *testing.T, h domain.Header, edit func(i int, enc []byte) []byte) []byte {
	t.Helper()
	fields := []any{h.V, h.WS, h.Author, h.Seq, h.Prev, h.Lamport, h.Deps, h.Time, h.Kind, h.BodyHash}
	if h.Deps == nil {
		fields[6] = []domain.ID{}
	}
	var content []byte
	for i, v := range fields {
		enc, err := rlp.EncodeToBytes(v)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			enc = edit(i, enc)
		}
		content = append(content, enc...)
	}
	return wrapList(content)
}

// appendToList adds an encoded element at the end of an RLP list.
func appendToList(t *testing.T, list, elem []byte) []byte {
	t.Helper()
	content, _, err := rlp.SplitList(list)
	if err != nil {
		t.Fatal(err)
	}
	return wrapList(append(append([]byte(nil), content...), elem...))
}

func wrapList(content []byte) []byte {
	var raw rlp.RawValue = content
	// An RLP list prefix for content of any length.
	enc, _ := rlp.EncodeToBytes([]rlp.RawValue{raw})
	prefixLen := len(enc) - len(content)
	return append(enc[:prefixLen:prefixLen], content...)
}

// A locked keyring, or one past its lifetime, signs nothing until the
// passphrase unlocks it again; a wrong passphrase leaves it locked.
func TestLockUnlock(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		name    string
		do      func(t *testing.T, a Agent, c *clock) error
		wantErr error // nil: the step succeeds
		locked  bool  // then: status, and whether a valid event is refused
		renews  bool  // the key's lifetime starts again
	}{
		{"fresh", func(*testing.T, Agent, *clock) error { return nil }, nil, false, true},
		{"lock", func(_ *testing.T, a Agent, _ *clock) error { return a.Lock(bg) }, nil, true, false},
		{"wrong passphrase", func(_ *testing.T, a Agent, _ *clock) error { return a.Unlock(bg, []byte("wrong")) }, errPassphrase, true, false},
		{"empty passphrase", func(_ *testing.T, a Agent, _ *clock) error { return a.Unlock(bg, nil) }, errPassphrase, true, false},
		{"unlock", func(_ *testing.T, a Agent, _ *clock) error { return a.Unlock(bg, []byte(passphrase)) }, nil, false, true},
		{"ttl passes", func(_ *testing.T, _ Agent, c *clock) error { c.Advance(8 * time.Hour); return nil }, nil, true, false},
		{"unlock after ttl", func(_ *testing.T, a Agent, _ *clock) error { return a.Unlock(bg, []byte(passphrase)) }, nil, false, true},
		{"lock twice", func(_ *testing.T, a Agent, _ *clock) error { a.Lock(bg); return a.Lock(bg) }, nil, true, false},
	}
	for _, via := range []string{"keyring", "client"} {
		t.Run(via, func(t *testing.T) {
			c := newClock()
			k := f.keyring(t, c, 8*time.Hour, nil)
			var a Agent = k
			if via == "client" {
				a = pipe(t, &Server{Agent: k, UID: -1})
			}
			for _, s := range steps {
				err := s.do(t, a, c)
				switch {
				case s.wantErr == nil && err != nil:
					t.Fatalf("%s: %v", s.name, err)
				case s.wantErr != nil && err == nil:
					t.Fatalf("%s: succeeded, want %v", s.name, s.wantErr)
				case s.wantErr != nil && !strings.Contains(err.Error(), s.wantErr.Error()):
					t.Fatalf("%s: %v, want %v", s.name, err, s.wantErr)
				}
				st := status(t, a)
				if st.Locked != s.locked {
					t.Fatalf("%s: status locked %v, want %v", s.name, st.Locked, s.locked)
				}
				if want := uint64(k.Expires().UnixMilli()); st.Expires != want {
					t.Fatalf("%s: status expires %d, keyring %d", s.name, st.Expires, want)
				}
				if s.renews && !k.Expires().Equal(c.Now().Add(8*time.Hour)) {
					t.Fatalf("%s: expires %v, want a new lifetime from %v", s.name, k.Expires(), c.Now())
				}
				h, b := f.request(t, alice, f.note("after "+s.name))
				if s.locked {
					refuse(t, a, h, b, ErrLocked)
				} else {
					mustSign(t, a, f, h, b)
				}
			}
		})
	}
}

// Unlock is refused when the keystore now holds another key, and when the
// keyring was given no way to unlock.
func TestUnlockRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		unlock func([]byte) (*ecdsa.PrivateKey, error)
		want   string
	}{
		{"no keystore", nil, "cannot unlock"},
		{"another key", func([]byte) (*ecdsa.PrivateKey, error) { return f.key(bob), nil }, "now holds " + f.addr(bob).Hex()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := NewKeyring(f.key(alice), KeyringOptions{
				Workspace: func(context.Context) (domain.ID, error) { return f.ws, nil },
				Unlock:    tc.unlock,
			})
			k.Lock(bg)
			agents(t, k, func(t *testing.T, a Agent) {
				if err := a.Unlock(bg, []byte(passphrase)); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("unlock: %v, want %q", err, tc.want)
				}
				if !status(t, a).Locked {
					t.Fatal("a refused unlock left the keyring unlocked")
				}
				h, b := f.request(t, alice, f.note("x"))
				refuse(t, a, h, b, ErrLocked)
			})
		})
	}
}

// A keyring that does not know its workspace yet (an agent started before
// a join) signs nothing; one whose workspace lookup fails says why.
func TestSignWithoutWorkspace(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("store is gone")
	tests := []struct {
		name string
		ws   func(context.Context) (domain.ID, error)
		want error
	}{
		{"none", nil, domain.ErrNotAnEvent},
		{"zero", func(context.Context) (domain.ID, error) { return domain.ZeroID, nil }, domain.ErrNotAnEvent},
		{"error", func(context.Context) (domain.ID, error) { return domain.ZeroID, boom }, boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := NewKeyring(f.key(alice), KeyringOptions{Workspace: tc.ws})
			h, b := f.request(t, alice, f.note("x"))
			refuse(t, k, h, b, tc.want)
			if tc.name != "error" {
				refuse(t, pipe(t, &Server{Agent: k, UID: -1}), h, b, tc.want)
			}
		})
	}
}

// agent.Signer has a SignHash only to be a domain.Signer: it refuses.
func TestSignerRefusesDigests(t *testing.T) {
	f := newFixture(t)
	k := f.keyring(t, newClock(), 0, nil)
	s := Signer{Agent: k, Addr: f.addr(alice)}
	for _, digest := range [][]byte{make([]byte, 32), domain.SigningHash(f.inc), nil} {
		if sig, err := s.SignHash(digest); err == nil || sig != nil {
			t.Fatalf("SignHash(%x) = %x, %v; want a refusal", digest, sig, err)
		}
	}
	// Seal falls back to SignHash only for a signer without SignEvent.
	var _ domain.EventSigner = s
	if s.Address() != f.addr(alice) {
		t.Fatalf("address %s", s.Address().Hex())
	}
}

// The sentinels callers test survive the socket, wherever the far side
// put them in its message.
func TestRemoteErrorKeepsSentinels(t *testing.T) {
	tests := []struct {
		msg  string
		want error
	}{
		{ErrLocked.Error(), ErrLocked},
		{ErrLocked.Error() + " (expired)", ErrLocked},
		{"sign: " + ErrLocked.Error(), ErrLocked},
		{ErrNoWriter.Error(), ErrNoWriter},
		{domain.ErrNotAnEvent.Error() + ": header: x", domain.ErrNotAnEvent},
		{"sign: " + domain.ErrNotAnEvent.Error() + ": body", domain.ErrNotAnEvent},
		{"something else", nil},
		{"", nil},
	}
	for _, tc := range tests {
		err := remoteError(tc.msg)
		if err.Error() != tc.msg {
			t.Errorf("remoteError(%q) reads %q", tc.msg, err)
		}
		for _, s := range []error{ErrLocked, ErrNoWriter, domain.ErrNotAnEvent} {
			if errors.Is(err, s) != (s == tc.want) {
				t.Errorf("remoteError(%q): errors.Is(%v) = %v", tc.msg, s, errors.Is(err, s))
			}
		}
	}
}

// WaitExpiry ends when the key's lifetime has passed, at once when it
// already has, and with false when the context ends first; an unlock moves
// it.
func TestWaitExpiry(t *testing.T) {
	f := newFixture(t)
	c := newClock()
	k := f.keyring(t, c, 8*time.Hour, nil)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan bool)
	go func() { done <- k.WaitExpiry(ctx) }()
	cancel()
	if <-done {
		t.Fatal("WaitExpiry reported an expiry when its context ended")
	}
	c.Advance(7 * time.Hour)
	if err := k.Unlock(bg, []byte(passphrase)); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour) // past the first lifetime, inside the unlock's
	ctx, cancel = context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if k.WaitExpiry(ctx) {
		t.Fatal("WaitExpiry ended at the first lifetime, not the unlock's")
	}
	c.Advance(6 * time.Hour)
	k.Lock(bg) // a locked keyring's lifetime still ends
	if !k.WaitExpiry(bg) {
		t.Fatal("WaitExpiry did not end past the lifetime")
	}
	k0 := NewKeyring(f.key(alice), KeyringOptions{Now: c.Now})
	ctx, cancel = context.WithTimeout(bg, 10*time.Millisecond)
	defer cancel()
	if k0.WaitExpiry(ctx) {
		t.Fatal("a keyring without a TTL expired")
	}
}

// Each unlock decrypts the keystore (standard scrypt: 256 MiB). Requests
// that arrive together, from a forwarded socket's far end or a loop, used
// to decrypt at once, a 256 MiB each; they now take turns.
func TestUnlocksTakeTurns(t *testing.T) {
	f := newFixture(t)
	var inside, most atomic.Int32
	release := make(chan struct{})
	k := NewKeyring(f.key(alice), KeyringOptions{Unlock: func([]byte) (*ecdsa.PrivateKey, error) {
		n := inside.Add(1)
		defer inside.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		return f.key(alice), nil
	}})
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() { errs <- k.Unlock(bg, []byte(passphrase)) }()
	}
	time.Sleep(100 * time.Millisecond) // let them all arrive
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if m := most.Load(); m != 1 {
		t.Fatalf("%d keystore decryptions ran at once, want 1", m)
	}
}
