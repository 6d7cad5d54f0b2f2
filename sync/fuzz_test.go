package sync

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// FuzzFramed feeds arbitrary bytes to the SSH framing and decodes every
// frame it yields as the session would: nothing may panic, every refusal is
// misbehaviour or a short read, and a frame that decodes re-encodes to a
// frame that decodes to the same message.
func FuzzFramed(f *testing.F) {
	frame := func(code uint64, v any) []byte {
		var b bytes.Buffer
		fr := NewFramed(nil, &b, nil)
		if err := send(fr, code, v); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	f.Add(frame(StatusMsg, &Status{WS: [32]byte{1}, Heads: []HeadMsg{{Seq: 3}}, Lamport: 9}))
	f.Add(frame(GetEventsMsg, &GetEvents{From: 1, Max: 10}))
	f.Add(frame(EventsMsg, &Events{Raws: [][]byte{{0xc0}, {1, 2}}}))
	f.Add(frame(AnnounceMsg, &Announce{}))
	f.Add(frame(GetBlobsMsg, &GetBlobs{Hashes: []string{"ab"}}))
	f.Add(frame(BlobsMsg, &Blobs{Data: [][]byte{nil}}))
	f.Add(frame(ForksMsg, &Forks{Pairs: []ForkPair{{A: []byte{1}, B: []byte{2}}}}))
	f.Add([]byte{0xff, 0, 0, 0, 1, 0})               // unknown code
	f.Add([]byte{EventsMsg, 0xff, 0xff, 0xff, 0xff}) // over the cap
	f.Add([]byte{StatusMsg, 0, 0, 0, 3, 0xc1})       // short payload
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFramed(bytes.NewReader(data), io.Discard, nil)
		for {
			msg, err := fr.ReadMsg()
			if err != nil {
				if !errors.Is(err, ErrMisbehaved) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("ReadMsg: unexpected error %v", err)
				}
				return
			}
			v := messageOf(msg.Code)
			if err := decode(msg, v); err != nil {
				if !errors.Is(err, ErrMisbehaved) {
					t.Fatalf("decode: %v is not misbehaviour", err)
				}
				continue
			}
			again, err := rlp.EncodeToBytes(v)
			if err != nil {
				t.Fatalf("a decoded message does not encode: %v", err)
			}
			w := messageOf(msg.Code)
			if err := decode(p2p.Msg{Code: msg.Code, Size: uint32(len(again)), Payload: bytes.NewReader(again)}, w); err != nil {
				t.Fatalf("a re-encoded message does not decode: %v", err)
			}
			if !reflect.DeepEqual(v, w) {
				t.Fatalf("code %d: decoded %+v, re-encoded and decoded %+v", msg.Code, v, w)
			}
		}
	})
}

// messageOf is the type a message code decodes into.
func messageOf(code uint64) any {
	switch code {
	case StatusMsg:
		return new(Status)
	case GetEventsMsg:
		return new(GetEvents)
	case EventsMsg:
		return new(Events)
	case AnnounceMsg:
		return new(Announce)
	case GetBlobsMsg:
		return new(GetBlobs)
	case BlobsMsg:
		return new(Blobs)
	case ForksMsg:
		return new(Forks)
	case RefusedMsg:
		return new(Refused)
	}
	return new(rlp.RawValue)
}
