package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
)

// slowBlobs is a link on which each Blobs message takes a while to write,
// as a blob of megabytes does over a slow SSH connection.
type slowBlobs struct {
	p2p.MsgReadWriter
	delay time.Duration
}

func (s slowBlobs) WriteMsg(msg p2p.Msg) error {
	if msg.Code == BlobsMsg {
		time.Sleep(s.delay)
	}
	return s.MsgReadWriter.WriteMsg(msg)
}

// The far end of sync --ssh is a one-shot session that ends once both sides
// are idle. Writing a blob over a slow link takes longer than its idle wait,
// while the peer's next GetBlobs already waits to be read: it must answer
// that, not end the connection with blobs still asked for.
func TestOneShotAnswersWhatWaitedBehindASlowWrite(t *testing.T) {
	w := newWorkspace(t, 71, 2)
	a, b := w.members[0], w.members[1]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var want []string
	for i := range 6 {
		h, err := a.st.PutBlob(ctx, bytes.Repeat(fmt.Appendf(nil, "evidence %d\n", i), 100))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	// As with sync --ssh, the far end waits longer than the near one, which
	// ends the sync once it has what it asked for.
	idle := 50 * time.Millisecond
	far := &Session{St: a.st, RW: slowBlobs{NewFramed(r1, w2, w2), 8 * idle}, OneShot: true, Idle: 2 * idle}
	near := &Session{St: b.st, RW: NewFramed(r2, w1, w1), OneShot: true, Idle: idle, Want: want}
	farErr, nearErr := make(chan error, 1), make(chan error, 1)
	go func() {
		err := far.Run(ctx)
		w2.Close() // the far end exits: its side of the stream closes
		farErr <- err
	}()
	go func() {
		err := near.Run(ctx)
		w1.Close()
		nearErr <- err
	}()
	if err := <-nearErr; err != nil {
		t.Fatalf("near end: %v (far end sent %d of %d blobs)", err, near.Stats.Blobs, len(want))
	}
	// The near end closing once done reads, at the far end, as EOF: sync
	// --stdio takes that as the end of the sync.
	if err := <-farErr; err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("far end: %v", err)
	}
	for _, h := range want {
		if ok, err := b.st.HasBlob(ctx, h); err != nil || !ok {
			t.Fatalf("near end lacks blob %s (%v)", h[:12], err)
		}
	}
}

// The far end of sync --ssh may end first: its idle wait runs from its last
// write, which a slow link delivers later. When everything asked of it came
// before it closed, the sync is complete, not "closed mid-sync".
func TestOneShotEndsCleanlyWhenTheFarEndClosesAfterAnswering(t *testing.T) {
	w := newWorkspace(t, 72, 2)
	a, b := w.members[0], w.members[1]
	ctx := context.Background()
	var want []string
	for i := range 3 {
		h, err := a.st.PutBlob(ctx, fmt.Appendf(nil, "evidence %d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	near, err := farEndsFirst(a.st, b.st, want, func(rw p2p.MsgReadWriter) p2p.MsgReadWriter { return rw })
	if err != nil {
		t.Fatalf("near end: %v, with %d of %d blobs", err, near.Stats.Blobs, len(want))
	}
	if near.Stats.Blobs != len(want) {
		t.Fatalf("near end fetched %d blobs, want %d", near.Stats.Blobs, len(want))
	}

	// A far end that closes with a blob still asked for is an error.
	missing := "7f" + want[0][2:]
	_, err = farEndsFirst(a.st, b.st, []string{missing}, func(rw p2p.MsgReadWriter) p2p.MsgReadWriter { return dropGetBlobs{rw} })
	if !errors.Is(err, io.EOF) {
		t.Fatalf("near end with a blob unanswered: %v, want EOF", err)
	}
}

// farEndsFirst runs a one-shot near end on nearSt asking for want, its
// link wrapped by wrap, against a far end on farSt that ends once idle
// long before the near end would, and returns the near end's result.
func farEndsFirst(farSt, nearSt Store, want []string, wrap func(p2p.MsgReadWriter) p2p.MsgReadWriter) (*Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	far := &Session{St: farSt, RW: NewFramed(r1, w2, w2), OneShot: true, Idle: 10 * time.Millisecond}
	near := &Session{St: nearSt, RW: wrap(NewFramed(r2, w1, w1)), OneShot: true, Idle: time.Minute, Want: want}
	go func() {
		far.Run(ctx)
		w2.Close()
		io.Copy(io.Discard, r1) // the near end's last writes find a reader
	}()
	err := near.Run(ctx)
	w1.Close()
	return near, err
}

// dropGetBlobs loses this side's GetBlobs on the way: the far end never
// answers them.
type dropGetBlobs struct{ p2p.MsgReadWriter }

func (d dropGetBlobs) WriteMsg(msg p2p.Msg) error {
	if msg.Code == GetBlobsMsg {
		return msg.Discard()
	}
	return d.MsgReadWriter.WriteMsg(msg)
}
