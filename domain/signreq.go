package domain

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// EventSigner signs whole events rather than digests. An agent stands behind
// it: it must read what it signs, so it is handed the header and body and
// computes the digest itself. Seal prefers it to SignHash.
type EventSigner interface {
	Signer
	SignEvent(header, body []byte) ([]byte, error) // 65 bytes, v in {0,1}
}

// ErrNotAnEvent is a signing request that is not a well-formed tminus event.
var ErrNotAnEvent = errors.New("not a tminus event")

// SigningRequest is an event a signer was asked to sign, checked: its
// header as sent, the id that will be signed, and its decoded body.
type SigningRequest struct {
	Header
	ID   ID
	Body Body
}

// CheckSigningRequest accepts exactly what Seal produces: a canonical
// header of this format with a valid shape, and a canonical body of a known
// kind that hashes to the header's BodyHash. Whoever signs on its word
// knows the kind and incident of what they sign, and nothing else (a bare
// hash, an EIP-191 message, a Safe transaction) can pass for an event.
func CheckSigningRequest(header, body []byte) (*SigningRequest, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrNotAnEvent, fmt.Sprintf(format, a...))
	}
	var h Header
	if err := decodeHeader(header, &h); err != nil {
		return nil, bad("header: %v", err)
	}
	if canon, err := rlp.EncodeToBytes(&h); err != nil || !bytes.Equal(canon, header) {
		return nil, bad("header is not canonical RLP")
	}
	e := &Event{Header: h, ID: ID(crypto.Keccak256Hash(header)), Sig: make([]byte, 65)}
	if err := e.checkShape(); err != nil {
		return nil, bad("%v", err)
	}
	if h.Kind == KindGenesis {
		return nil, bad("a genesis is signed by tminus init with the keystore, not through an agent")
	}
	if crypto.Keccak256Hash(body) != h.BodyHash {
		return nil, bad("body does not match the header's body hash")
	}
	b, err := DecodeBody(h.Kind, body)
	if err != nil {
		return nil, bad("%v", err)
	}
	return &SigningRequest{Header: h, ID: e.ID, Body: b}, nil
}

// Subject is what the request's event is about: its incident, or zero.
func (r *SigningRequest) Subject() ID { return Subject(r.ID, r.Body) }
