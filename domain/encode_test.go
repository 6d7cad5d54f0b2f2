package domain_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// The state's encoding is the state hash's input, compared across
// replicas: goccy/go-json must keep writing exactly what encoding/json
// writes (sorted map keys, same escaping), and a snapshot must restore the
// state it was taken from.
func TestStateEncodingMatchesEncodingJSON(t *testing.T) {
	for _, seed := range convergenceSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h := history(t, seed)
			s := domain.Fold(h.Events, nil)
			got, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("encodings differ at byte %d: %.80q vs %.80q", i, got[i:], want[i:])
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
				t.Fatal("a restored snapshot encodes differently from the state it was taken from")
			}
		})
	}
}

// Text that encoding/json escapes: HTML characters, invalid UTF-8, the
// line separators U+2028 and U+2029.
func TestStateEncodingEscapesLikeEncodingJSON(t *testing.T) {
	s := domain.NewState()
	s.Name = "<b>&\u2028\u2029\xff\x00\"\\ tab\t"
	got, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(s)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}
