package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
)

// Request and reply types: one byte after the length.
const (
	msgStatus byte = iota + 1
	msgSign
	msgLock
	msgUnlock
	msgAppend
	msgStop
	msgFetch

	replyOK   byte = 0x80
	replyFail byte = 0x81
)

// Size caps. A signing request holds one event (domain.MaxEventSize); an
// append may carry an evidence file (store.MaxBlob, 15 MiB, what sync can
// carry); the caps leave room and bound a hostile peer on the socket.
const (
	MaxRequest = domain.MaxEventSize + 4<<10
	MaxAppend  = 64<<20 + 1<<20
	MaxReply   = 64 << 20
)

var (
	// ErrLocked is an agent that holds no key: locked, expired, or never unlocked.
	ErrLocked = errors.New("the agent is locked")
	// ErrTooLarge is a frame over its cap.
	ErrTooLarge = errors.New("frame over the size limit")
	// ErrNoWriter is an append sent to an agent that holds no store.
	ErrNoWriter = errors.New("this agent does not write a store")
)

// Status is what an agent reports about itself.
type Status struct {
	Locked    bool
	Address   common.Address
	Expires   uint64 // unix milliseconds; 0 when the key is kept until the process exits
	Workspace domain.ID
	Writer    bool // it takes appends for its home (a running serve or cockpit)
}

type signReq struct {
	Header []byte
	Body   []byte
}

type unlockReq struct{ Passphrase []byte }

// appendReq carries a command's writes: blobs first, then the events that
// name them, each body as its kind and canonical JSON.
type appendReq struct {
	Blobs  [][]byte
	Kinds  []string
	Bodies [][]byte
}

type appendReply struct{ Events [][]byte }

// fetchReq asks the home's node for blobs from its peers; the reply lists
// those still missing.
type fetchReq struct{ Hashes []string }

type fetchReply struct{ Missing []string }

// maxFetch bounds the hashes of one fetch request.
const maxFetch = 256

// capFor is the largest frame a request of type t may be.
func capFor(t byte) int {
	if t == msgAppend {
		return MaxAppend
	}
	return MaxRequest
}

// writeFrame writes length, type and the RLP of v (nil: no payload).
func writeFrame(w io.Writer, t byte, v any) error {
	var payload []byte
	if v != nil {
		var err error
		if payload, err = rlp.EncodeToBytes(v); err != nil {
			return err
		}
	}
	buf := make([]byte, 5, 5+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(1+len(payload)))
	buf[4] = t
	_, err := w.Write(append(buf, payload...))
	return err
}

// readFrame reads one frame; limit maps its type to its cap. A frame over its
// cap is refused before its payload is read.
func readFrame(r io.Reader, limit func(byte) int) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("truncated frame: %w", err)
		}
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:4]))
	if n == 0 {
		return 0, nil, errors.New("empty frame")
	}
	if n > limit(hdr[4]) {
		return hdr[4], nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, limit(hdr[4]))
	}
	// Grown as the bytes arrive, not reserved from the header's word: a
	// header claiming 65 MiB must not cost 65 MiB until the bytes come.
	payload, err := io.ReadAll(io.LimitReader(r, int64(n-1)))
	if err != nil || len(payload) != n-1 {
		return 0, nil, fmt.Errorf("truncated frame of %d bytes: %w", n, io.ErrUnexpectedEOF)
	}
	return hdr[4], payload, nil
}

// decode reads a payload into v and refuses trailing bytes.
func decode(payload []byte, v any) error {
	if err := rlp.DecodeBytes(payload, v); err != nil {
		return fmt.Errorf("malformed request: %w", err)
	}
	return nil
}
