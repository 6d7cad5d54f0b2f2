package sync

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// badSetup is a two-member workspace: a (the session under test, holding
// only the seed) and src, which holds notes by member 1 that a lacks.
type badSetup struct {
	w    *workspace
	a    *store.Store
	hp   *handPeer
	errc chan error
	sess *Session
	raws [][]byte // member 1's notes, seq 1..n
}

func newBad(t *testing.T, notes int) *badSetup {
	w := newWorkspace(t, 21, 2)
	ctx := context.Background()
	m := w.members[1]
	for i := 0; i < notes; i++ {
		if _, err := m.st.Append(ctx, m.signer, &domain.Note{Incident: w.inc, Text: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	raws, err := m.st.Range(ctx, m.signer.Address(), 1, 1000, MaxEventsBytes)
	if err != nil {
		t.Fatal(err)
	}
	end1, end2 := p2p.MsgPipe()
	t.Cleanup(func() { end1.Close() })
	b := &badSetup{w: w, a: w.members[0].st, raws: raws, hp: newHandPeer(t, end2)}
	b.sess, b.errc = runSession(t, b.a, end1)
	b.hp.expect(StatusMsg)
	return b
}

// offer sends a Status naming member 1's head and waits for the request.
func (b *badSetup) offer(t *testing.T) GetEvents {
	if err := b.hp.send(StatusMsg, &Status{WS: b.a.Workspace(), Heads: []HeadMsg{headOf(t, b.w.members[1].st, b.w.members[1].signer.Address())}}); err != nil {
		t.Fatal(err)
	}
	var g GetEvents
	if err := rlp.DecodeBytes(b.hp.expect(GetEventsMsg).data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func (b *badSetup) misbehaved(t *testing.T, want string) {
	t.Helper()
	err := waitErr(t, b.errc, 5*time.Second)
	if !errors.Is(err, ErrMisbehaved) {
		t.Fatalf("session ended with %v, want ErrMisbehaved", err)
	}
	if want != "" && !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	t.Logf("refused: %v", err)
}

func (b *badSetup) nothingStored(t *testing.T) {
	t.Helper()
	n, _ := b.a.Count(context.Background())
	src, _ := b.w.members[1].st.Count(context.Background())
	if want := src - int64(len(b.raws)); n != want {
		t.Fatalf("a holds %d events, want the %d of the seed", n, want)
	}
}

func corruptSig(t testing.TB, raw []byte) []byte {
	e, err := domain.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, e.Sig)
	out := bytes.Clone(raw)
	out[i+7] ^= 0x55
	return out
}

func TestBadOverCap(t *testing.T) {
	b := newBad(t, 0)
	size := uint32(maxEventsMsg + 1)
	go b.hp.rw.WriteMsg(p2p.Msg{Code: EventsMsg, Size: size, Payload: bytes.NewReader(make([]byte, size))})
	b.misbehaved(t, "over the")
}

// Framed refuses an oversized frame from its header, before reading it.
func TestBadFramedOverCap(t *testing.T) {
	var buf bytes.Buffer
	hdr := [5]byte{EventsMsg}
	binary.BigEndian.PutUint32(hdr[1:], 16<<20)
	buf.Write(hdr[:])
	buf.Write(make([]byte, 100))
	_, err := NewFramed(&buf, nil, nil).ReadMsg()
	if !errors.Is(err, ErrMisbehaved) {
		t.Fatalf("got %v, want ErrMisbehaved", err)
	}
}

func TestBadSignatureInBatch(t *testing.T) {
	b := newBad(t, 5)
	b.offer(t)
	batch := append([][]byte(nil), b.raws...)
	batch[2] = corruptSig(t, batch[2])
	if err := b.hp.send(EventsMsg, &Events{Raws: batch}); err != nil {
		t.Fatal(err)
	}
	b.misbehaved(t, "batch refused")
	b.nothingStored(t)
	if b.sess.Stats.Rejected != 1 {
		t.Fatalf("rejected %d batches, want 1", b.sess.Stats.Rejected)
	}
}

func TestBadOtherWorkspaceStatus(t *testing.T) {
	b := newBad(t, 0)
	b.hp.send(StatusMsg, &Status{WS: [32]byte{1, 2, 3}})
	b.misbehaved(t, "workspace")
}

func TestBadOtherWorkspaceEvents(t *testing.T) {
	b := newBad(t, 3)
	// The same member key writes in a second workspace.
	ctx := context.Background()
	other := openStore(t, "other")
	m := b.w.members[1]
	other.Append(ctx, m.signer, &domain.Genesis{Name: "other", Founder: domain.MemberSpec{Address: m.signer.Address(), Handle: "m1", Roles: []string{"triage"}}})
	inc, _ := other.Append(ctx, m.signer, &domain.IncidentDeclare{Title: "x", Severity: "P2"})
	other.Append(ctx, m.signer, &domain.Note{Incident: inc.ID, Text: "elsewhere"})
	foreign, err := other.Range(ctx, m.signer.Address(), 1, 10, MaxEventsBytes)
	if err != nil {
		t.Fatal(err)
	}
	b.offer(t)
	b.hp.send(EventsMsg, &Events{Raws: foreign})
	b.misbehaved(t, "batch refused")
	b.nothingStored(t)
}

func TestBadNotRLP(t *testing.T) {
	b := newBad(t, 0)
	b.hp.sendRaw(GetEventsMsg, []byte{0xff, 0x01, 0x02})
	b.misbehaved(t, "not valid RLP")
}

func TestBadUnknownCode(t *testing.T) {
	b := newBad(t, 0)
	b.hp.sendRaw(NumMsgs+3, []byte{0xc0})
	b.misbehaved(t, "unknown message code")
}

func TestBadAnnounceFlood(t *testing.T) {
	b := newBad(t, 0)
	go func() {
		for i := 0; i < 2*maxAnnouncePS; i++ {
			if b.hp.send(AnnounceMsg, &Announce{}) != nil {
				return
			}
		}
	}()
	b.misbehaved(t, "flood")
}

// A peer may announce steadily below the limit.
func TestAnnounceBelowLimitIsFine(t *testing.T) {
	b := newBad(t, 0)
	for i := 0; i < 30; i++ {
		b.hp.send(AnnounceMsg, &Announce{})
		time.Sleep(40 * time.Millisecond)
	}
	select {
	case err := <-b.errc:
		t.Fatalf("session ended: %v", err)
	default:
	}
}

func TestBadStopsAnswering(t *testing.T) {
	old := requestTimeout
	requestTimeout = 400 * time.Millisecond
	t.Cleanup(func() { requestTimeout = old })
	b := newBad(t, 5)
	b.offer(t) // and never answer
	err := waitErr(t, b.errc, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("session ended with %v, want a request timeout", err)
	}
	b.nothingStored(t)
}

func TestBadNotAskedFor(t *testing.T) {
	b := newBad(t, 3)
	b.hp.send(EventsMsg, &Events{Raws: b.raws})
	b.misbehaved(t, "not asked for")
	b.nothingStored(t)
}

func TestBadWrongAuthorInReply(t *testing.T) {
	b := newBad(t, 3)
	g := b.offer(t)
	founder, _ := b.a.Range(context.Background(), b.w.members[0].signer.Address(), 1, 10, MaxEventsBytes)
	if g.Author == b.w.members[0].signer.Address() {
		t.Fatal("asked for the founder")
	}
	b.hp.send(EventsMsg, &Events{Raws: founder})
	b.misbehaved(t, "asked for")
}

// A fork proof that is not one (a bad signature) is refused.
func TestBadForkProof(t *testing.T) {
	b := newBad(t, 3)
	b.hp.send(ForksMsg, &Forks{Pairs: []ForkPair{{A: b.raws[0], B: corruptSig(t, b.raws[1])}}})
	b.misbehaved(t, "fork proof refused")
}

// In a node: a member whose node serves a bad signature is cut off and
// backed off, while a good member's events still arrive.
func TestBadSignatureNodeBacksOff(t *testing.T) {
	w := newWorkspace(t, 22, 3)
	ctx := context.Background()
	evil := w.members[2]
	for _, i := range []int{0, 1} {
		m := w.members[i]
		m.node = NewNode(Config{Key: m.key, ListenAddr: "127.0.0.1:0", Store: m.st, Logger: testLogger(t)})
		if err := m.node.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.node.Stop)
	}
	for i := 0; i < 4; i++ {
		evil.st.Append(ctx, evil.signer, &domain.Note{Incident: w.inc, Text: "evil"})
	}
	evil.node = NewNode(Config{Key: evil.key, ListenAddr: "127.0.0.1:0", Store: corrupting{evil.st}})
	if err := evil.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(evil.node.Stop)
	w.link(1, 0)
	evil.node.AddPeer(w.members[0].node.Self())
	a := w.members[0]
	waitFor(t, 10*time.Second, "a to back off the evil node", func() bool {
		return a.node.admit(evil.node.srv.Self().ID(), &evil.key.PublicKey) != nil
	})
	err := a.node.admit(evil.node.srv.Self().ID(), &evil.key.PublicKey)
	if !strings.Contains(err.Error(), "backed off") {
		t.Fatalf("admit: %v", err)
	}
	good := w.members[1]
	e, _ := good.st.Append(ctx, good.signer, &domain.Note{Incident: w.inc, Text: "good"})
	waitFor(t, 10*time.Second, "the good note on a", func() bool {
		_, err := a.st.Raw(ctx, e.ID)
		return err == nil
	})
	if h := headOf(t, evil.st, evil.signer.Address()); true {
		hs, _ := a.st.Heads(ctx)
		for _, x := range hs {
			if x.Author == h.Author {
				t.Fatalf("a stored the evil member's events up to seq %d", x.Seq)
			}
		}
	}
}

// corrupting serves every range with one bad signature in it.
type corrupting struct{ *store.Store }

func (c corrupting) Range(ctx context.Context, author common.Address, from uint64, max, maxBytes int) ([][]byte, error) {
	raws, err := c.Store.Range(ctx, author, from, max, maxBytes)
	if len(raws) > 0 {
		raws[len(raws)-1] = corruptSig(nil, raws[len(raws)-1])
	}
	return raws, err
}

// A non-member's node is refused: its store gets nothing.
func TestNonMemberRefused(t *testing.T) {
	w := newWorkspace(t, 23, 1)
	w.start()
	k, _ := crypto.GenerateKey()
	st := openStore(t, "stranger")
	x := NewNode(Config{Key: k, ListenAddr: "127.0.0.1:0", Store: st})
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Stop)
	x.AddPeer(w.members[0].node.Self())
	time.Sleep(2 * time.Second)
	if n, _ := st.Count(context.Background()); n != 0 {
		t.Fatalf("the stranger's store holds %d events", n)
	}
	if c := w.members[0].node.Connected(); len(c) != 0 {
		t.Fatalf("founder has sessions %v", c)
	}
}

// A member removed from the roster is disconnected and gets no more.
func TestRemovedMemberDisconnected(t *testing.T) {
	w := newWorkspace(t, 24, 2)
	w.start()
	w.link(1, 0)
	a, b := w.members[0], w.members[1]
	waitFor(t, 10*time.Second, "a session", func() bool { return len(a.node.Connected()) == 1 })
	ctx := context.Background()
	if _, err := a.st.Append(ctx, a.signer, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "m1"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the removed member's disconnect", func() bool { return len(a.node.Connected()) == 0 })
	e, err := a.st.Append(ctx, a.signer, &domain.Note{Incident: w.inc, Text: "after removal"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if _, err := b.st.Raw(ctx, e.ID); err == nil {
		t.Fatal("the removed member still receives events")
	}
}
