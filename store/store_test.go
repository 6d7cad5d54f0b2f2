package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

var bg = context.Background()

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "tminus.db"))
}

func count(t testing.TB, s *Store) int64 {
	t.Helper()
	n, err := s.Count(bg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func orphans(t testing.TB, s *Store) int64 {
	t.Helper()
	n, err := s.Orphans(bg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func ingest(t testing.TB, s *Store, events ...*domain.Event) Report {
	t.Helper()
	rep, err := s.Ingest(bg, domaintest.Raws(events))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func stateHash(t testing.TB, st *domain.State) string {
	t.Helper()
	h, err := st.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func storeHash(t testing.TB, s *Store) string {
	t.Helper()
	st, err := s.State(bg)
	if err != nil {
		t.Fatal(err)
	}
	return stateHash(t, st)
}

// do writes b as node i's next event after it has seen every event so far.
func do(t testing.TB, tm *domaintest.Team, i int, b domain.Body) *domain.Event {
	t.Helper()
	e, err := tm.Do(i, b)
	if err != nil {
		t.Fatalf("node %d %s: %v", i, b.Kind(), err)
	}
	return e
}

func spec(tm *domaintest.Team, i int, handle string, roles ...string) domain.MemberSpec {
	return domain.MemberSpec{Address: tm.Addr(i), Handle: handle, Roles: domain.NormalizeRoles(roles)}
}

// team is a workspace of alice (node 0, founder) and bob (node 1) with one
// incident; node 2 is nobody yet.
func team(t testing.TB, seed int64) (*domaintest.Team, *domain.Event) {
	t.Helper()
	tm := domaintest.NewTeam(seed, 3)
	do(t, tm, 0, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1}, Founder: spec(tm, 0, "alice", "containment", "triage")})
	do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(tm, 1, "bob", "comms", "triage")})
	inc := do(t, tm, 0, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	return tm, inc
}

func note(inc *domain.Event, text string) *domain.Note {
	return &domain.Note{Incident: inc.ID, Text: text}
}

func TestOpenCreatesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	s, err := Open(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Workspace().IsZero() {
		t.Fatal("a new store has a workspace")
	}
	tm, _ := team(t, 1)
	ingest(t, s, tm.Events...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	if s.Workspace() != tm.Events[0].ID || count(t, s) != 3 {
		t.Fatalf("reopened: workspace %s, %d events", s.Workspace().Short(), count(t, s))
	}
	var id, version int
	s.r.QueryRow("PRAGMA application_id").Scan(&id)
	s.r.QueryRow("PRAGMA user_version").Scan(&version)
	if id != appID || version != len(migrations) {
		t.Fatalf("application_id %#x, user_version %d", id, version)
	}
	var mode string
	var page int
	s.r.QueryRow("PRAGMA journal_mode").Scan(&mode)
	s.r.QueryRow("PRAGMA page_size").Scan(&page)
	if mode != "wal" || page != pageSize {
		t.Fatalf("journal_mode %s, page_size %d", mode, page)
	}
}

// A --home may hold any character: the store is the file named, never a
// truncation of it.
func TestOpenOddPath(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "inc #42? 100% sure")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tminus.db")
	s, err := Open(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := team(t, 2)
	ingest(t, s, tm.Events...)
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store not at its path: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("stray files beside the store's directory: %v", entries)
	}
	s = openAt(t, path)
	if count(t, s) != int64(len(tm.Events)) {
		t.Fatal("reopened store lost events")
	}
}

func TestOpenNotAStore(t *testing.T) {
	dir := t.TempDir()
	random := filepath.Join(dir, "random.db")
	junk := make([]byte, 8192)
	rand.New(rand.NewSource(1)).Read(junk)
	if err := os.WriteFile(random, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 500)), 0o600)

	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	marked := filepath.Join(dir, "marked.db")
	db, _ = sql.Open("sqlite", marked)
	if _, err := db.Exec("PRAGMA application_id = 1234"); err != nil {
		t.Fatal(err)
	}
	db.Exec("PRAGMA user_version = 1")
	db.Close()

	for _, path := range []string{random, text, other, marked} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			before, _ := os.ReadFile(path)
			s, err := Open(bg, path)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, ErrNotAStore) {
				t.Fatalf("Open = %v, want ErrNotAStore", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("a file that is not a store was changed")
			}
		})
	}
	db, _ = sql.Open("sqlite", other)
	defer db.Close()
	var total float64
	if err := db.QueryRow("SELECT total FROM invoices").Scan(&total); err != nil || total != 9.5 {
		t.Fatalf("the other database lost its data: %v", err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	s, err := Open(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	s.w.Exec("PRAGMA user_version = 99")
	s.Close()
	if _, err := Open(bg, path); err == nil || !strings.Contains(err.Error(), "upgrade tminus") {
		t.Fatalf("Open of a newer schema = %v", err)
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.json")
	pass := []byte("correct horse")
	k, err := CreateKey(path, pass, true)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v: %v", info.Mode(), err)
	}
	addr, err := KeyAddress(path)
	if err != nil || addr != crypto.PubkeyToAddress(k.PublicKey) {
		t.Fatalf("KeyAddress = %s, %v", addr.Hex(), err)
	}
	got, err := UnlockKey(path, pass)
	if err != nil || !got.Equal(k) {
		t.Fatalf("UnlockKey: %v", err)
	}

	before, _ := os.ReadFile(path)
	if _, err := UnlockKey(path, []byte("wrong horse")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v, want ErrPassphrase", err)
	}
	if _, err := CreateKey(path, []byte("other"), true); err == nil {
		t.Fatal("CreateKey overwrote an existing key")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the key file changed")
	}
	if got, err := UnlockKey(path, pass); err != nil || !got.Equal(k) {
		t.Fatalf("the key no longer unlocks: %v", err)
	}

	if _, err := CreateKey(filepath.Join(dir, "empty.json"), nil, true); err == nil {
		t.Fatal("empty passphrase accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "empty.json")); !os.IsNotExist(err) {
		t.Fatal("a refused key left a file")
	}
	junk := filepath.Join(dir, "junk.json")
	os.WriteFile(junk, []byte(`{"hello":"world"}`), 0o600)
	if _, err := KeyAddress(junk); err == nil {
		t.Fatal("KeyAddress of a non-keystore file")
	}
	if _, err := UnlockKey(junk, pass); err == nil || errors.Is(err, ErrPassphrase) {
		t.Fatalf("UnlockKey of a non-keystore file: %v", err)
	}
	if _, err := UnlockKey(filepath.Join(dir, "missing.json"), pass); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing key file: %v", err)
	}
}

func TestAppendChain(t *testing.T) {
	s := newStore(t)
	alice, bob := domaintest.Signer(2, 0), domaintest.Signer(2, 1)
	if _, err := s.Append(bg, alice, &domain.Note{Incident: domain.ID{1}, Text: "x"}); !errors.Is(err, ErrNoWorkspace) {
		t.Fatalf("append before a genesis: %v", err)
	}
	g, err := s.Append(bg, alice, &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: alice.Address(), Handle: "alice", Roles: []string{"triage"}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Workspace() != g.ID || g.Seq != 1 || g.Lamport != 1 || !g.WS.IsZero() {
		t.Fatalf("genesis %+v", g.Header)
	}
	if _, err := s.Append(bg, alice, &domain.Genesis{Name: "again", Founder: domain.MemberSpec{Address: alice.Address(), Handle: "alice", Roles: []string{"triage"}}}); err == nil {
		t.Fatal("a second genesis appended")
	}
	add, err := s.Append(bg, alice, &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: bob.Address(), Handle: "bob", Roles: []string{"comms"}}})
	if err != nil {
		t.Fatal(err)
	}
	if add.Seq != 2 || add.Prev != g.ID || add.Lamport != 2 || add.WS != g.ID || len(add.Deps) != 0 {
		t.Fatalf("second event %+v", add.Header)
	}
	b1, err := s.Append(bg, bob, &domain.IncidentDeclare{Title: "x", Severity: "P3"})
	if err != nil {
		t.Fatal(err)
	}
	if b1.Seq != 1 || !b1.Prev.IsZero() || len(b1.Deps) != 1 || b1.Deps[0] != add.ID || b1.Lamport != 3 {
		t.Fatalf("bob's first event %+v", b1.Header)
	}
	b2, err := s.Append(bg, bob, note(b1, "again"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b2.Deps) != 0 || b2.Lamport != 4 {
		t.Fatalf("a head already referenced is named again: %+v", b2.Header)
	}
	a3, err := s.Append(bg, alice, note(b1, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a3.Deps) != 1 || a3.Deps[0] != b2.ID || a3.Lamport != 5 || a3.Prev != add.ID {
		t.Fatalf("alice's third event %+v", a3.Header)
	}
	n := count(t, s)
	if _, err := s.Append(bg, alice, &domain.Note{Incident: b1.ID}); err == nil {
		t.Fatal("an invalid body was appended")
	}
	if count(t, s) != n {
		t.Fatal("a refused append stored something")
	}
	heads, err := s.Heads(bg)
	if err != nil || len(heads) != 2 {
		t.Fatalf("heads %v %v", heads, err)
	}
	for _, h := range heads {
		if (h.Author == alice.Address() && h.ID != a3.ID) || (h.Author == bob.Address() && (h.ID != b2.ID || h.Seq != 2)) {
			t.Fatalf("head %+v", h)
		}
	}
	st, err := s.State(bg)
	if err != nil || len(st.Rejected) != 0 {
		t.Fatalf("state: %v %+v", err, st.Rejected)
	}
	if tl, err := s.Timeline(bg, st, st.Incidents[b1.ID]); err != nil || len(tl) != 3 {
		t.Fatalf("timeline: %v %+v", err, tl)
	}
	// What Append stored is what was signed.
	raw, err := s.Raw(bg, a3.ID)
	if err != nil || !bytes.Equal(raw, a3.Raw) {
		t.Fatalf("Raw: %v", err)
	}
	if _, err := s.Raw(bg, domain.ID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Raw of an unknown id: %v", err)
	}
}

// Two processes on one --home (simulated by two Open calls on one file)
// append with the same key at once: seqs never repeat, nothing is lost.
func TestConcurrentAppendsTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	a, b := openAt(t, path), openAt(t, path)
	tm, inc := team(t, 3)
	ingest(t, a, tm.Events...)
	if err := b.loadWS(bg); err != nil || b.Workspace() != a.Workspace() {
		t.Fatal("second handle does not see the workspace")
	}
	alice, bob := tm.Nodes[0].Signer, tm.Nodes[1].Signer
	const per = 12
	var wg sync.WaitGroup
	errs := make(chan error, 8*per)
	for _, s := range []*Store{a, b} {
		for _, who := range []domain.Signer{alice, alice, bob} {
			wg.Add(1)
			go func(s *Store, who domain.Signer) {
				defer wg.Done()
				for i := 0; i < per; i++ {
					if _, err := s.Append(bg, who, note(inc, "concurrent")); err != nil {
						errs <- err
						return
					}
				}
			}(s, who)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := count(t, a); n != int64(len(tm.Events)+6*per) {
		t.Fatalf("%d events, want %d", n, len(tm.Events)+6*per)
	}
	if forks, _ := a.Forks(bg); len(forks) != 0 {
		t.Fatalf("concurrent appends equivocated: %v", forks)
	}
	for _, c := range []struct {
		who  common.Address
		want int
	}{{alice.Address(), 3 + 4*per}, {bob.Address(), 2 * per}} {
		raws, err := a.Range(bg, c.who, 1, 1000, 1<<30)
		if err != nil || len(raws) != c.want {
			t.Fatalf("range: %d events, want %d: %v", len(raws), c.want, err)
		}
		for i, raw := range raws {
			e, _ := domain.Decode(raw)
			if e.Seq != uint64(i+1) {
				t.Fatalf("seq %d at position %d", e.Seq, i)
			}
		}
	}
	st, err := b.State(bg)
	if err != nil || len(st.Rejected) != 0 {
		t.Fatalf("state: %v, %d rejected", err, len(st.Rejected))
	}
	if tl, err := b.Timeline(bg, st, st.Incidents[inc.ID]); err != nil || len(tl) != 1+6*per {
		t.Fatalf("timeline: %v, %d entries", err, len(tl))
	}
	if storeHash(t, a) != storeHash(t, b) {
		t.Fatal("two handles on one file disagree")
	}
}

func TestViewRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	a, b := openAt(t, path), openAt(t, path)
	tm, inc := team(t, 4)
	bobs := []*domain.Event{}
	for i := 0; i < 5; i++ {
		bobs = append(bobs, do(t, tm, 1, note(inc, "bob")))
	}
	ingest(t, a, tm.Events...)
	b.loadWS(bg)
	v, err := a.NewView(bg)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := v.Refresh(bg); err != nil || changed {
		t.Fatalf("refresh with nothing new: %v %v", changed, err)
	}
	check := func(what string) {
		t.Helper()
		changed, err := v.Refresh(bg)
		if err != nil || !changed {
			t.Fatalf("%s: refresh %v %v", what, changed, err)
		}
		if got, want := stateHash(t, v.State()), storeHash(t, a); got != want {
			t.Fatalf("%s: view and a fresh fold differ", what)
		}
	}

	// 1. An event appended by another process is picked up.
	e, err := b.Append(bg, tm.Nodes[0].Signer, note(inc, "from the other process"))
	if err != nil {
		t.Fatal(err)
	}
	check("append through another handle")
	if tl, err := a.Timeline(bg, v.State(), v.State().Incidents[inc.ID]); err != nil || tl[len(tl)-1].Event != e.ID {
		t.Fatalf("the view does not show the new note: %v", err)
	}

	// 2. A late event that sorts before what the view folded.
	late := domaintest.NewNode(tm.Nodes[2].Signer)
	late.Receive(tm.Events[0])
	old, err := late.Write(note(inc, "late"), domaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, b, old)
	if !old.Key().Less(v.State().Last) {
		t.Fatal("test event is not late")
	}
	check("late event")

	// 3. An equivocation re-folds without the author's events from the fork.
	twin4, err := tm.Nodes[1].Equivocate(bobs[3], note(inc, "twin of 4"))
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, b, twin4)
	check("first fork")
	if v.State().Forked[tm.Addr(1)] != bobs[3].Seq {
		t.Fatalf("forked %v", v.State().Forked)
	}

	// 4. The same author forks again, earlier, with an event that sorts
	// after everything folded: the view must still re-fold.
	head, err := a.Heads(bg)
	if err != nil {
		t.Fatal(err)
	}
	h := bobs[1].Header
	h.Deps, h.Lamport = nil, 0
	for _, hd := range head {
		if hd.Author != tm.Addr(1) {
			h.Deps = append(h.Deps, hd.ID)
			h.Lamport = max(h.Lamport, hd.Lamport+1)
		}
	}
	body, _ := domain.EncodeBody(note(inc, "twin of 2"))
	h.Kind = domain.KindNote
	twin2, err := domain.Seal(h, body, tm.Nodes[1].Signer)
	if err != nil {
		t.Fatal(err)
	}
	if rep := ingest(t, b, twin2); rep.Forks != 1 {
		t.Fatalf("second fork: %+v", rep)
	}
	if !v.State().Last.Less(twin2.Key()) {
		t.Fatal("test fork sorts before the view's last event")
	}
	check("earlier fork by the same author")
	if v.State().Forked[tm.Addr(1)] != bobs[1].Seq {
		t.Fatalf("forked %v, want seq %d", v.State().Forked, bobs[1].Seq)
	}
}

func TestResolve(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 5)
	ingest(t, s, tm.Events...)
	// Two events whose ids share 6 hex characters: ids cover only the
	// header, so grinding times finds a pair without signing.
	a, b := sharedPrefixPair(t, tm)
	ingest(t, s, a, b)
	shared := a.ID.String()[:MinPrefix]
	if b.ID.String()[:MinPrefix] != shared {
		t.Fatal("no shared prefix")
	}

	for _, c := range []struct {
		name   string
		prefix string
		kinds  []string
		want   domain.ID
		err    error
		msg    string
	}{
		{"full id", inc.ID.String(), nil, inc.ID, nil, ""},
		{"six characters", inc.ID.String()[:6], nil, inc.ID, nil, ""},
		{"odd length", inc.ID.String()[:7], nil, inc.ID, nil, ""},
		{"0x and upper case", "0x" + strings.ToUpper(inc.ID.String()[:8]), nil, inc.ID, nil, ""},
		{"kind filter", inc.ID.String()[:6], []string{domain.KindIncidentDeclare}, inc.ID, nil, ""},
		{"kind filter excludes", inc.ID.String()[:6], []string{domain.KindNote}, domain.ID{}, ErrNotFound, ""},
		{"unknown", unknownPrefix(t, s), nil, domain.ID{}, ErrNotFound, "not found"},
		{"ambiguous", shared, nil, domain.ID{}, ErrAmbiguous, "more characters"},
		{"ambiguous resolved by length", a.ID.String()[:20], nil, a.ID, nil, ""},
		{"ambiguous resolved by kind", shared, []string{domain.KindIncidentSev}, b.ID, nil, ""},
		{"upper case with 0X", "0X" + strings.ToUpper(inc.ID.String()[:8]), nil, inc.ID, nil, ""},
		{"too short", inc.ID.String()[:5], nil, domain.ID{}, ErrBadID, "at least 6"},
		{"not hex", "abcdeg", nil, domain.ID{}, ErrBadID, "not hex"},
		{"hex with junk inside", inc.ID.String()[:4] + "-" + inc.ID.String()[4:8], nil, domain.ID{}, ErrBadID, "not hex"},
		{"too long", inc.ID.String() + "00", nil, domain.ID{}, ErrBadID, "longer than an id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := s.Resolve(bg, c.prefix, c.kinds...)
			switch {
			case c.err == nil && c.msg == "":
				if err != nil || id != c.want {
					t.Fatalf("Resolve(%q) = %s, %v; want %s", c.prefix, id.Short(), err, c.want.Short())
				}
			case err == nil:
				t.Fatalf("Resolve(%q) = %s, want an error", c.prefix, id.Short())
			case c.err != nil && !errors.Is(err, c.err):
				t.Fatalf("Resolve(%q) = %v, want %v", c.prefix, err, c.err)
			case !strings.Contains(err.Error(), c.msg):
				t.Fatalf("Resolve(%q) = %v, want it to say %q", c.prefix, err, c.msg)
			}
		})
	}
}

