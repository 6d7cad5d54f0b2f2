package sync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// shortBlobTimeout shortens blobTimeout for one test.
func shortBlobTimeout(t *testing.T, d time.Duration) {
	t.Helper()
	old := blobTimeout
	blobTimeout = d
	t.Cleanup(func() { blobTimeout = old })
}

// Over sync --ssh (Framed), a far end that never answers a blob ask used
// to hold the sync until the command's --timeout (here the test's context):
// now the ask is given up, the events are stored, the blob is counted as
// unanswered and stays on the store's list of missing blobs.
func TestUnansweredBlobEndsTheSyncOverFramed(t *testing.T) {
	shortBlobTimeout(t, 300*time.Millisecond)
	w := newWorkspace(t, 93, 2)
	a, b := w.members[0], w.members[1]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("tcpdump -i eth0\n"), 100)
	hash, err := a.st.PutBlob(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := a.st.Append(ctx, a.signer, &domain.EvidenceAdd{Incident: w.inc, Name: "dump.txt", SHA256: hash, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	// The far end waits long before it ends on its own: only the near end
	// giving the blob up ends this sync before the context.
	far := &Session{St: a.st, RW: NewFramed(r1, w2, w2), OneShot: true, Idle: time.Minute}
	near := &Session{St: b.st, RW: dropGetBlobs{NewFramed(r2, w1, w1)}, OneShot: true, Idle: 200 * time.Millisecond}
	farErr := make(chan error, 1)
	go func() {
		err := far.Run(ctx)
		w2.Close()
		farErr <- err
	}()
	err = near.Run(ctx)
	w1.Close()
	if err != nil {
		t.Fatalf("near end: %v (pulled %d, blobs %d, unanswered %d)", err, near.Stats.Pulled, near.Stats.Blobs, near.Stats.Unanswered)
	}
	if ferr := <-farErr; ferr != nil && !errors.Is(ferr, io.EOF) {
		t.Fatalf("far end: %v", ferr)
	}
	if near.Stats.Pulled == 0 || near.Stats.Unanswered != 1 || near.Stats.Blobs != 0 {
		t.Fatalf("near end's stats %+v: want the event pulled and the one blob unanswered", near.Stats)
	}
	if got := headOf(t, b.st, a.signer.Address()); got.ID != ev.ID {
		t.Fatalf("near end's head of the far end's chain is seq %d, want the evidence event's %d", got.Seq, ev.Seq)
	}
	missing, err := b.st.MissingBlobs(ctx, "", 10)
	if err != nil || len(missing) != 1 || missing[0] != hash {
		t.Fatalf("store's missing blobs %v (%v), want %s", missing, err, hash[:12])
	}
}

// recordRW is a link that records the messages a session writes and reads
// nothing; largeProgress is set by the test.
type recordRW struct {
	sent     []uint64
	progress atomic.Int64
}

func (r *recordRW) ReadMsg() (p2p.Msg, error) { return p2p.Msg{}, io.EOF }
func (r *recordRW) WriteMsg(m p2p.Msg) error {
	r.sent = append(r.sent, m.Code)
	return m.Discard()
}
func (r *recordRW) largeProgress() int64 { return r.progress.Load() }

// A given-up ask keeps its place: the peer's late answer, whether the blob
// or "not here", is the answer to it, not unasked-for misbehaviour; a
// command asking again does not ask the peer twice; and a large frame
// arriving holds the clock off.
func TestGivenUpBlobAsk(t *testing.T) {
	shortBlobTimeout(t, time.Second)
	blob := []byte("late evidence")
	hash := store.BlobHash(blob)
	blobsOf := func(data []byte) p2p.Msg { return blobsMsg(data) }
	cases := []struct {
		name       string
		run        func(t *testing.T, s *Session, rw *recordRW, now time.Time)
		unanswered int
		stored     bool
	}{
		{"the blob comes late", func(t *testing.T, s *Session, rw *recordRW, now time.Time) {
			if err := s.handle(context.Background(), blobsOf(blob)); err != nil {
				t.Fatalf("late blob: %v", err)
			}
		}, 0, true},
		{"not here comes late", func(t *testing.T, s *Session, rw *recordRW, now time.Time) {
			if err := s.handle(context.Background(), blobsOf(nil)); err != nil {
				t.Fatalf("late empty answer: %v", err)
			}
			if !s.lacks(hash) {
				t.Fatal("a late 'not here' did not mark the blob lacking")
			}
		}, 0, false},
		{"asked again, not twice", func(t *testing.T, s *Session, rw *recordRW, now time.Time) {
			if err := s.wantHash(context.Background(), hash, true); err != nil {
				t.Fatal(err)
			}
			if len(rw.sent) != 1 || !s.blobs[hash] {
				t.Fatalf("asking again sent %v and left the ask live=%v", rw.sent, s.blobs[hash])
			}
			s.checkBlobWait(now) // restarts the clock
			s.checkBlobWait(now.Add(blobTimeout + time.Millisecond))
		}, 1, false},
		{"the scan does not ask again", func(t *testing.T, s *Session, rw *recordRW, now time.Time) {
			if err := s.wantHash(context.Background(), hash, false); err != nil {
				t.Fatal(err)
			}
			if len(rw.sent) != 1 {
				t.Fatalf("sent %v after giving up", rw.sent)
			}
		}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorkspace(t, 94, 1)
			rw := &recordRW{}
			s := &Session{St: w.members[0].st, RW: rw, blobs: map[string]bool{}, notHere: map[string]time.Time{}, gaveUp: map[string]bool{}}
			if err := s.wantHash(context.Background(), hash, true); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			s.checkBlobWait(now) // the clock starts
			rw.progress.Store(1 << 20)
			s.checkBlobWait(now.Add(blobTimeout / 2)) // part of a large frame came
			s.checkBlobWait(now.Add(blobTimeout + time.Millisecond))
			if s.Stats.Unanswered != 0 {
				t.Fatal("given up while a large frame was arriving")
			}
			now = now.Add(2*blobTimeout + time.Millisecond)
			s.checkBlobWait(now)
			if s.Stats.Unanswered != 1 || len(s.blobs) != 0 || !s.gaveUp[hash] {
				t.Fatalf("not given up after blobTimeout: %+v", s.Stats)
			}
			c.run(t, s, rw, now)
			if s.Stats.Unanswered != c.unanswered {
				t.Fatalf("unanswered %d, want %d", s.Stats.Unanswered, c.unanswered)
			}
			has, err := w.members[0].st.HasBlob(context.Background(), hash)
			if err != nil || has != c.stored {
				t.Fatalf("blob stored: %v (%v), want %v", has, err, c.stored)
			}
			// Another blob nobody asked for is still misbehaviour.
			if err := s.handle(context.Background(), blobsOf([]byte("never asked"))); !errors.Is(err, ErrMisbehaved) {
				t.Fatalf("unasked blob: %v, want misbehaviour", err)
			}
		})
	}
}

// pacedWriter writes in pieces of at most 64 KiB, one every gap: a slow
// link.
type pacedWriter struct {
	w   io.Writer
	gap time.Duration
}

func (p pacedWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		time.Sleep(p.gap)
		k, err := p.w.Write(b[:min(len(b), 64<<10)])
		n += k
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// A blob crossing a slow link takes longer than blobTimeout, but its
// bytes keep arriving: it is not given up.
func TestSlowBlobIsNotGivenUp(t *testing.T) {
	shortBlobTimeout(t, time.Second)
	w := newWorkspace(t, 96, 2)
	a, b := w.members[0], w.members[1]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hash := bigBlobs(t, a.st, 1, 2<<20)[0] // 32 pieces, 50 ms apart
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	far := &Session{St: a.st, RW: NewFramed(r1, pacedWriter{w2, 50 * time.Millisecond}, w2), OneShot: true, Idle: time.Minute}
	near := &Session{St: b.st, RW: NewFramed(r2, w1, w1), OneShot: true, Idle: 200 * time.Millisecond, Want: []string{hash}}
	go func() {
		far.Run(ctx)
		w2.Close()
	}()
	err := near.Run(ctx)
	w1.Close()
	if err != nil || near.Stats.Blobs != 1 || near.Stats.Unanswered != 0 {
		t.Fatalf("near end: %v, stats %+v: want the one blob, none given up", err, near.Stats)
	}
	if ok, err := b.st.HasBlob(ctx, hash); err != nil || !ok {
		t.Fatalf("near end lacks the blob (%v)", err)
	}
}
