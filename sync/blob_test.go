package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/tminus-ir/tminus/domain"
)

// oneShot runs a one-shot session on each side of a pipe pair and waits
// for both.
func oneShot(t *testing.T, a, b Store) (*Session, *Session) {
	t.Helper()
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	sa := &Session{St: a, RW: NewFramed(r1, w2, w2), OneShot: true, Idle: 300 * time.Millisecond}
	sb := &Session{St: b, RW: NewFramed(r2, w1, w1), OneShot: true, Idle: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- sa.Run(ctx) }()
	go func() { errs <- sb.Run(ctx) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	w1.Close()
	w2.Close()
	return sa, sb
}

// Evidence travels with its event: a replica that learns of an
// evidence.add asks for the blob and stores it, checked by its hash.
func TestEvidenceBlobFollowsItsEvent(t *testing.T) {
	w := newWorkspace(t, 61, 2)
	a, b := w.members[0], w.members[1]
	ctx := context.Background()
	data := bytes.Repeat([]byte("journalctl -u relayer\n"), 1000)
	hash, err := a.st.PutBlob(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Append(ctx, a.signer, &domain.EvidenceAdd{Incident: w.inc, Name: "relayer.log", SHA256: hash, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	_, sb := oneShot(t, a.st, b.st)
	if sb.Stats.Blobs != 1 {
		t.Fatalf("b fetched %d blobs, want 1 (%+v)", sb.Stats.Blobs, sb.Stats)
	}
	got, err := b.st.Blob(ctx, hash)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("b's copy of the evidence: %d bytes, %v", len(got), err)
	}
	// A second round asks for nothing: b has it.
	if _, sb := oneShot(t, a.st, b.st); sb.Stats.Blobs != 0 {
		t.Fatalf("second round fetched %d blobs", sb.Stats.Blobs)
	}
}

// A blob nobody asked for is misbehaviour; a peer that lacks an asked-for
// blob says so with an empty entry, which is not.
func TestUnaskedBlobIsRefused(t *testing.T) {
	w := newWorkspace(t, 62, 2)
	end1, end2 := p2p.MsgPipe()
	defer end1.Close()
	peer := newHandPeer(t, end2)
	_, errc := runSession(t, w.members[1].st, end1)
	peer.expect(StatusMsg)
	if err := peer.send(BlobsMsg, &Blobs{Data: [][]byte{nil}}); err != nil {
		t.Fatal(err)
	}
	if err := peer.send(BlobsMsg, &Blobs{Data: [][]byte{[]byte("not asked for")}}); err != nil && !errors.Is(err, p2p.ErrPipeClosed) {
		t.Fatal(err)
	}
	if err := waitErr(t, errc, 5*time.Second); !errors.Is(err, ErrMisbehaved) {
		t.Fatalf("session ended with %v, want misbehaviour", err)
	}
	sum := sha256.Sum256([]byte("not asked for"))
	if ok, _ := w.members[1].st.HasBlob(context.Background(), hex.EncodeToString(sum[:])); ok {
		t.Fatal("an unasked blob was kept")
	}
}