// sharedPrefixPair signs two valid next events of alice and bob whose ids
// share their first MinPrefix hex characters.
func sharedPrefixPair(t *testing.T, tm *domaintest.Team) (*domain.Event, *domain.Event) {
	t.Helper()
	inc := tm.Events[2]
	for _, n := range tm.Nodes {
		for _, e := range tm.Events {
			n.Receive(e)
		}
	}
	type cand struct {
		h    domain.Header
		body []byte
		node int
	}
	bodyA, _ := domain.EncodeBody(note(inc, "a"))
	bodyB, _ := domain.EncodeBody(&domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"})
	seen := map[[3]byte]cand{}
	for i := 0; i < 1<<20; i++ {
		c := cand{node: i % 2, body: bodyA}
		if c.node == 1 {
			c.body = bodyB
		}
		h, _ := tm.Nodes[c.node].Next(map[int]string{0: domain.KindNote, 1: domain.KindIncidentSev}[c.node], domaintest.Epoch+int64(i))
		h.V, h.Author, h.BodyHash = domain.Format, tm.Addr(c.node), crypto.Keccak256Hash(c.body)
		c.h = h
		id := headerID(t, h)
		key := [3]byte{id[0], id[1], id[2]}
		if o, ok := seen[key]; ok && o.node != c.node {
			ea, err := domain.Seal(o.h, o.body, tm.Nodes[o.node].Signer)
			if err != nil {
				t.Fatal(err)
			}
			eb, err := domain.Seal(c.h, c.body, tm.Nodes[c.node].Signer)
			if err != nil {
				t.Fatal(err)
			}
			if ea.Kind != domain.KindNote {
				ea, eb = eb, ea
			}
			return ea, eb
		}
		seen[key] = c
	}
	t.Fatal("no shared prefix found")
	return nil, nil
}

func unknownPrefix(t *testing.T, s *Store) string {
	t.Helper()
	for _, p := range []string{"000000", "ffffff", "123456", "abcdef"} {
		if _, err := s.Resolve(bg, p); errors.Is(err, ErrNotFound) {
			return p
		}
	}
	t.Fatal("every candidate prefix is taken")
	return ""
}

func TestBlobs(t *testing.T) {
	s := newStore(t)
	data := []byte("exit 0\npaused at block 19000000\n")
	h, err := s.PutBlob(bg, data)
	if err != nil {
		t.Fatal(err)
	}
	if h != domain.CommandHash(string(data)) {
		t.Fatalf("blob hash %s is not the sha256", h)
	}
	again, err := s.PutBlob(bg, data)
	if err != nil || again != h {
		t.Fatalf("second put: %s %v", again, err)
	}
	// Write-once: the row is never replaced, even by a forced write.
	if _, err := s.w.Exec("INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?, ?, ?)", h, 3, []byte("bad")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Blob(bg, h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob: %q %v", got, err)
	}
	var rows int
	s.r.QueryRow("SELECT count(*) FROM blobs").Scan(&rows)
	if ok, _ := s.HasBlob(bg, h); !ok || rows != 1 {
		t.Fatalf("has %v, %d rows", ok, rows)
	}
	missing := domain.CommandHash("nothing")
	if _, err := s.Blob(bg, missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
	if ok, _ := s.HasBlob(bg, missing); ok {
		t.Fatal("HasBlob of a missing blob")
	}
	if _, err := s.PutBlob(bg, make([]byte, MaxBlob+1)); err == nil {
		t.Fatal("oversized blob stored")
	}
}

func TestReadPaths(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 6)
	for i := 0; i < 6; i++ {
		do(t, tm, i%2, note(inc, strings.Repeat("n", 100)))
	}
	ingest(t, s, tm.Events...)
	var logged []*domain.Event
	if err := s.Log(bg, func(e *domain.Event, skewed bool) error {
		if err := e.Verify(); err != nil || skewed {
			return errors.New("bad stored event")
		}
		logged = append(logged, e)
		return nil
	}); err != nil || len(logged) != len(tm.Events) {
		t.Fatalf("log: %d events, %v", len(logged), err)
	}
	for i := 1; i < len(logged); i++ {
		if !logged[i-1].Key().Less(logged[i].Key()) {
			t.Fatal("log is not in fold order")
		}
	}
	var after []Row
	s.Events(bg, logged[3].Key(), func(r Row) error { after = append(after, r); return nil })
	if len(after) != len(logged)-4 || after[0].ID != logged[4].ID {
		t.Fatalf("events after the 4th: %d", len(after))
	}
	var arrived []Row
	s.Arrivals(bg, 2, func(r Row) error { arrived = append(arrived, r); return nil })
	if len(arrived) != len(logged)-2 || arrived[0].Arrival != 3 {
		t.Fatalf("arrivals after 2: %d", len(arrived))
	}
	n, _ := s.Arrived(bg)
	if n != int64(len(logged)) {
		t.Fatalf("arrived %d", n)
	}
	raws, err := s.Range(bg, tm.Addr(0), 2, 100, 250)
	if err != nil || len(raws) != 1 {
		t.Fatalf("range capped by bytes: %d %v", len(raws), err)
	}
	raws, _ = s.Range(bg, tm.Addr(0), 2, 2, 1<<20)
	if len(raws) != 2 {
		t.Fatalf("range capped by count: %d", len(raws))
	}
	stop := errors.New("stop")
	if err := s.Log(bg, func(*domain.Event, bool) error { return stop }); !errors.Is(err, stop) {
		t.Fatal("Log does not pass the callback's error")
	}
}

func headerID(t *testing.T, h domain.Header) domain.ID {
	t.Helper()
	b, err := rlp.EncodeToBytes(&h)
	if err != nil {
		t.Fatal(err)
	}
	return domain.ID(crypto.Keccak256Hash(b))
}

// A handle opened on an empty home sees the workspace another process of
// the home stored since (a one-shot sync beside a serve that started
// empty): the serve's node never dialled the roster until restarted.
func TestWorkspaceSeenFromAnotherHandle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	a, b := openAt(t, path), openAt(t, path)
	if !b.Workspace().IsZero() {
		t.Fatal("an empty store has a workspace")
	}
	tm, _ := team(t, 1)
	ingest(t, a, tm.Events...)
	if got := b.Workspace(); got != tm.Events[0].ID {
		t.Fatalf("the other handle's workspace: %s, want %s", got.Short(), tm.Events[0].ID.Short())
	}
}
