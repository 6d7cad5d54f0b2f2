package domain_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// A snapshot, written as parts and read by goccy/go-json, must restore
// exactly the state it was taken from, whatever the part size and the
// order its parts come back in: the state hash is compared across
// replicas, some folding from a snapshot and some from scratch.
func TestSnapshotRestoresTheState(t *testing.T) {
	for _, seed := range convergenceSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := domain.Fold(history(t, seed).Events, nil)
			want, err := domain.CanonicalBytes(s)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(seed))
			for _, size := range []int{1, 200, 64 << 10} {
				back, n, err := domain.Restore(s, size, rng.Perm)
				if err != nil {
					t.Fatal(err)
				}
				got, err := domain.CanonicalBytes(back)
				if err != nil {
					t.Fatal(err)
				}
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("parts of %d bytes (%d parts): restored state differs at byte %d: %.80q vs %.80q",
						size, n, i, got[i:], want[i:])
				}
				// Decoded on goroutines of their own, then merged.
				back, err = domain.RestoreDecoded(s, size, rng.Perm)
				if err != nil {
					t.Fatal(err)
				}
				if got, err = domain.CanonicalBytes(back); err != nil {
					t.Fatal(err)
				}
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("parts of %d bytes decoded apart: restored state differs at byte %d: %.80q vs %.80q",
						size, i, got[i:], want[i:])
				}
			}
		})
	}
}

// Text that encoding/json escapes, read back by goccy/go-json: HTML
// characters, invalid UTF-8, the line separators U+2028 and U+2029.
func TestSnapshotRestoresEscapedText(t *testing.T) {
	s := domain.NewState()
	s.Name = "<b>&\u2028\u2029\xff\x00\"\\ tab\t"
	s.Members["x"] = &domain.Member{Handle: s.Name}
	back, _, err := domain.Restore(s, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := json.Marshal(s)
	var want domain.State
	if err := json.Unmarshal(enc, &want); err != nil {
		t.Fatal(err)
	}
	if back.Name != want.Name || back.Members["x"].Handle != want.Name {
		t.Fatalf("restored %q, encoding/json reads %q", back.Name, want.Name)
	}
}

// A part that names no field, or is not JSON, is refused.
func TestSnapshotBadParts(t *testing.T) {
	for _, p := range []domain.Part{
		{Field: "nope", Data: []byte(`{}`)},
		{Field: "tasks", Data: []byte(`{"x":`)},
		{Field: "count", Data: []byte(`"ten"`)},
	} {
		if err := domain.NewStateDecoder().Add(p); err == nil {
			t.Errorf("part %q %s accepted", p.Field, p.Data)
		}
		d := domain.NewStateDecoder()
		if x, err := d.Decode(p); err == nil {
			if err := d.Merge(x); err == nil {
				t.Errorf("part %q %s accepted by Decode and Merge", p.Field, p.Data)
			}
		}
	}
}

// The hash streams the state's encoding: it must be byte for byte what
// json.Marshal writes, with or without omitted fields.
func TestCanonicalStreamMatchesMarshal(t *testing.T) {
	for _, seed := range convergenceSeeds {
		s := domain.Fold(history(t, seed).Events, nil)
		for _, forked := range []bool{false, true} {
			if forked {
				s.Forked[common.Address{1}] = 3
			}
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := domain.CanonicalBytes(s)
			if err != nil {
				t.Fatal(err)
			}
			if i := firstDiff(got, want); i >= 0 {
				t.Fatalf("seed %d forked %v: stream differs at byte %d: %.80q vs %.80q", seed, forked, i, got[i:], want[i:])
			}
		}
	}
}

// firstDiff is the offset of the first byte where a and b differ, -1 if
// they are equal.
func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return i
}
