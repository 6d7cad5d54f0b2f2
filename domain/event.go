package domain

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Format is the only envelope version this code writes and accepts.
const Format = 1

// Limits on what one event may carry. Larger data goes to a blob.
const (
	MaxEventSize = 256 << 10
	MaxDeps      = 16
	MaxKindLen   = 64
)

// ID is an event id: keccak256 of the RLP-encoded header.
type ID [32]byte

// ZeroID is the id of nothing: the genesis's workspace and a first event's prev.
var ZeroID ID

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short is the 10-character prefix shown to people.
func (id ID) Short() string { return id.String()[:10] }

func (id ID) IsZero() bool { return id == ZeroID }

func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes in place: a snapshot holds hundreds of thousands
// of ids, and a string per id was a tenth of a cockpit's start at a
// million events. It accepts and refuses what ParseID does.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := parseID(b)
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// ParseID parses a full 64-character hex id.
func ParseID(s string) (ID, error) { return parseID(s) }

// parseID is ParseID of text or bytes, so UnmarshalText needs no string.
func parseID[T string | []byte](s T) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("id %q: want 64 hex characters, got %d", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("id %q: %w", s, err)
	}
	return id, nil
}

// Header is what the id commits to. The body appears only as its hash so
// that an event can be shown redacted and still be verified.
type Header struct {
	V        uint64
	WS       ID
	Author   common.Address
	Seq      uint64
	Prev     ID
	Lamport  uint64
	Deps     []ID
	Time     uint64 // unix milliseconds; RLP has no signed integers
	Kind     string
	BodyHash common.Hash
}

// wire is the stored and transmitted form. Body is last and optional: a
// redacted event is the same list without it.
type wire struct {
	Header rlp.RawValue
	Sig    []byte
	Body   []byte `rlp:"optional"`
}

// Event is a decoded, not necessarily verified, signed event.
type Event struct {
	Header
	ID       ID
	Sig      []byte
	Body     []byte // nil when redacted
	Redacted bool
	Raw      []byte // exactly the bytes that were signed and stored

	// checked is the body as CheckBody decoded it, kept for Subject: a
	// batch import checks bodies on every core, and the single writer
	// then needs no second decode.
	checked Body
	// signed says the signature has verified (Verify, or a batch of
	// VerifyEach), so verifying this event again costs nothing. Like
	// checked, it is set before the event is shared between goroutines.
	signed bool
}

// CheckBody decodes the body and checks it is valid and canonical
// (DecodeBody). Call it before the event is shared between goroutines.
func (e *Event) CheckBody() (Body, error) {
	b, err := DecodeBody(e.Kind, e.Body)
	if err != nil {
		return nil, err
	}
	e.checked = b
	return b, nil
}

// Subject is what the event is about (see Subject); zero for a redacted
// event or one that belongs to no incident.
func (e *Event) Subject() (ID, error) {
	if e.Redacted {
		return ID{}, nil
	}
	b := e.checked
	if b == nil {
		var err error
		if b, err = decodeBody(e.Kind, e.Body); err != nil {
			return ID{}, err
		}
	}
	return Subject(e.ID, b), nil
}

// Key orders events for the fold: by lamport, then id.
type Key struct {
	Lamport uint64
	ID      ID
}

func (k Key) Less(o Key) bool {
	if k.Lamport != o.Lamport {
		return k.Lamport < o.Lamport
	}
	return string(k.ID[:]) < string(o.ID[:])
}

func (e *Event) Key() Key { return Key{e.Lamport, e.ID} }

// Errors callers compare with errors.Is. Each names the rule it enforces.
var (
	ErrMalformed    = errors.New("malformed event")
	ErrTooLarge     = errors.New("event too large")
	ErrBadSignature = errors.New("bad signature")
	ErrWrongAuthor  = errors.New("signature is not by the author")
	ErrHighS        = errors.New("high-S signature (malleable twin)")
	ErrBodyMismatch = errors.New("body does not match its hash")
	// ErrNewer is an event of a format version or kind this version does not
	// know: most likely signed by a newer tminus. It is also ErrMalformed.
	ErrNewer = fmt.Errorf("%w: newer than this tminus (upgrade it to read this event)", ErrMalformed)
)

