package workspace

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

var bg = context.Background()

const pass = "pw"

// testHome is a home made the way tminus init makes one (light KDF): its
// key, config, genesis and one incident.
type testHome struct {
	dir string
	key *ecdsa.PrivateKey
	ws  domain.ID
	inc domain.ID
}

// newHome creates a home with TMINUS_PASSPHRASE set, and no
// TMINUS_AGENT_SOCK from the environment the tests run in.
func newHome(t *testing.T) *testHome {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", pass)
	t.Setenv(AgentSockEnv, "")
	h := &Home{Dir: filepath.Join(t.TempDir(), "a")}
	defer h.Close()
	key, err := h.Create("alice", true)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := h.Address()
	if err != nil {
		t.Fatal(err)
	}
	en, err := h.Enode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := h.Append(bg, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: addr, Handle: "alice", Enode: en,
			Roles: domain.NormalizeRoles([]string{"reporter", "triage", "comms", "containment", "recorder"})}})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := h.Append(bg, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	return &testHome{dir: h.Dir, key: key, ws: g.ID, inc: inc.ID}
}

func (th *testHome) addr() [20]byte { return crypto.PubkeyToAddress(th.key.PublicKey) }

// open is a new Home on the directory, as another command would open it.
func (th *testHome) open(t *testing.T) *Home {
	t.Helper()
	h := &Home{Dir: th.dir}
	t.Cleanup(h.Close)
	return h
}

func (th *testHome) agentSock() string { return filepath.Join(th.dir, "agent.sock") }

// unsetPassphrase removes TMINUS_PASSPHRASE for the rest of the test: an
// empty one would still count as given.
func unsetPassphrase(t *testing.T) {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", "")
	os.Unsetenv("TMINUS_PASSPHRASE")
}

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

// serveAgent runs an agent holding key for th's workspace on path, as
// tminus agent would; it unlocks with th's keystore.
func (th *testHome) serveAgent(t *testing.T, path string, key *ecdsa.PrivateKey, log *syncBuffer) *agent.Keyring {
	t.Helper()
	o := agent.KeyringOptions{
		Workspace: func(context.Context) (domain.ID, error) { return th.ws, nil },
		Unlock: func(p []byte) (*ecdsa.PrivateKey, error) {
			return store.UnlockKey(filepath.Join(th.dir, "key.json"), p)
		},
	}
	if log != nil {
		o.Log = log
	}
	k := agent.NewKeyring(key, o)
	serveOn(t, path, &agent.Server{Agent: k, UID: os.Getuid()})
	return k
}

// serveOn serves srv on a socket made by agent.Listen at path until the
// test ends.
func serveOn(t *testing.T, path string, srv *agent.Server) {
	t.Helper()
	l, err := agent.Listen(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(bg, l) }()
	t.Cleanup(func() { l.Close(); srv.Close(); <-done })
}

// chain reads the author's chain from the store and checks it is whole:
// seqs 1..n with no gap or duplicate, each prev the event before, each
// signature valid. It returns the events.
func chain(t *testing.T, st *store.Store, author [20]byte) []*domain.Event {
	t.Helper()
	raws, err := st.Range(bg, author, 1, 100_000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []*domain.Event
	prev := domain.ZeroID
	for i, raw := range raws {
		e, err := domain.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Verify(); err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
		if e.Seq != uint64(i+1) || e.Prev != prev {
			t.Fatalf("event %d of the chain: seq %d, prev %s; want seq %d, prev %s (broken chain)", i, e.Seq, e.Prev.Short(), i+1, prev.Short())
		}
		prev = e.ID
		out = append(out, e)
	}
	return out
}

// count opens the home's store apart from any Home and counts its events.
func count(t *testing.T, dir string) int64 {
	t.Helper()
	st, err := store.Open(bg, filepath.Join(dir, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Count(bg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The home made like tminus init: config, a 0600 keystore in a 0700
// directory, a store holding the genesis, and Create refusing to redo it.
func TestCreate(t *testing.T) {
	th := newHome(t)
	for path, want := range map[string]os.FileMode{th.dir: 0o700 | os.ModeDir, filepath.Join(th.dir, "key.json"): 0o600, filepath.Join(th.dir, "config.yaml"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v %v, want %v", path, fi.Mode(), err, want)
		}
	}
	h := th.open(t)
	c, err := h.Config()
	if err != nil || c.Handle != "alice" || c.Address != crypto.PubkeyToAddress(th.key.PublicKey).Hex() || c.Listen != DefaultListen {
		t.Fatalf("config %+v %v", c, err)
	}
	st, err := h.Store(bg)
	if err != nil || st.Workspace() != th.ws {
		t.Fatalf("store workspace %v %v, want %s", st.Workspace(), err, th.ws.Short())
	}
	if _, err := h.Create("alice", true); err == nil || !strings.Contains(err.Error(), "already holds a tminus key") {
		t.Fatalf("create over a home: %v", err)
	}
	if _, err := (&Home{Dir: filepath.Join(t.TempDir(), "b")}).Create("Not A Handle", true); err == nil {
		t.Fatal("an invalid handle was accepted")
	}
	if _, err := (&Home{Dir: t.TempDir()}).Config(); !errors.Is(err, ErrNoHome) {
		t.Fatalf("config of an empty directory: %v, want ErrNoHome", err)
	}
}
