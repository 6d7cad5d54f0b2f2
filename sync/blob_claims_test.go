package sync

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// A node rejoining three peers that all hold the same evidence fetches
// each blob once, not once per peer.
func TestBlobPulledFromOnePeer(t *testing.T) {
	const blobs, size = 6, 4 << 20
	w := newWorkspace(t, 63, 4)
	ctx := context.Background()
	src := w.members[1]
	var hashes []string
	for k := range blobs {
		data := bytes.Repeat([]byte(fmt.Sprintf("trace %d ", k)), size/8)
		h, err := src.st.PutBlob(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
		if _, err := src.st.Append(ctx, src.signer, &domain.EvidenceAdd{Incident: w.inc, Name: fmt.Sprintf("trace-%d", k), SHA256: h, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
	}
	raws := seedRaws(t, src.st)
	for _, m := range w.members[2:] {
		if _, err := m.st.Ingest(ctx, raws); err != nil {
			t.Fatal(err)
		}
		for _, h := range hashes {
			data, err := src.st.Blob(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.st.PutBlob(ctx, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.start()
	w.link(0, 1)
	w.link(0, 2)
	w.link(0, 3)
	w.converge(2*time.Minute, 0, 1, 2, 3)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		missing, err := w.members[0].st.MissingBlobs(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d blobs still missing", len(missing))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let copies still in flight land and be counted
	twice := w.members[0].node.claims.blobsTwice.Load()
	t.Logf("%d blobs, %d received twice", blobs, twice)
	if twice > 0 {
		t.Fatalf("%d of %d blobs were received more than once", twice, blobs)
	}
}
