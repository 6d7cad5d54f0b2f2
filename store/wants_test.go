package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// blobTeam is team plus evidence naming three blobs (one stored before
// its event) and an alert observation naming a fourth; it returns the
// store, the blobs' contents by hash, and the one held from the start.
func blobTeam(t *testing.T, path string) (*Store, map[string][]byte, string) {
	t.Helper()
	s := openAt(t, path)
	tm, inc := team(t, 41)
	contents := map[string][]byte{}
	var held string
	for i := range 3 {
		data := []byte(fmt.Sprintf("capture %d", i))
		h := BlobHash(data)
		contents[h] = data
		if i == 0 {
			if _, err := s.PutBlob(bg, data); err != nil {
				t.Fatal(err)
			}
			held = h
		}
		do(t, tm, i%2, &domain.EvidenceAdd{Incident: inc.ID, Name: fmt.Sprintf("c%d.txt", i), SHA256: h, Size: int64(len(data))})
	}
	payload := []byte(`{"alerts":[]}`)
	contents[BlobHash(payload)] = payload
	do(t, tm, 1, &domain.AlertObserve{Fingerprint: "fp", Title: "Outflow", Source: "alertmanager", Status: domain.AlertFiring, Payload: BlobHash(payload)})
	do(t, tm, 0, note(inc, "no blob here"))
	ingest(t, s, tm.Events...)
	return s, contents, held
}

func missing(t *testing.T, s *Store, after string, limit int) []string {
	t.Helper()
	got, err := s.MissingBlobs(bg, after, limit)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The blobs the events name and the store lacks are listed in hash order,
// page by page, and leave the list as they are stored.
func TestMissingBlobs(t *testing.T) {
	s, contents, held := blobTeam(t, filepath.Join(t.TempDir(), "tminus.db"))
	var want []string
	for h := range contents {
		if h != held {
			want = append(want, h)
		}
	}
	slices.Sort(want)
	if got := missing(t, s, "", 10); !slices.Equal(got, want) {
		t.Fatalf("missing %v, want %v", got, want)
	}
	// Paging: two, then the rest after the second.
	first := missing(t, s, "", 2)
	if rest := missing(t, s, first[1], 10); !slices.Equal(append(first, rest...), want) {
		t.Fatalf("pages %v + %v, want %v", first, rest, want)
	}
	if _, err := s.PutBlob(bg, contents[want[0]]); err != nil {
		t.Fatal(err)
	}
	if got := missing(t, s, "", 10); !slices.Equal(got, want[1:]) {
		t.Fatalf("after storing one: %v, want %v", got, want[1:])
	}
	// A blob no event names is stored but was never wanted.
	if _, err := s.PutBlob(bg, []byte("unnamed")); err != nil {
		t.Fatal(err)
	}
	if got := missing(t, s, "", 10); len(got) != len(want)-1 {
		t.Fatalf("an unnamed blob changed the list: %v", got)
	}
}

// A store made before blob_wants gets it on open, filled from its events.
func TestBlobWantsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tminus.db")
	s, contents, _ := blobTeam(t, path)
	before := missing(t, s, "", 10)
	if len(before) != len(contents)-1 {
		t.Fatalf("missing %d blobs, want %d", len(before), len(contents)-1)
	}
	at := slices.IndexFunc(migrations, func(m migration) bool { return strings.Contains(m.sql, "blob_wants") })
	for _, q := range []string{"DROP TABLE blob_wants", fmt.Sprintf("PRAGMA user_version = %d", at)} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s = openAt(t, path)
	if got := missing(t, s, "", 10); !slices.Equal(got, before) {
		t.Fatalf("after the migration: %v, want %v", got, before)
	}
}

// Zero bytes (a run that printed nothing) are stored like any blob, and an
// event naming them never makes them missing: no peer could send them.
func TestEmptyBlob(t *testing.T) {
	s := newStore(t)
	tm, inc := team(t, 42)
	do(t, tm, 0, &domain.EvidenceAdd{Incident: inc.ID, Name: "empty.txt", SHA256: emptyBlob, Size: 0})
	ingest(t, s, tm.Events...)
	if got := missing(t, s, "", 10); len(got) != 0 {
		t.Fatalf("missing %v, want none", got)
	}
	h, err := s.PutBlob(bg, nil)
	if err != nil || h != emptyBlob {
		t.Fatalf("PutBlob(nil) = %s, %v", h, err)
	}
	if data, err := s.VerifiedBlob(bg, h); err != nil || len(data) != 0 {
		t.Fatalf("the empty blob: %d bytes, %v", len(data), err)
	}
}
