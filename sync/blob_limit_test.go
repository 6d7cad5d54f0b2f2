package sync

import (
	"bytes"
	"context"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// The largest blob the store keeps is one the protocol carries: its Blobs
// message fits devp2p's 24-bit frame size, and a blob of exactly the limit
// replicates.
func TestLargestBlobReplicates(t *testing.T) {
	if MaxBlobBytes != store.MaxBlob {
		t.Fatalf("sync carries blobs of %d bytes, the store keeps %d", MaxBlobBytes, store.MaxBlob)
	}
	const rlpxMax = 1<<24 - 1
	if maxSize(BlobsMsg) > rlpxMax {
		t.Fatalf("a Blobs message may be %d bytes, over RLPx's %d", maxSize(BlobsMsg), rlpxMax)
	}
	w := newWorkspace(t, 62, 2)
	a, b := w.members[0], w.members[1]
	ctx := context.Background()
	data := bytes.Repeat([]byte{0x5a}, store.MaxBlob)
	hash, err := a.st.PutBlob(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Append(ctx, a.signer, &domain.EvidenceAdd{Incident: w.inc, Name: "dump.bin", SHA256: hash, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	if _, sb := oneShot(t, a.st, b.st); sb.Stats.Blobs != 1 {
		t.Fatalf("b fetched %d blobs, want the one of %d bytes (%+v)", sb.Stats.Blobs, len(data), sb.Stats)
	}
	if got, err := b.st.Blob(ctx, hash); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("b's copy: %d bytes, %v", len(got), err)
	}
}
