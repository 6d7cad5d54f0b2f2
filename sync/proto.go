package sync

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/store"
)

// Protocol tminus/1 message codes.
const (
	StatusMsg    = 0
	GetEventsMsg = 1
	EventsMsg    = 2
	AnnounceMsg  = 3
	GetBlobsMsg  = 4
	BlobsMsg     = 5
	ForksMsg     = 6
	RefusedMsg   = 7
	NumMsgs      = 8
)

// Size caps per message, checked before decoding: RLPx itself allows
// 16 MiB, far more than any honest tminus message.
const (
	MaxEventsBytes = 1 << 20       // raw events per Events message
	MaxBlobBytes   = store.MaxBlob // one blob per Blobs message: what the store keeps
	maxSmallMsg    = 512 << 10     // Status, GetEvents, Announce, GetBlobs
	maxEventsMsg   = MaxEventsBytes + 64<<10
	maxForksMsg    = 4*256<<10 + 4096 // two events a pair, a few pairs
)

func maxSize(code uint64) uint32 {
	switch code {
	case EventsMsg:
		return maxEventsMsg
	case BlobsMsg:
		return MaxBlobBytes + 4096
	case ForksMsg:
		return maxForksMsg
	}
	return maxSmallMsg
}

// HeadMsg names one author's newest event.
type HeadMsg struct {
	Author common.Address
	Seq    uint64
	ID     [32]byte
}

type Status struct {
	WS      [32]byte
	Heads   []HeadMsg
	Lamport uint64
}

type GetEvents struct {
	Author common.Address
	From   uint64
	Max    uint64
}

type Events struct{ Raws [][]byte }

type Announce struct{ Heads []HeadMsg }

type GetBlobs struct{ Hashes []string }

type Blobs struct{ Data [][]byte }

type ForkPair struct{ A, B []byte }

type Forks struct{ Pairs []ForkPair }

// Refused is the last message a node sends a peer it does not admit, so
// that the peer can say why rather than report a closed connection.
type Refused struct{ Reason uint64 }

// ErrMisbehaved marks a peer error that warrants a disconnect and back-off.
var ErrMisbehaved = errors.New("peer misbehaved")

// ErrOtherWorkspace is a peer whose Status names another workspace: most
// often the right host with the wrong home. It is also ErrMisbehaved.
var ErrOtherWorkspace = fmt.Errorf("%w: the peer holds another workspace", ErrMisbehaved)

func misbehaved(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMisbehaved, fmt.Sprintf(format, a...))
}

// readMsg reads one message and decodes it into v after checking its size.
func decode(msg p2p.Msg, v any) error {
	if msg.Code >= NumMsgs {
		msg.Discard()
		return misbehaved("unknown message code %d", msg.Code)
	}
	if msg.Size > maxSize(msg.Code) {
		msg.Discard()
		return misbehaved("message %d of %d bytes is over the %d-byte cap", msg.Code, msg.Size, maxSize(msg.Code))
	}
	if err := msg.Decode(v); err != nil {
		return misbehaved("message %d is not valid RLP: %v", msg.Code, err)
	}
	return nil
}

// Framed carries tminus/1 messages over a byte stream (an SSH channel's
// stdio or a pipe): a code byte, a 4-byte big-endian length, the RLP payload.
type Framed struct {
	r  *bufio.Reader
	w  io.Writer
	c  io.Closer
	mu gosync.Mutex
	// large counts the bytes read of frames of largeFrame or more, as they
	// arrive: a blob crossing a slow link shows progress before it is whole.
	large atomic.Int64
}

// largeFrame is the size from which a frame's bytes count as progress of a
// transfer (largeProgress): announces and requests are smaller.
const largeFrame = 64 << 10

// NewFramed wraps a stream; closer (may be nil) is closed by Close.
func NewFramed(r io.Reader, w io.Writer, closer io.Closer) *Framed {
	return &Framed{r: bufio.NewReaderSize(r, 64<<10), w: w, c: closer}
}

func (f *Framed) ReadMsg() (p2p.Msg, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return p2p.Msg{}, err
	}
	code, size := uint64(hdr[0]), binary.BigEndian.Uint32(hdr[1:])
	if code >= NumMsgs || size > maxSize(code) {
		return p2p.Msg{}, misbehaved("frame code %d of %d bytes is over its cap", code, size)
	}
	buf := make([]byte, size)
	for n := 0; n < len(buf); {
		m, err := io.ReadFull(f.r, buf[n:min(len(buf), n+largeFrame)])
		if err != nil {
			return p2p.Msg{}, err
		}
		n += m
		if size >= largeFrame {
			f.large.Add(int64(m))
		}
	}
	return p2p.Msg{Code: code, Size: size, Payload: &frame{bytes.NewReader(buf), buf}, ReceivedAt: time.Now()}, nil
}

// largeProgress is the bytes read so far of large frames: the session
// takes a change as a sign that an answer is on its way.
func (f *Framed) largeProgress() int64 { return f.large.Load() }

// frame is a read frame's payload; decodeBlobs takes its bytes as they
// are rather than copying a 15 MiB blob out of them.
type frame struct {
	*bytes.Reader
	b []byte
}

func (f *frame) Bytes() []byte { return f.b }

// WriteMsg writes the payload as it is, without first copying it whole: a
// blob served is then held once, by the caller.
func (f *Framed) WriteMsg(msg p2p.Msg) error {
	var hdr [5]byte
	hdr[0] = byte(msg.Code)
	binary.BigEndian.PutUint32(hdr[1:], msg.Size)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.w.Write(hdr[:]); err != nil {
		return err
	}
	var n int64
	var err error
	if wt, ok := msg.Payload.(io.WriterTo); ok {
		n, err = wt.WriteTo(f.w)
	} else {
		n, err = io.CopyN(f.w, msg.Payload, int64(msg.Size))
	}
	if err == nil && n != int64(msg.Size) {
		// The frame's length is written: the stream is out of step now.
		err = fmt.Errorf("message %d: payload of %d bytes, its size says %d", msg.Code, n, msg.Size)
	}
	return err
}

func (f *Framed) Close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}

// send encodes v as message code.
func send(w p2p.MsgWriter, code uint64, v any) error {
	data, err := rlp.EncodeToBytes(v)
	if err != nil {
		return err
	}
	return w.WriteMsg(p2p.Msg{Code: code, Size: uint32(len(data)), Payload: bytes.NewReader(data)})
}
