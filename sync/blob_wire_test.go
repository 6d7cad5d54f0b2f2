package sync

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// A blob served without an encoded copy is the same bytes on the wire as
// rlp's encoding of Blobs, so that peers of the previous version read it;
// sizes cross each of RLP's header forms.
func TestBlobsMsgIsRLPsEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 2, 55, 56, 1023, 1024, 1025, 65535, 65536, 1 << 20, MaxBlobBytes} {
		data := bytes.Repeat([]byte{0x7f}, n)
		want, err := rlp.EncodeToBytes(&Blobs{Data: [][]byte{data}})
		if err != nil {
			t.Fatal(err)
		}
		msg := blobsMsg(data)
		got, err := io.ReadAll(msg.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if int(msg.Size) != len(want) || !bytes.Equal(got, want) {
			t.Fatalf("%d-byte blob: %d bytes (size %d), rlp encodes %d; first bytes %x, want %x",
				n, len(got), msg.Size, len(want), got[:min(8, len(got))], want[:min(8, len(want))])
		}
	}
}

// Framed writes the payload as it is and reads it back whole; a payload
// shorter than its stated size is an error, not a frame cut short silently.
func TestFramedBlobRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	fr := NewFramed(&buf, &buf, nil)
	data := bytes.Repeat([]byte("evidence "), 20000) // a large frame
	if err := fr.WriteMsg(blobsMsg(data)); err != nil {
		t.Fatal(err)
	}
	if err := send(fr, AnnounceMsg, &Announce{}); err != nil {
		t.Fatal(err)
	}
	msg, err := fr.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeBlobs(msg)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0], data) {
		t.Fatalf("decoded %d blobs, %v", len(got), err)
	}
	if p := fr.largeProgress(); p != int64(msg.Size) {
		t.Fatalf("large-frame progress %d after one frame of %d bytes", p, msg.Size)
	}
	if _, err := fr.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	if p := fr.largeProgress(); p != int64(msg.Size) {
		t.Fatalf("an announce counted as large-frame progress: %d", p)
	}
	short := p2p.Msg{Code: BlobsMsg, Size: 10, Payload: bytes.NewReader([]byte{1, 2, 3})}
	if err := fr.WriteMsg(short); err == nil {
		t.Fatal("a payload shorter than its size was written without error")
	}
}

// decodeBlobs refuses what decode refuses, as misbehaviour.
func TestDecodeBlobsRefuses(t *testing.T) {
	enc := func(v any) []byte {
		b, err := rlp.EncodeToBytes(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"a string, not a list", enc([]byte("x"))},
		{"empty list", enc([]any{})},
		{"two fields", enc([]any{[][]byte{}, []byte{1}})},
		{"a list among the blobs", enc([]any{[]any{[]byte{1}, []any{}}})},
		{"non-canonical single byte", []byte{0xc3, 0xc2, 0x81, 0x05}},
		{"length past the end", []byte{0xc3, 0xc2, 0x85, 0x05}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := p2p.Msg{Code: BlobsMsg, Size: uint32(len(c.data)), Payload: bytes.NewReader(c.data)}
			if _, err := decodeBlobs(msg); !errors.Is(err, ErrMisbehaved) {
				t.Fatalf("decodeBlobs: %v, want misbehaviour", err)
			}
			var m Blobs
			msg.Payload = bytes.NewReader(c.data)
			if err := decode(msg, &m); err == nil {
				t.Fatalf("rlp decodes it (%d blobs): the cases disagree", len(m.Data))
			}
		})
	}
	over := p2p.Msg{Code: BlobsMsg, Size: maxSize(BlobsMsg) + 1, Payload: bytes.NewReader(nil)}
	if _, err := decodeBlobs(over); !errors.Is(err, ErrMisbehaved) {
		t.Fatalf("an oversized Blobs message: %v, want misbehaviour", err)
	}
}

// FuzzDecodeBlobs: decodeBlobs, which slices blobs out of the payload,
// accepts exactly what rlp's decoder accepts and yields the same blobs.
func FuzzDecodeBlobs(f *testing.F) {
	for _, v := range []*Blobs{{}, {Data: [][]byte{nil}}, {Data: [][]byte{{1}, {0x80}, bytes.Repeat([]byte{2}, 60)}}} {
		b, _ := rlp.EncodeToBytes(v)
		f.Add(b)
	}
	f.Add([]byte{0xc3, 0xc2, 0x81, 0x05})
	f.Add([]byte{0xc1, 0xc0, 0x00}) // trailing bytes inside the outer list
	f.Fuzz(func(t *testing.T, data []byte) {
		msg := func() p2p.Msg {
			return p2p.Msg{Code: BlobsMsg, Size: uint32(len(data)), Payload: bytes.NewReader(data)}
		}
		got, err := decodeBlobs(msg())
		var want Blobs
		werr := decode(msg(), &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("decodeBlobs: %v; rlp: %v", err, werr)
		}
		if err != nil {
			if !errors.Is(err, ErrMisbehaved) {
				t.Fatalf("decodeBlobs: %v is not misbehaviour", err)
			}
			return
		}
		if len(got) != len(want.Data) {
			t.Fatalf("decodeBlobs: %d blobs; rlp: %d", len(got), len(want.Data))
		}
		for i := range got {
			if !bytes.Equal(got[i], want.Data[i]) {
				t.Fatalf("blob %d: %x; rlp: %x", i, got[i], want.Data[i])
			}
		}
	})
}
