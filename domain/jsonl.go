package domain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Line is one event as a JSON line: the log, bundle and export format.
// Raw is the only part that is verified; the other fields are for reading,
// and a line whose fields disagree with Raw is invalid.
type Line struct {
	ID       string          `json:"id"`
	WS       string          `json:"ws"`
	Author   string          `json:"author"`
	Seq      uint64          `json:"seq"`
	Prev     string          `json:"prev"`
	Lamport  uint64          `json:"lamport"`
	Deps     []string        `json:"deps"`
	Time     uint64          `json:"time"`
	Kind     string          `json:"kind"`
	Body     json.RawMessage `json:"body,omitempty"`
	BodyHash string          `json:"body_hash,omitempty"`
	Redacted bool            `json:"redacted,omitempty"`
	Sig      string          `json:"sig"`
	Raw      string          `json:"raw"`
}

// MaxLine bounds one JSON line: the raw event hex-encoded twice over
// (raw and body), plus the fields.
const MaxLine = 4*MaxEventSize + 4096

// NewLine describes an event as a line.
func NewLine(e *Event) Line {
	l := Line{
		ID: e.ID.String(), WS: e.WS.String(), Author: strings.ToLower(e.Author.Hex()), Seq: e.Seq,
		Prev: e.Prev.String(), Lamport: e.Lamport, Deps: []string{}, Time: e.Time, Kind: e.Kind,
		Sig: hex.EncodeToString(e.Sig), Raw: hex.EncodeToString(e.Raw),
	}
	for _, d := range e.Deps {
		l.Deps = append(l.Deps, d.String())
	}
	if e.Redacted {
		l.Redacted, l.BodyHash = true, hex.EncodeToString(e.BodyHash[:])
	} else {
		l.Body = json.RawMessage(e.Body)
	}
	return l
}

// ParseLine decodes a JSON line and checks that its fields say what its
// raw bytes say. It does not check the signature.
func ParseLine(data []byte) (*Event, error) {
	if len(data) > MaxLine {
		return nil, fmt.Errorf("%w: line of %d bytes", ErrTooLarge, len(data))
	}
	var l Line
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: not a JSON event line: %v", ErrMalformed, err)
	}
	// One event a line: a second value after it would be read past unseen.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: more than one JSON value on the line", ErrMalformed)
	}
	raw, err := hex.DecodeString(l.Raw)
	if err != nil {
		return nil, fmt.Errorf("%w: raw is not hex", ErrMalformed)
	}
	e, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	want := NewLine(e)
	mismatch := func(field string) error {
		return fmt.Errorf("%w: field %q disagrees with raw", ErrMalformed, field)
	}
	switch {
	case l.ID != want.ID:
		return nil, mismatch("id")
	case l.WS != want.WS:
		return nil, mismatch("ws")
	case !strings.EqualFold(l.Author, want.Author) || !common.IsHexAddress(l.Author):
		return nil, mismatch("author")
	case l.Seq != want.Seq:
		return nil, mismatch("seq")
	case l.Prev != want.Prev:
		return nil, mismatch("prev")
	case l.Lamport != want.Lamport:
		return nil, mismatch("lamport")
	case !slices.Equal(l.Deps, want.Deps):
		return nil, mismatch("deps")
	case l.Time != want.Time:
		return nil, mismatch("time")
	case l.Kind != want.Kind:
		return nil, mismatch("kind")
	case l.Sig != want.Sig:
		return nil, mismatch("sig")
	case l.Redacted != want.Redacted:
		return nil, mismatch("redacted")
	case l.BodyHash != want.BodyHash:
		return nil, mismatch("body_hash")
	case l.Redacted && l.Body != nil:
		return nil, mismatch("body") // raw holds none to show
	case !l.Redacted && !jsonEqual(l.Body, want.Body):
		return nil, mismatch("body")
	}
	return e, nil
}

// jsonEqual compares two JSON texts ignoring insignificant whitespace.
func jsonEqual(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
