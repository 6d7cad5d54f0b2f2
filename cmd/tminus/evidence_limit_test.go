package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

// sparseFile makes a file of size zero bytes without writing them.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dump.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Evidence is refused above what replication carries (store.MaxBlob), with
// the way out, and nothing is stored; a file of exactly the limit is kept.
func TestEvidenceLimitIsWhatSyncCarries(t *testing.T) {
	home, inc := newWorkspace(t)
	over := sparseFile(t, store.MaxBlob+1)
	fails(t, home, "over the 15728640-byte (15 MiB) evidence limit, the most replication carries: store it elsewhere and add its hash in a note",
		"evidence", "add", inc[:8], over)
	_, _, code := tminus(t, home, "evidence", "add", inc[:8], over)
	if code != 2 {
		t.Errorf("oversized evidence: exit %d, want 2", code)
	}
	h := &workspace.Home{Dir: home}
	st, err := h.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.HasBlob(context.Background(), store.BlobHash(make([]byte, store.MaxBlob+1))); ok || err != nil {
		t.Errorf("the refused file's blob is stored (%v)", err)
	}
	h.Close()

	at := sparseFile(t, store.MaxBlob)
	must(t, home, "evidence", "add", inc[:8], at)
	if out := must(t, home, "evidence", "list", inc[:8]); !strings.Contains(out, "15728640") {
		t.Errorf("evidence list lacks the file of exactly the limit:\n%s", out)
	}
}
