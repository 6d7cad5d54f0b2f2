package domain

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tminus-ir/tminus/domain/sigbatch"
)

// Verify checks the signature: EIP-191 personal_sign over the 32-byte id,
// low-S only, recovering to the author.
func (e *Event) Verify() error {
	if e.signed {
		return nil
	}
	sig, err := e.sigShape()
	if err != nil {
		return err
	}
	pub, err := crypto.Ecrecover(SigningHash(e.ID), sig[:])
	if err != nil {
		return fmt.Errorf("event %s: %w: %v", e.ID.Short(), ErrBadSignature, err)
	}
	if !authorKeys.is(e.Author, pub) {
		return fmt.Errorf("event %s: %w %s", e.ID.Short(), ErrWrongAuthor, e.Author.Hex())
	}
	e.signed = true
	return nil
}

// sigShape returns the signature with v as 0 or 1, refusing what no
// signer of this format makes: a wrong length, v not 27 or 28, a high S.
func (e *Event) sigShape() (sig [65]byte, err error) {
	if len(e.Sig) != 65 {
		return sig, fmt.Errorf("event %s: %w: length %d", e.ID.Short(), ErrBadSignature, len(e.Sig))
	}
	copy(sig[:], e.Sig)
	if sig[64] != 27 && sig[64] != 28 {
		return sig, fmt.Errorf("event %s: %w: v=%d", e.ID.Short(), ErrBadSignature, sig[64])
	}
	sig[64] -= 27
	if !lowS(sig[32:64]) {
		return sig, fmt.Errorf("event %s: %w", e.ID.Short(), ErrHighS)
	}
	return sig, nil
}

// minBatch is the fewest signatures worth a batch: below it the fixed
// cost (a base-point and a key multiplication) outweighs what it saves.
const minBatch = 64

// VerifyEach checks evs[i] as Verify does into errs[i], leaving errs[i]
// alone where evs[i] is nil. The events of authors already known are
// checked together in one batch (package sigbatch), for about half of
// what a recovery each costs; an author's first event is recovered, which
// is how its key becomes known. A batch that fails is checked again one by
// one, so each bad event gets Verify's own error.
func VerifyEach(evs []*Event, errs []error) {
	var (
		items   = make([]sigbatch.Item, 0, len(evs))
		at      = make([]int, 0, len(evs))
		digests = make([][32]byte, len(evs))
		sigs    = make([][65]byte, len(evs))
	)
	for i, e := range evs {
		if e == nil {
			continue
		}
		if e.signed {
			errs[i] = nil
			continue
		}
		sig, err := e.sigShape()
		if err != nil {
			errs[i] = err
			continue
		}
		key := authorKeys.key(e.Author)
		if key == nil {
			errs[i] = e.Verify()
			continue
		}
		sigs[i] = sig
		copy(digests[i][:], SigningHash(e.ID))
		items = append(items, sigbatch.Item{Digest: &digests[i], Sig: sigs[i][:], Key: key})
		at = append(at, i)
	}
	if len(items) >= minBatch {
		if sigbatch.Verify(items) {
			batchStats.passed.Add(int64(len(items)))
			for _, i := range at {
				evs[i].signed = true
			}
			return
		}
		batchStats.rechecked.Add(int64(len(items)))
	}
	for _, i := range at {
		errs[i] = evs[i].Verify()
	}
}

// batchStats counts the signatures batches passed, and those checked
// again one by one after a batch failed, for tests to see which way ran.
var batchStats struct{ passed, rechecked atomic.Int64 }

// VerifyAll checks the signatures of evs on all cores, in batches as
// VerifyEach does, so that Verify then answers at once for those that
// passed: a reader that checks a whole file in order (Audit) verifies it
// first. The events must not be in use by other goroutines meanwhile.
func VerifyAll(evs []*Event) {
	const run = 2048
	var wg sync.WaitGroup
	next := make(chan int, len(evs)/run+1)
	for lo := 0; lo < len(evs); lo += run {
		next <- lo
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), len(evs)/run+1) {
		wg.Go(func() {
			errs := make([]error, run)
			for lo := range next {
				hi := min(lo+run, len(evs))
				VerifyEach(evs[lo:hi], errs[:hi-lo])
			}
		})
	}
	wg.Wait()
}

// authorKeys remembers the public keys of recent authors: verifying their
// events then skips hashing the recovered key into an address, and
// VerifyEach checks them in a batch. A batch comes from a handful of
// authors; the bound keeps a flood of strangers from growing it.
var authorKeys = keyCache{max: 1024}

type keyCache struct {
	mu   sync.RWMutex
	keys map[common.Address]knownKey
	max  int
}

type knownKey struct {
	pub    string // uncompressed, as Ecrecover returns it
	parsed *sigbatch.Key
}

// is reports whether pub, an uncompressed public key, is author's.
func (c *keyCache) is(author common.Address, pub []byte) bool {
	c.mu.RLock()
	known, ok := c.keys[author]
	c.mu.RUnlock()
	if ok && known.pub == string(pub) {
		return true
	}
	if common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]) != author {
		return false
	}
	parsed, _ := sigbatch.ParseKey(pub) // a recovered key parses; if not, nil: never batched
	c.mu.Lock()
	if len(c.keys) >= c.max {
		c.keys = nil
	}
	if c.keys == nil {
		c.keys = map[common.Address]knownKey{}
	}
	c.keys[author] = knownKey{string(pub), parsed}
	c.mu.Unlock()
	return true
}

// key returns author's key if a recovery has proved it, or nil.
func (c *keyCache) key(author common.Address) *sigbatch.Key {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keys[author].parsed
}

// secp256k1 N/2: signatures with a larger S are the malleable twins.
var halfN = common.FromHex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")

func lowS(s []byte) bool {
	for i := range s {
		if s[i] != halfN[i] {
			return s[i] < halfN[i]
		}
	}
	return true
}
