package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// forge signs b as node i's next event (after it has seen every team
// event) with its header changed by mut. The node's chain does not move.
func forge(t testing.TB, tm *domaintest.Team, i int, b domain.Body, mut func(*domain.Header)) *domain.Event {
	t.Helper()
	n := tm.Nodes[i]
	for _, e := range tm.Events {
		n.Receive(e)
	}
	h, _ := n.Next(b.Kind(), tm.Clock)
	mut(&h)
	data, err := domain.EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	e, err := domain.Seal(h, data, n.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sealRaw signs arbitrary body bytes under an arbitrary kind.
func sealRaw(t testing.TB, tm *domaintest.Team, i int, kind string, body []byte) []byte {
	t.Helper()
	n := tm.Nodes[i]
	h, _ := n.Next(kind, tm.Clock)
	e, err := domain.Seal(h, body, n.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return e.Raw
}

type envelope struct {
	Header rlp.RawValue
	Sig    []byte
	Body   []byte `rlp:"optional"`
}

func resign(t testing.TB, raw []byte, sig []byte) []byte {
	t.Helper()
	var w envelope
	if err := rlp.DecodeBytes(raw, &w); err != nil {
		t.Fatal(err)
	}
	w.Sig = sig
	out, err := rlp.EncodeToBytes(&w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func highS(sig []byte) []byte {
	s := new(big.Int).SetBytes(sig[32:64])
	twin := append([]byte(nil), sig...)
	new(big.Int).Sub(crypto.S256().Params().N, s).FillBytes(twin[32:64])
	twin[64] = 27 + 28 - twin[64]
	return twin
}

// Rules 1-4 refuse the whole batch with an error naming the event and the
// rule; nothing already stored is lost and nothing of the batch lands.
func TestIngestRefusesBatch(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 20)
	do(t, tm, 1, note(inc, "bob was here"))
	ingest(t, s, tm.Events...)
	good := forge(t, tm, 0, note(inc, "good"), func(*domain.Header) {})

	other := domaintest.NewTeam(21, 1)
	do(t, other, 0, &domain.Genesis{Name: "evil", Founder: spec(other, 0, "mallory", "triage")})
	otherInc := do(t, other, 0, &domain.IncidentDeclare{Title: "x", Severity: "P1"})

	forged := append([]byte(nil), good.Sig...)
	forged[7] ^= 0x80 // r is no longer a point's x: recovery fails
	byBob, _ := tm.Nodes[1].Signer.SignHash(domain.SigningHash(good.ID))
	byBob[64] += 27
	redacted, _ := good.Redact()
	incJSON := `"incident":"` + inc.ID.String() + `"`
	badGenesis := func() []byte {
		// A genesis that names a dep: it would wait forever, claiming the store.
		h := domain.Header{Seq: 1, Lamport: 2, Deps: []domain.ID{inc.ID}, Kind: domain.KindGenesis, Time: uint64(domaintest.Epoch)}
		data, _ := domain.EncodeBody(&domain.Genesis{Name: "x", Founder: spec(tm, 2, "zed", "triage")})
		h.BodyHash = crypto.Keccak256Hash(data)
		h.V, h.Author = domain.Format, tm.Addr(2)
		hdr, _ := rlp.EncodeToBytes(&h)
		id := domain.ID(crypto.Keccak256Hash(hdr))
		sig, _ := tm.Nodes[2].Signer.SignHash(domain.SigningHash(id))
		sig[64] += 27
		raw, _ := rlp.EncodeToBytes(&envelope{Header: hdr, Sig: sig, Body: data})
		return raw
	}()

	cases := []struct {
		name string
		raw  []byte
		want error
		msg  string
	}{
		{"1 garbage", []byte("definitely not rlp"), domain.ErrMalformed, ""},
		{"1 oversized", make([]byte, domain.MaxEventSize+10), domain.ErrTooLarge, ""},
		{"1 redacted", redacted.Raw, nil, "redacted"},
		{"1 unknown kind", sealRaw(t, tm, 0, "incident.delete", []byte(`{`+incJSON+`}`)), domain.ErrMalformed, "unknown kind"},
		{"1 non-canonical body", sealRaw(t, tm, 0, domain.KindNote, []byte(`{"text":"hi",`+incJSON+`}`)), domain.ErrMalformed, "canonical"},
		{"1 invalid body", sealRaw(t, tm, 0, domain.KindNote, []byte(`{`+incJSON+`,"text":""}`)), domain.ErrMalformed, "text is required"},
		{"1 genesis with deps", badGenesis, domain.ErrMalformed, "genesis"},
		{"2 forged signature", resign(t, good.Raw, forged), domain.ErrBadSignature, ""},
		{"2 signed by another key", resign(t, good.Raw, byBob), domain.ErrWrongAuthor, ""},
		{"2 high-S twin", resign(t, good.Raw, highS(good.Sig)), domain.ErrHighS, ""},
		{"3 wrong workspace", otherInc.Raw, ErrWorkspace, "belongs to workspace"},
		{"3 second genesis", other.Events[0].Raw, ErrWorkspace, "founds another workspace"},
		{"4 prev is another author's event", forge(t, tm, 1, note(inc, "x"), func(h *domain.Header) { h.Prev = tm.Events[1].ID }).Raw, ErrBrokenChain, "prev"},
		{"4 prev is an older own event", forge(t, tm, 0, note(inc, "x"), func(h *domain.Header) { h.Prev = tm.Events[1].ID }).Raw, ErrBrokenChain, "seq 3"},
		{"4 seq skips over its prev", forge(t, tm, 0, note(inc, "x"), func(h *domain.Header) { h.Seq++ }).Raw, ErrBrokenChain, ""},
		{"4 lamport jumps ahead", forge(t, tm, 0, note(inc, "x"), func(h *domain.Header) { h.Lamport += 1000 }).Raw, ErrLamport, "want"},
		{"4 lamport lags", forge(t, tm, 0, note(inc, "x"), func(h *domain.Header) { h.Lamport-- }).Raw, ErrLamport, ""},
		{"4 lamport ignores a dep", forge(t, tm, 2, note(inc, "x"), func(h *domain.Header) { h.Lamport = 1 }).Raw, ErrLamport, ""},
	}
	before, beforeHash := count(t, s), storeHash(t, s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := s.Ingest(bg, [][]byte{good.Raw, c.raw})
			if err == nil {
				t.Fatalf("batch accepted: %+v", rep)
			}
			var be *BatchError
			if !errors.As(err, &be) || be.Index != 1 || !strings.Contains(err.Error(), "event 2 of the batch") {
				t.Fatalf("error %q does not name event 2 of the batch", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %q, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
			if len(rep.Added) != 0 || count(t, s) != before || orphans(t, s) != 0 {
				t.Fatalf("a refused batch changed the store: %+v, %d events", rep, count(t, s))
			}
		})
	}
	if storeHash(t, s) != beforeHash {
		t.Fatal("refused batches changed the state")
	}
	if rep := ingest(t, s, good); len(rep.Added) != 1 {
		t.Fatalf("the good event alone: %+v", rep)
	}

}

// A fresh replica may receive another author's chain before the genesis:
// those events wait for it, and land when it comes.
func TestIngestBeforeGenesisWaits(t *testing.T) {
	tm, inc := team(t, 23)
	empty := newStore(t)
	rep, err := empty.Ingest(bg, [][]byte{inc.Raw})
	if err != nil || rep.Orphaned != 1 || count(t, empty) != 0 {
		t.Fatalf("an event before its genesis: %+v, %v", rep, err)
	}
	if empty.Workspace() != (domain.ID{}) {
		t.Fatal("a parked event founded a workspace")
	}
	ingest(t, empty, tm.Events...)
	if n := count(t, empty); n != int64(len(tm.Events)) {
		t.Fatalf("%d of %d events stored once the genesis came", n, len(tm.Events))
	}
	if o, _ := empty.Orphans(bg); o != 0 {
		t.Fatalf("%d orphans left", o)
	}
}

// One bad event in the middle of a batch refuses the batch, names its
// position, and stores nothing of it; the batch without it goes in whole.
func TestIngestBadEventInMiddle(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 22)
	ingest(t, s, tm.Events[:1]...)
	for i := 0; i < 8; i++ {
		do(t, tm, i%2, note(inc, fmt.Sprint("n", i)))
	}
	raws := domaintest.Raws(tm.Events[1:])
	bad := append(raws[:5:5], []byte{0xc0})
	bad = append(bad, raws[5:]...)
	_, err := s.Ingest(bg, bad)
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 5 || !errors.Is(err, domain.ErrMalformed) {
		t.Fatalf("Ingest = %v, want the 6th event named", err)
	}
	if count(t, s) != 1 || orphans(t, s) != 0 {
		t.Fatalf("%d events, %d orphans after a refused batch", count(t, s), orphans(t, s))
	}
	rep, err := s.Ingest(bg, raws)
	if err != nil || len(rep.Added) != len(raws) {
		t.Fatalf("%+v %v", rep, err)
	}
}

// Rule 4, waiting: an event whose prev or deps are unknown waits in
// orphans, is counted nowhere else, and is checked and stored when they
// arrive, in whatever batch and order.
func TestIngestOrphans(t *testing.T) {
	tm, inc := team(t, 23)
	base := len(tm.Events)
	p := do(t, tm, 0, note(inc, "P: alice"))      // alice seq 4
	d := do(t, tm, 1, note(inc, "D: bob sees P")) // bob seq 1, deps P
	o := do(t, tm, 0, note(inc, "O: after P, D")) // prev P, deps D
	q := do(t, tm, 0, note(inc, "Q: after O"))    // prev O
	r := do(t, tm, 1, note(inc, "R: bob sees Q")) // prev D, deps Q
	if o.Prev != p.ID || len(o.Deps) != 1 || o.Deps[0] != d.ID {
		t.Fatalf("O's prev/deps: %+v", o.Header)
	}
	want := stateHash(t, domain.Fold(tm.Events, nil))

	for _, c := range []struct {
		name    string
		batches [][]*domain.Event
	}{
		{"gap: seq 5 before seq 4", [][]*domain.Event{{o}, {p, d}, {q, r}}},
		{"unknown dep, then prev arrives after the dep", [][]*domain.Event{{o, q}, {d}, {p}, {r}}},
		{"everything reversed in one batch", [][]*domain.Event{{r, q, o, d, p}}},
		{"prev and dep missing, arriving in one batch", [][]*domain.Event{{r}, {o}, {q}, {p, d}}},
		{"each alone, newest first", [][]*domain.Event{{r}, {q}, {o}, {d}, {p}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			ingest(t, s, tm.Events[:base]...)
			stored := int64(base)
			for i, b := range c.batches {
				rep := ingest(t, s, b...)
				stored += int64(len(rep.Added))
				if count(t, s) != stored {
					t.Fatalf("batch %d: %d events, report says %d", i, count(t, s), stored)
				}
				if len(rep.Dropped) != 0 {
					t.Fatalf("batch %d dropped %v", i, rep.Dropped)
				}
			}
			if n := orphans(t, s); n != 0 || count(t, s) != int64(len(tm.Events)) {
				t.Fatalf("%d orphans left, %d of %d events stored", n, count(t, s), len(tm.Events))
			}
			if got := storeHash(t, s); got != want {
				t.Fatal("state differs from the fold of the same events")
			}
		})
	}
}

// An orphan that turns out to break its chain when its prev arrives is
// dropped alone, and the event that released it is stored.
func TestIngestOrphanDroppedWhenReleased(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 24)
	ingest(t, s, tm.Events...)
	p := do(t, tm, 1, note(inc, "bob 1"))
	liar := forge(t, tm, 1, note(inc, "bob 2, clock jumped"), func(h *domain.Header) { h.Lamport += 50 })
	if rep := ingest(t, s, liar); rep.Orphaned != 1 {
		t.Fatalf("%+v", rep)
	}
	rep := ingest(t, s, p)
	if len(rep.Added) != 1 || rep.Added[0] != p.ID || len(rep.Dropped) != 1 || !strings.Contains(rep.Dropped[0], "lamport") {
		t.Fatalf("%+v", rep)
	}
	if orphans(t, s) != 0 || count(t, s) != int64(len(tm.Events)) {
		t.Fatal("the liar was kept")
	}
}

// Rule 5: a known id is ignored, in another batch or the same one.
func TestIngestDuplicate(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 25)
	do(t, tm, 1, note(inc, "x"))
	ingest(t, s, tm.Events...)
	h := storeHash(t, s)
	rep := ingest(t, s, tm.Events...)
	if rep.Duplicates != len(tm.Events) || len(rep.Added) != 0 || count(t, s) != int64(len(tm.Events)) {
		t.Fatalf("re-ingest: %+v", rep)
	}
	e := do(t, tm, 0, note(inc, "y"))
	rep = ingest(t, s, e, e, e)
	if len(rep.Added) != 1 || rep.Duplicates != 2 {
		t.Fatalf("one event three times in a batch: %+v", rep)
	}
	if storeHash(t, s) == h {
		t.Fatal("state did not move")
	}
}

// Rule 6: two events for one (author, seq) are both kept, the pair is
// recorded, and the fold stops counting the author from that seq, on
// every replica, whichever of the pair arrived first.
func TestIngestEquivocation(t *testing.T) {
	tm, inc := team(t, 26)
	var bobs []*domain.Event
	for i := 0; i < 4; i++ {
		bobs = append(bobs, do(t, tm, 1, note(inc, fmt.Sprint("bob ", i))))
	}
	do(t, tm, 0, note(inc, "alice after bob"))
	twin, err := tm.Nodes[1].Equivocate(bobs[1], &domain.IncidentSeverity{Incident: inc.ID, Severity: "P4"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := newStore(t), newStore(t)
	ingest(t, a, tm.Events...)
	na := count(t, a)
	rep := ingest(t, a, twin)
	if rep.Forks != 1 || len(rep.Added) != 1 || count(t, a) != na+1 {
		t.Fatalf("equivocation: %+v", rep)
	}
	// b gets the twin first, then the chain that continues from the original.
	ingest(t, b, tm.Events[:3]...)
	ingest(t, b, bobs[0], twin)
	rep = ingest(t, b, tm.Events[3:]...)
	if rep.Forks != 1 {
		t.Fatalf("equivocation found second: %+v", rep)
	}
	for _, s := range []*Store{a, b} {
		forks, err := s.Forks(bg)
		if err != nil || !reflect.DeepEqual(forks, map[common.Address]uint64{tm.Addr(1): 2}) {
			t.Fatalf("forks %v %v", forks, err)
		}
		proofs, err := s.ForkProofs(bg)
		if err != nil || len(proofs) != 1 {
			t.Fatalf("proofs %v", err)
		}
		pa, _ := domain.Decode(proofs[0].A)
		pb, _ := domain.Decode(proofs[0].B)
		if pa.Author != pb.Author || pa.Seq != pb.Seq || pa.ID == pb.ID || pa.Verify() != nil || pb.Verify() != nil {
			t.Fatal("the proof is not two signed events for one seq")
		}
		st, err := s.State(bg)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range append(bobs, twin) {
			r := ""
			for _, rj := range st.Rejected {
				if rj.Event == e.ID {
					r = rj.Reason
				}
			}
			if (e.Seq >= 2) != strings.Contains(r, domain.ErrForked.Error()) {
				t.Fatalf("bob's seq %d: rejection %q", e.Seq, r)
			}
		}
	}
	if storeHash(t, a) != storeHash(t, b) {
		t.Fatal("replicas disagree about an equivocation")
	}
	all := append(append([]*domain.Event(nil), tm.Events...), twin)
	if storeHash(t, a) != stateHash(t, domain.Fold(all, map[common.Address]uint64{tm.Addr(1): 2})) {
		t.Fatal("store and fold disagree")
	}
}

// Rule 7: an event dated more than MaxSkew ahead of the receiver's clock
// is stored and flagged.
func TestIngestSkewed(t *testing.T) {
	s := newStore(t)
	now := time.UnixMilli(domaintest.Epoch + 3_600_000)
	s.Now = func() time.Time { return now }
	tm, inc := team(t, 27)
	ingest(t, s, tm.Events...)
	tm.Clock = now.Add(MaxSkew).UnixMilli() // exactly at the limit: fine
	onTime := do(t, tm, 1, note(inc, "at the limit"))
	tm.Clock = now.Add(24 * time.Hour).UnixMilli()
	ahead := do(t, tm, 1, note(inc, "from tomorrow"))
	rep := ingest(t, s, onTime, ahead)
	if rep.Skewed != 1 || len(rep.Added) != 2 {
		t.Fatalf("%+v", rep)
	}
	skewed := map[domain.ID]bool{}
	s.Arrivals(bg, 0, func(r Row) error { skewed[r.ID] = r.Skewed; return nil })
	if !skewed[ahead.ID] || skewed[onTime.ID] {
		t.Fatalf("skew flags %v", skewed)
	}
	s.Log(bg, func(e *domain.Event, sk bool) error {
		if sk != (e.ID == ahead.ID) {
			t.Errorf("Log: %s skewed=%v", e.ID.Short(), sk)
		}
		return nil
	})
	st, _ := s.State(bg)
	if len(st.Rejected) != 0 {
		t.Fatal("a skewed event does not count")
	}
}

// A late event, one that sorts before the newest snapshot, makes that
// snapshot untrue: it is dropped, older ones stay, and the state is the
// fold of every event.
func TestLateEventInvalidatesSnapshot(t *testing.T) {
	lowerSnapshots(t, 10)
	h, err := domaintest.Generate(31, 4, 300)
	if err != nil {
		t.Fatal(err)
	}
	// In fold order every prefix is causally closed: deps and prev have
	// lower lamports.
	evs := append([]*domain.Event(nil), h.Events...)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
	third := len(evs) / 3
	s := newStore(t)
	ingest(t, s, evs[:third]...)
	s.State(bg)
	k1 := snapshotKeys(t, s)
	if len(k1) != 1 || k1[0] != evs[third-1].Key() {
		t.Fatalf("snapshots after the first third: %v", k1)
	}
	// The next event in fold order arrives last; everything after it
	// that builds on it waits.
	late := evs[third]
	rep := ingest(t, s, evs[third+1:]...)
	if rep.Orphaned == 0 {
		t.Fatal("nothing waited for the late event")
	}
	s.State(bg)
	k2 := snapshotKeys(t, s)
	if len(k2) != 2 || k2[0] != k1[0] || !late.Key().Less(k2[1]) {
		t.Fatalf("snapshots %v; late event %v", k2, late.Key())
	}
	rep = ingest(t, s, late)
	if len(rep.Added) < 2 || rep.Added[0] != late.ID {
		t.Fatalf("the late event released nothing: %+v", rep)
	}
	if orphans(t, s) != 0 || count(t, s) != int64(len(evs)) {
		t.Fatalf("%d orphans, %d of %d events", orphans(t, s), count(t, s), len(evs))
	}
	if k3 := snapshotKeys(t, s); len(k3) != 1 || k3[0] != k1[0] {
		t.Fatalf("snapshots after the late event: %v, want only %v", k3, k1[0])
	}
	if got, want := storeHash(t, s), stateHash(t, domain.Fold(evs, nil)); got != want {
		t.Fatal("state after a late event differs from the full fold")
	}
}

func lowerSnapshots(t testing.TB, every int) {
	t.Helper()
	old := snapshotEvery
	snapshotEvery = every
	t.Cleanup(func() { snapshotEvery = old })
}

// snapshotKeys lists the stored snapshots, checking that each has parts
// and that no part outlived its snapshot.
func snapshotKeys(t *testing.T, s *Store) []domain.Key {
	t.Helper()
	var stray, bare int
	s.r.QueryRow(`SELECT count(*) FROM snapshot_parts p WHERE NOT EXISTS
		(SELECT 1 FROM snapshots s WHERE s.lamport = p.lamport AND s.id = p.id)`).Scan(&stray)
	s.r.QueryRow(`SELECT count(*) FROM snapshots s WHERE NOT EXISTS
		(SELECT 1 FROM snapshot_parts p WHERE s.lamport = p.lamport AND s.id = p.id)`).Scan(&bare)
	if stray > 0 || bare > 0 {
		t.Fatalf("%d snapshot parts without their snapshot, %d snapshots without parts", stray, bare)
	}
	rows, err := s.r.Query("SELECT lamport, id FROM snapshots ORDER BY lamport, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []domain.Key
	for rows.Next() {
		var k domain.Key
		var id []byte
		rows.Scan(&k.Lamport, &id)
		copy(k.ID[:], id)
		out = append(out, k)
	}
	return out
}

// The same events, ingested into fresh stores in random batches (events
// before their chain, late events under snapshots, an equivocation),
// give the same state as the pure fold, in every store and every view.
func TestStoreConvergence(t *testing.T) {
	lowerSnapshots(t, 12)
	snapshots, invalidated := 0, 0
	for _, seed := range []int64{1, 2, 3, 4} {
		h, err := domaintest.Generate(seed, 3+int(seed%3), 250)
		if err != nil {
			t.Fatal(err)
		}
		var mine []*domain.Event
		for _, e := range h.Events {
			if e.Author == h.Nodes[1].Address() {
				mine = append(mine, e)
			}
		}
		at := mine[len(mine)/2]
		twin, err := h.Nodes[1].Equivocate(at, &domain.Note{Incident: domain.ID{1}, Text: "the other story"})
		if err != nil {
			t.Fatal(err)
		}
		all := append(append([]*domain.Event(nil), h.Events...), twin)
		forks := map[common.Address]uint64{h.Nodes[1].Address(): at.Seq}
		want := stateHash(t, domain.Fold(all, forks))
		rng := rand.New(rand.NewSource(seed))
		for run := 0; run < 3; run++ {
			s := openAt(t, filepath.Join(t.TempDir(), fmt.Sprintf("s%d.db", run)))
			ingest(t, s, all[0]) // the genesis: a store joins a workspace first
			v, err := s.NewView(bg)
			if err != nil {
				t.Fatal(err)
			}
			rest := append([]*domain.Event(nil), all[1:]...)
			rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
			for len(rest) > 0 {
				n := min(len(rest), 1+rng.Intn(40))
				before := len(snapshotKeys(t, s))
				if _, err := s.Ingest(bg, domaintest.Raws(rest[:n])); err != nil {
					t.Fatalf("seed %d run %d: %v", seed, run, err)
				}
				if len(snapshotKeys(t, s)) < before {
					invalidated++
				}
				rest = rest[n:]
				if rng.Intn(3) == 0 {
					if _, err := s.State(bg); err != nil {
						t.Fatal(err)
					}
					snapshots += len(snapshotKeys(t, s))
				}
				if _, err := v.Refresh(bg); err != nil {
					t.Fatal(err)
				}
			}
			if n, o := count(t, s), orphans(t, s); n != int64(len(all)) || o != 0 {
				t.Fatalf("seed %d run %d: %d of %d events stored, %d orphans", seed, run, n, len(all), o)
			}
			if got, _ := s.Forks(bg); !reflect.DeepEqual(got, forks) {
				t.Fatalf("seed %d run %d: forks %v, want %v", seed, run, got, forks)
			}
			if got := storeHash(t, s); got != want {
				t.Fatalf("seed %d run %d: store state %s, fold %s", seed, run, got, want)
			}
			if got := stateHash(t, v.State()); got != want {
				t.Fatalf("seed %d run %d: view state differs", seed, run)
			}
			if got := storeHash(t, s); got != want { // again, from a snapshot
				t.Fatalf("seed %d run %d: state from a snapshot differs", seed, run)
			}
		}
	}
	if snapshots == 0 || invalidated == 0 {
		t.Fatalf("snapshots not exercised: %d taken, %d invalidated", snapshots, invalidated)
	}
	t.Logf("%d snapshots seen, %d invalidated by late events or forks", snapshots, invalidated)
}

// FuzzIngest: whatever one event's bytes are, Ingest into a store holding
// a workspace never panics, and refuses or stores without losing what was
// there.
func FuzzIngest(f *testing.F) {
	tm, inc := team(f, 40)
	next := do(f, tm, 1, note(inc, "bob"))
	f.Add(next.Raw)
	f.Add(tm.Events[1].Raw)
	f.Add([]byte{0xc0})
	twin, _ := tm.Nodes[1].Equivocate(next, note(inc, "twin"))
	f.Add(twin.Raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := newStore(t)
		ingest(t, s, tm.Events[:3]...)
		_, err := s.Ingest(bg, [][]byte{raw})
		if n := count(t, s); n < 3 || (err != nil && n != 3) {
			t.Fatalf("%d events after %v", n, err)
		}
		if _, err := s.State(bg); err != nil {
			t.Fatal(err)
		}
	})
}

// A batch checked ahead (Check, as a sync session starts the next round
// while the writer stores the one before) is stored by IngestChecked under
// the same rules as IngestEvents: rounds checked together land in order, a
// bad signature refuses its round whole, and a batch is stored once.
func TestIngestChecked(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 23)
	for i := 0; i < 12; i++ {
		do(t, tm, i%3, note(inc, fmt.Sprint("n", i)))
	}
	decoded := func(evs []*domain.Event) []*domain.Event {
		out := make([]*domain.Event, len(evs))
		for i, e := range evs {
			d, err := domain.Decode(e.Raw)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = d
		}
		return out
	}
	half := len(tm.Events) / 2
	first, second := s.Check(bg, decoded(tm.Events[:half])), s.Check(bg, decoded(tm.Events[half:]))
	for i, c := range []*Checking{first, second} {
		rep, err := s.IngestChecked(bg, c)
		if err != nil || rep.Orphaned != 0 {
			t.Fatalf("round %d: %+v, %v", i+1, rep, err)
		}
	}
	if n := count(t, s); n != int64(len(tm.Events)) {
		t.Fatalf("%d events stored, want %d", n, len(tm.Events))
	}
	if _, err := s.IngestChecked(bg, first); err == nil {
		t.Fatal("a checked batch was stored twice")
	}

	do(t, tm, 0, note(inc, "late"))
	do(t, tm, 1, note(inc, "later"))
	tail := decoded(tm.Events[len(tm.Events)-2:])
	forged := append([]byte(nil), tail[1].Raw...)
	bad, err := domain.Decode(resign(t, forged, highS(tail[1].Sig)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.IngestChecked(bg, s.Check(bg, []*domain.Event{tail[0], bad}))
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, domain.ErrHighS) {
		t.Fatalf("IngestChecked = %v, want the 2nd event refused for its high S", err)
	}
	if n := count(t, s); n != int64(len(tm.Events)-2) {
		t.Fatalf("%d events after a refused round, want %d", n, len(tm.Events)-2)
	}

	ctx, cancel := context.WithCancel(bg)
	c := s.Check(ctx, tail)
	cancel()
	if _, err := s.IngestChecked(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("IngestChecked after cancel = %v", err)
	}
	if n := count(t, s); n != int64(len(tm.Events)-2) {
		t.Fatalf("%d events after a cancelled round, want %d", n, len(tm.Events)-2)
	}
}

// In a batch large enough for signatures to be checked together, one
// forged event still refuses the batch and is named, and nothing of it is
// stored; the same events unforged are then stored whole.
func TestIngestLargeBatchNamesForgedEvent(t *testing.T) {
	evs, err := domaintest.Linear(31, 3, 3000)
	if err != nil {
		t.Fatal(err)
	}
	raws := domaintest.Raws(evs)
	flipV := func(raw []byte) []byte {
		e, err := domain.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		sig := append([]byte(nil), e.Sig...)
		sig[64] = 27 + 28 - sig[64]
		return resign(t, raw, sig)
	}
	otherKey := func(raw []byte) []byte {
		e, err := domain.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := domaintest.Signer(99, 0).SignHash(domain.SigningHash(e.ID))
		if err != nil {
			t.Fatal(err)
		}
		sig[64] += 27
		return resign(t, raw, sig)
	}
	s := newStore(t)
	for _, c := range []struct {
		name string
		at   int
		harm func([]byte) []byte
	}{
		{"recovery id flipped", 2500, flipV},
		{"signed by a stranger", 1200, otherKey},
		{"recovery id flipped, last", 2999, flipV},
	} {
		bad := append([][]byte(nil), raws...)
		bad[c.at] = c.harm(raws[c.at])
		_, err := s.Ingest(bg, bad)
		var be *BatchError
		if !errors.As(err, &be) || be.Index != c.at ||
			!(errors.Is(err, domain.ErrWrongAuthor) || errors.Is(err, domain.ErrBadSignature)) {
			t.Fatalf("%s: Ingest = %v, want event %d named", c.name, err, c.at+1)
		}
		if n := count(t, s); n != 0 {
			t.Fatalf("%s: %d events stored from a refused batch", c.name, n)
		}
	}
	rep, err := s.Ingest(bg, raws)
	if err != nil || len(rep.Added) != len(raws) {
		t.Fatalf("the unforged batch: %d added, %v", len(rep.Added), err)
	}
}
