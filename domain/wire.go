package domain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// The envelope is decoded by hand rather than by rlp's reflection: that
// took a tenth of a batch import's time outside signature recovery. It
// accepts exactly what rlp.DecodeBytes accepts into wire and Header (a
// fuzz target holds the two together), and keeps the body and signature
// as slices of raw instead of copies.

var errTrailing = errors.New("trailing data after the envelope")

// decodeWire splits raw into its header (a whole RLP item), signature and
// optional body.
func decodeWire(raw []byte) (w wire, err error) {
	content, rest, err := rlp.SplitList(raw)
	if err != nil {
		return w, err
	}
	if len(rest) > 0 {
		return w, errTrailing
	}
	_, _, after, err := rlp.Split(content)
	if err != nil {
		return w, err
	}
	w.Header = content[:len(content)-len(after)]
	if w.Sig, after, err = rlp.SplitString(after); err != nil {
		return w, err
	}
	if len(after) > 0 {
		if w.Body, after, err = rlp.SplitString(after); err != nil {
			return w, err
		}
		if w.Body == nil {
			w.Body = []byte{} // present but empty is not redacted
		}
	}
	if len(after) > 0 {
		return w, errors.New("envelope has more than three elements")
	}
	return w, nil
}

// decodeHeader reads the header list into h.
func decodeHeader(b []byte, h *Header) error {
	content, rest, err := rlp.SplitList(b)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return errTrailing
	}
	d := fields{rest: content}
	h.V = d.uint64()
	d.array(h.WS[:])
	d.array(h.Author[:])
	h.Seq = d.uint64()
	d.array(h.Prev[:])
	h.Lamport = d.uint64()
	h.Deps = d.ids()
	h.Time = d.uint64()
	h.Kind = d.string()
	d.array(h.BodyHash[:])
	if d.err == nil && len(d.rest) > 0 {
		d.err = errors.New("header has more than ten elements")
	}
	return d.err
}

// fields reads a list's elements in order; the first error sticks.
type fields struct {
	rest []byte
	err  error
}

func (d *fields) next() []byte {
	if d.err != nil {
		return nil
	}
	if len(d.rest) == 0 {
		d.err = errors.New("header has too few elements")
		return nil
	}
	var s []byte
	s, d.rest, d.err = rlp.SplitString(d.rest)
	return s
}

func (d *fields) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.rest) == 0 {
		d.err = errors.New("header has too few elements")
		return 0
	}
	var x uint64
	x, d.rest, d.err = rlp.SplitUint64(d.rest)
	return x
}

func (d *fields) array(dst []byte) {
	s := d.next()
	if d.err == nil && len(s) != len(dst) {
		d.err = fmt.Errorf("%d-byte field holds %d bytes", len(dst), len(s))
	}
	copy(dst, s)
}

func (d *fields) string() string { return string(d.next()) }

func (d *fields) ids() []ID {
	if d.err != nil {
		return nil
	}
	if len(d.rest) == 0 {
		d.err = errors.New("header has too few elements")
		return nil
	}
	var list []byte
	if list, d.rest, d.err = rlp.SplitList(d.rest); d.err != nil {
		return nil
	}
	out := []ID{}
	for len(list) > 0 {
		var s []byte
		if s, list, d.err = rlp.SplitString(list); d.err != nil {
			return nil
		}
		if len(s) != len(ID{}) {
			d.err = fmt.Errorf("dep holds %d bytes", len(s))
			return nil
		}
		out = append(out, ID(s))
	}
	return out
}