// Decode parses raw bytes into an Event without checking the signature.
// The id is computed over the header bytes as received: nothing is
// re-encoded, so what is verified is exactly what was signed.
func Decode(raw []byte) (*Event, error) {
	if len(raw) > MaxEventSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxEventSize)
	}
	w, err := decodeWire(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	e := &Event{Raw: raw, Sig: w.Sig, Body: w.Body, Redacted: w.Body == nil}
	if err := decodeHeader(w.Header, &e.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	e.ID = ID(crypto.Keccak256Hash(w.Header))
	if err := e.checkShape(); err != nil {
		return nil, err
	}
	if !e.Redacted && crypto.Keccak256Hash(e.Body) != e.BodyHash {
		return nil, fmt.Errorf("event %s: %w", e.ID.Short(), ErrBodyMismatch)
	}
	return e, nil
}

func (e *Event) checkShape() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: event %s: %s", ErrMalformed, e.ID.Short(), fmt.Sprintf(format, a...))
	}
	switch {
	case e.V > Format:
		return fmt.Errorf("%w: event %s: format version %d, this tminus reads %d", ErrNewer, e.ID.Short(), e.V, Format)
	case e.V != Format:
		return bad("format version %d, want %d", e.V, Format)
	case e.Seq == 0:
		return bad("seq 0")
	case e.Seq == 1 && !e.Prev.IsZero():
		return bad("seq 1 with a prev")
	case e.Seq > 1 && e.Prev.IsZero():
		return bad("seq %d without a prev", e.Seq)
	case len(e.Deps) > MaxDeps:
		return bad("%d deps, limit %d", len(e.Deps), MaxDeps)
	case e.Lamport == 0:
		return bad("lamport 0")
	case len(e.Kind) == 0 || len(e.Kind) > MaxKindLen:
		return bad("kind length %d", len(e.Kind))
	case len(e.Sig) != 65:
		return bad("signature of %d bytes, want 65", len(e.Sig))
	case e.Time > 1<<53:
		return bad("time %d out of range", e.Time)
	}
	if e.Kind == KindGenesis {
		// No deps either: a genesis that waited for one would leave an
		// empty store claimed by a workspace whose genesis never lands.
		if !e.WS.IsZero() || e.Seq != 1 || len(e.Deps) > 0 {
			return bad("genesis must have no workspace, no deps and seq 1")
		}
	} else if e.WS.IsZero() {
		return bad("no workspace")
	}
	return nil
}

// SigningHash is the EIP-191 "personal_sign" digest of an id, so any
// Ethereum wallet or hardware signer can sign events.
func SigningHash(id ID) []byte {
	return crypto.Keccak256([]byte("\x19Ethereum Signed Message:\n32"), id[:])
}

// Signer signs an EIP-191 digest. A keystore key, a hardware wallet or a
// test key can stand behind it.
type Signer interface {
	Address() common.Address
	SignHash(digest []byte) ([]byte, error) // 65 bytes, v in {0,1}
}

// Seal encodes and signs an event with the given header fields; BodyHash is
// computed from body.
func Seal(h Header, body []byte, s Signer) (*Event, error) {
	h.V = Format
	h.Author = s.Address()
	h.BodyHash = crypto.Keccak256Hash(body)
	hdr, err := rlp.EncodeToBytes(&h)
	if err != nil {
		return nil, err
	}
	id := ID(crypto.Keccak256Hash(hdr))
	var sig []byte
	if es, ok := s.(EventSigner); ok {
		sig, err = es.SignEvent(hdr, body)
	} else {
		sig, err = s.SignHash(SigningHash(id))
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if len(sig) != 65 {
		return nil, fmt.Errorf("sign: signature of %d bytes", len(sig))
	}
	sig = append([]byte(nil), sig...)
	sig[64] += 27
	raw, err := rlp.EncodeToBytes(&wire{Header: hdr, Sig: sig, Body: body})
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxEventSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxEventSize)
	}
	return Decode(raw)
}

// Redact returns the event without its body; it still verifies.
func (e *Event) Redact() (*Event, error) {
	if e.Redacted {
		return e, nil
	}
	var w wire
	if err := rlp.DecodeBytes(e.Raw, &w); err != nil {
		return nil, err
	}
	w.Body = nil
	raw, err := rlp.EncodeToBytes(&w)
	if err != nil {
		return nil, err
	}
	return Decode(raw)
}
