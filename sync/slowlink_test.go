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
