package sync

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// evidence has m store data and append an evidence.add naming it; it
// returns the blob's hash and the event's raw bytes.
func evidence(t *testing.T, w *workspace, m *member, data []byte, keep bool) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	hash := store.BlobHash(data)
	if keep {
		if _, err := m.st.PutBlob(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	e, err := m.st.Append(ctx, m.signer, &domain.EvidenceAdd{Incident: w.inc, Name: "relayer.log", SHA256: hash, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	return hash, e.Raw
}

func has(st *store.Store, hash string) bool {
	ok, err := st.HasBlob(context.Background(), hash)
	return err == nil && ok
}

func hasEvent(st *store.Store, raw []byte) bool {
	e, err := domain.Decode(raw)
	if err != nil {
		return false
	}
	_, err = st.Raw(context.Background(), e.ID)
	return err == nil
}

// The tester's repro: b adds evidence; a gets the event from c, which
// lacks the file. Once a and b connect, a asks b for it.
func TestBlobAskedOfAPeerConnectedLater(t *testing.T) {
	w := newWorkspace(t, 71, 3)
	a, b, c := w.members[0], w.members[1], w.members[2]
	hash, raw := evidence(t, w, b, []byte("the relayer's log\n"), true)
	if _, err := c.st.Ingest(context.Background(), [][]byte{raw}); err != nil {
		t.Fatal(err)
	}
	w.start()
	w.link(0, 2)
	waitFor(t, 20*time.Second, "a to get the evidence event from c", func() bool { return hasEvent(a.st, raw) })
	if has(a.st, hash) {
		t.Fatal("a has the blob before meeting b: c did not hold it")
	}
	w.link(0, 1)
	waitFor(t, 20*time.Second, "a to fetch the blob from b", func() bool { return has(a.st, hash) })
	got, err := a.st.VerifiedBlob(context.Background(), hash)
	if err != nil || string(got) != "the relayer's log\n" {
		t.Fatalf("a's copy: %q, %v", got, err)
	}
}

// The same, with b already connected when the event arrives from c: the
// store gaining events has the session with b look again.
func TestBlobAskedWhenTheEventArrivesElsewhere(t *testing.T) {
	w := newWorkspace(t, 72, 3)
	a, b, c := w.members[0], w.members[1], w.members[2]
	data := []byte("pcap of the drain\n")
	if _, err := b.st.PutBlob(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	// c writes the event naming the file without holding it (as after a
	// bundle); b holds the file but has not seen the event.
	hash, raw := evidence(t, w, c, data, false)
	w.start()
	w.link(0, 1)
	waitFor(t, 20*time.Second, "a and b to connect", func() bool { return len(a.node.Connected()) == 1 })
	w.link(0, 2)
	waitFor(t, 20*time.Second, "a to fetch the blob from b", func() bool { return has(a.st, hash) })
	if !hasEvent(a.st, raw) {
		t.Fatal("a has the blob but not the event")
	}
}

// scanPeer is a hand-driven peer that holds the workspace of w's first
// member and answers every blob request "not here", counting the asks.
type scanPeer struct {
	t     *testing.T
	hp    *handPeer
	errc  chan error
	asked map[string]int
	out   int // asked and not yet answered
}

func newScanPeer(t *testing.T, st *store.Store) *scanPeer {
	end1, end2 := p2p.MsgPipe()
	t.Cleanup(func() { end1.Close(); end2.Close() })
	p := &scanPeer{t: t, hp: newHandPeer(t, end2), asked: map[string]int{}}
	_, p.errc = runSession(t, st, end1)
	p.hp.expect(StatusMsg)
	if err := p.hp.send(StatusMsg, &Status{WS: st.Workspace(), Heads: nil}); err != nil {
		t.Fatal(err)
	}
	return p
}

// next reads one GetBlobs and answers each hash of it "not here".
func (p *scanPeer) next() []string {
	p.t.Helper()
	var g GetBlobs
	if err := rlp.DecodeBytes(p.hp.expect(GetBlobsMsg).data, &g); err != nil {
		p.t.Fatal(err)
	}
	p.out += len(g.Hashes)
	if p.out > blobFlight {
		p.t.Fatalf("%d blobs asked for at once, over the bound of %d", p.out, blobFlight)
	}
	for _, h := range g.Hashes {
		p.asked[h]++
		if err := p.hp.send(BlobsMsg, &Blobs{Data: [][]byte{nil}}); err != nil {
			p.t.Fatal(err)
		}
		p.out--
	}
	return g.Hashes
}

// A session asks for the store's missing blobs a few at a time, and a
// blob its peer lacks is not asked of it again, even when the store's
// list is read again.
func TestScanBoundsAndRemembersNotHere(t *testing.T) {
	w := newWorkspace(t, 73, 1)
	a := w.members[0]
	const n = 3*blobFlight + 1
	want := map[string]bool{}
	for i := range n {
		h, _ := evidence(t, w, a, []byte(fmt.Sprintf("lost capture %d", i)), false)
		want[h] = true
	}
	p := newScanPeer(t, a.st)
	// Unanswered, the session stops at blobFlight asks. (A slow machine
	// can only make this pass wrongly, never fail wrongly.)
	var held []string
	for len(held) < blobFlight {
		var g GetBlobs
		if err := rlp.DecodeBytes(p.hp.expect(GetBlobsMsg).data, &g); err != nil {
			t.Fatal(err)
		}
		held = append(held, g.Hashes...)
	}
	time.Sleep(200 * time.Millisecond)
	for drained := false; !drained; {
		select {
		case m := <-p.hp.in:
			if m.code == GetBlobsMsg {
				t.Fatalf("more than %d blobs asked for before any answer", blobFlight)
			}
		default:
			drained = true
		}
	}
	if len(held) != blobFlight {
		t.Fatalf("%d blobs asked for at once, want %d", len(held), blobFlight)
	}
	for _, h := range held {
		p.asked[h]++
		if err := p.hp.send(BlobsMsg, &Blobs{Data: [][]byte{nil}}); err != nil {
			t.Fatal(err)
		}
	}
	for len(p.asked) < n {
		for _, h := range p.next() {
			if !want[h] {
				t.Fatalf("asked for %s, which the store does not miss", h[:12])
			}
		}
	}
	// One more missing blob: the store gains an event, the session reads
	// the list again and asks for the new one alone.
	extra, _ := evidence(t, w, a, []byte("one more"), false)
	got := p.next()
	if len(got) != 1 || got[0] != extra {
		t.Fatalf("second pass asked for %d blobs (%v), want only the new one", len(got), got)
	}
	for h, k := range p.asked {
		if k != 1 {
			t.Errorf("blob %s asked for %d times", h[:12], k)
		}
	}
	select {
	case err := <-p.errc:
		t.Fatalf("session ended: %v", err)
	default:
	}
}

// A peer that answers a blob request with other bytes than the blob's is
// misbehaving, and what it sent is not kept.
func TestWrongBlobIsMisbehaviour(t *testing.T) {
	w := newWorkspace(t, 74, 1)
	a := w.members[0]
	evidence(t, w, a, []byte("the real capture"), false)
	p := newScanPeer(t, a.st)
	var g GetBlobs
	if err := rlp.DecodeBytes(p.hp.expect(GetBlobsMsg).data, &g); err != nil {
		t.Fatal(err)
	}
	forged := []byte("a forged capture")
	if err := p.hp.send(BlobsMsg, &Blobs{Data: [][]byte{forged}}); err != nil && !errors.Is(err, p2p.ErrPipeClosed) {
		t.Fatal(err)
	}
	if err := waitErr(t, p.errc, 10*time.Second); !errors.Is(err, ErrMisbehaved) {
		t.Fatalf("session ended with %v, want misbehaviour", err)
	}
	if has(a.st, store.BlobHash(forged)) {
		t.Fatal("the forged blob was kept")
	}
}

// Zero bytes (a run that printed nothing) are not asked of a peer, whose
// empty answer would read as "not here": the replica stores them itself.
func TestEmptyBlobNeedsNoPeer(t *testing.T) {
	w := newWorkspace(t, 75, 2)
	a, b := w.members[0], w.members[1]
	hash, _ := evidence(t, w, a, nil, true)
	_, sb := oneShot(t, a.st, b.st)
	if !has(b.st, hash) {
		t.Fatalf("b lacks the empty blob (%+v)", sb.Stats)
	}
}

// A peer that lacked a blob and got it later (from another member) is
// asked again once notHereFor has passed, on the session's next look.
func TestBlobAskedAgainOfAPeerThatGotItLater(t *testing.T) {
	// Restored at cleanup, registered before the workspace's: after its
	// nodes, whose sessions read these, have stopped.
	every, wait := blobScanEvery, notHereFor
	t.Cleanup(func() { blobScanEvery, notHereFor = every, wait })
	blobScanEvery, notHereFor = 100*time.Millisecond, 200*time.Millisecond
	w := newWorkspace(t, 76, 2)
	a, c := w.members[0], w.members[1]
	data := []byte("late capture\n")
	hash, raw := evidence(t, w, c, data, false)
	w.start()
	w.link(0, 1)
	waitFor(t, 20*time.Second, "a to get the event from c", func() bool { return hasEvent(a.st, raw) })
	if _, err := c.st.PutBlob(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a to fetch the blob c got later", func() bool { return has(a.st, hash) })
}
