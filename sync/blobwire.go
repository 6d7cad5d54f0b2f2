package sync

// Blobs on the wire, unchanged from the previous version: one blob per
// Blobs message, written from the blob's own bytes and read as slices of
// the received frame, not through rlp's encoder and decoder, each of which
// made a copy of up to 15 MiB.

import (
	"errors"
	"io"
	"net"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// blobsMsg is Blobs{Data: [][]byte{data}} as a message whose payload
// refers to data rather than holding an encoded copy of it.
func blobsMsg(data []byte) p2p.Msg {
	if len(data) < 1024 {
		enc, _ := rlp.EncodeToBytes(&Blobs{Data: [][]byte{data}})
		return p2p.Msg{Code: BlobsMsg, Size: uint32(len(enc)), Payload: &net.Buffers{enc}}
	}
	str := rlpHeader(0x80, len(data))
	inner := rlpHeader(0xc0, len(str)+len(data))
	outer := rlpHeader(0xc0, len(inner)+len(str)+len(data))
	head := append(append(outer, inner...), str...)
	return p2p.Msg{Code: BlobsMsg, Size: uint32(len(head) + len(data)), Payload: &net.Buffers{head, data}}
}

// rlpHeader is the RLP header of a string (base 0x80) or list (0xc0) of
// size bytes, in its short form under 56 bytes and its long form above.
func rlpHeader(base byte, size int) []byte {
	if size < 56 {
		return []byte{base + byte(size)}
	}
	var be []byte
	for n := size; n > 0; n >>= 8 {
		be = append([]byte{byte(n)}, be...)
	}
	return append([]byte{base + 55 + byte(len(be))}, be...)
}

// decodeBlobs decodes a Blobs message as decode would, but takes each blob
// as a slice of the payload where the transport hands over its bytes
// (Framed): a received blob is then held once until it is stored.
func decodeBlobs(msg p2p.Msg) ([][]byte, error) {
	if msg.Size > maxSize(BlobsMsg) {
		msg.Discard()
		return nil, misbehaved("message %d of %d bytes is over the %d-byte cap", msg.Code, msg.Size, maxSize(msg.Code))
	}
	var payload []byte
	if f, ok := msg.Payload.(interface{ Bytes() []byte }); ok {
		payload = f.Bytes()
	} else {
		payload = make([]byte, msg.Size)
		if _, err := io.ReadFull(msg.Payload, payload); err != nil {
			return nil, misbehaved("message %d is not valid RLP: %v", msg.Code, err)
		}
	}
	data, err := splitBlobs(payload)
	if err != nil {
		return nil, misbehaved("message %d is not valid RLP: %v", msg.Code, err)
	}
	return data, nil
}

// splitBlobs reads the RLP of Blobs from b: a list holding one list of
// strings. As rlp's decoder, it ignores what follows the outer list.
func splitBlobs(b []byte) ([][]byte, error) {
	fields, _, err := rlp.SplitList(b)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, errors.New("rlp: too few elements for sync.Blobs")
	}
	list, rest, err := rlp.SplitList(fields)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, errors.New("rlp: input list has too many elements for sync.Blobs")
	}
	out := [][]byte{}
	for len(list) > 0 {
		var data []byte
		if data, list, err = rlp.SplitString(list); err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}
