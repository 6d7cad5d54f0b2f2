package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// A peer answers blob requests in order, an empty entry for one it lacks
// (a replica that got the event from a bundle, or from a peer without the
// blob). That empty answer is for the oldest ask: forgetting any other ask
// made the peer's next, honest, answer look unasked for, and the session
// cut the peer off as misbehaving.
func TestMissingBlobAnswersTheOldestAsk(t *testing.T) {
	w := newWorkspace(t, 63, 2)
	a, b := w.members[0], w.members[1]
	ctx := context.Background()
	const n = 8
	var held []string
	for i := range n {
		data := []byte(fmt.Sprintf("capture %d\n", i))
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		if i >= n/2 { // a holds the second half only
			if _, err := a.st.PutBlob(ctx, data); err != nil {
				t.Fatal(err)
			}
			held = append(held, hash)
		}
		ev := &domain.EvidenceAdd{Incident: w.inc, Name: fmt.Sprintf("capture-%d.txt", i), SHA256: hash, Size: int64(len(data))}
		if _, err := a.st.Append(ctx, a.signer, ev); err != nil {
			t.Fatal(err)
		}
	}
	_, sb := oneShot(t, a.st, b.st) // fails on misbehaviour
	if sb.Stats.Blobs != len(held) {
		t.Errorf("b fetched %d blobs, want the %d a holds", sb.Stats.Blobs, len(held))
	}
	for _, h := range held {
		if ok, err := b.st.HasBlob(ctx, h); err != nil || !ok {
			t.Errorf("b lacks blob %s that a holds (%v)", h[:12], err)
		}
	}
}
