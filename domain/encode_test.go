package domain_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// A snapshot, written by encoding/json and read by goccy/go-json, must
// restore exactly the state it was taken from: the state hash is compared
// across replicas, some folding from a snapshot and some from scratch.
func TestSnapshotRestoresTheState(t *testing.T) {
	for _, seed := range convergenceSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h := history(t, seed)
			s := domain.Fold(h.Events, nil)
			got, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := domain.DecodeState(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, got) {
				i := 0
				for i < min(len(got), len(again)) && got[i] == again[i] {
					i++
				}
				t.Fatalf("a restored snapshot encodes differently at byte %d: %.80q vs %.80q", i, again[i:], got[i:])
			}
		})
	}
}

// Text that encoding/json escapes, read back by goccy/go-json: HTML
// characters, invalid UTF-8, the line separators U+2028 and U+2029.
func TestSnapshotRestoresEscapedText(t *testing.T) {
	s := domain.NewState()
	s.Name = "<b>&\u2028\u2029\xff\x00\"\\ tab\t"
	enc, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := domain.DecodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	var want domain.State
	if err := json.Unmarshal(enc, &want); err != nil {
		t.Fatal(err)
	}
	if back.Name != want.Name {
		t.Fatalf("restored %q, encoding/json reads %q", back.Name, want.Name)
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
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("seed %d forked %v: stream differs at byte %d: %.80q vs %.80q", seed, forked, i, got[i:], want[i:])
			}
		}
	}
}
