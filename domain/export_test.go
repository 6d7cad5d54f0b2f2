package domain

import (
	"bytes"
	"sync"

	"github.com/ethereum/go-ethereum/rlp"
)

// BatchStats says how many signatures batches have passed, and how many
// were checked again one by one after a batch failed.
func BatchStats() (passed, rechecked int64) {
	return batchStats.passed.Load(), batchStats.rechecked.Load()
}

// CanonicalBytes is writeCanonical into memory, for tests.
func CanonicalBytes(s *State) ([]byte, error) {
	var b bytes.Buffer
	err := writeCanonical(&b, s)
	return b.Bytes(), err
}

// Restore round-trips a state through snapshot parts of about size
// bytes, delivered in the order perm gives (nil: as encoded).
func Restore(s *State, size int, perm func(n int) []int) (*State, int, error) {
	var parts []Part
	if err := s.EncodeParts(size, func(p Part) error { parts = append(parts, p); return nil }); err != nil {
		return nil, 0, err
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	if perm != nil {
		order = perm(len(parts))
	}
	d := NewStateDecoder()
	for _, i := range order {
		if err := d.Add(parts[i]); err != nil {
			return nil, 0, err
		}
	}
	return d.State(), len(parts), nil
}

// RestoreDecoded is Restore with each part decoded on a goroutine of its
// own (Decode), merged in the order perm gives (Merge).
func RestoreDecoded(s *State, size int, perm func(n int) []int) (*State, error) {
	var parts []Part
	if err := s.EncodeParts(size, func(p Part) error { parts = append(parts, p); return nil }); err != nil {
		return nil, err
	}
	d := NewStateDecoder()
	decoded := make([]DecodedPart, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() { defer wg.Done(); decoded[i], errs[i] = d.Decode(p) }()
	}
	wg.Wait()
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	if perm != nil {
		order = perm(len(parts))
	}
	for _, i := range order {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if err := d.Merge(decoded[i]); err != nil {
			return nil, err
		}
	}
	return d.State(), nil
}

// DecodeWire is the hand decoder of the envelope; ReflectWire is rlp's,
// which it must match.
func DecodeWire(raw []byte) (sig, body []byte, h Header, err error) {
	w, err := decodeWire(raw)
	if err == nil {
		err = decodeHeader(w.Header, &h)
	}
	return w.Sig, w.Body, h, err
}

func ReflectWire(raw []byte) (sig, body []byte, h Header, err error) {
	var w wire
	err = rlp.DecodeBytes(raw, &w)
	if err == nil {
		err = rlp.DecodeBytes(w.Header, &h)
	}
	return w.Sig, w.Body, h, err
}
