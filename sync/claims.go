package sync

import (
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Claims is shared by the sessions of one node, so that with several peers
// holding the same chain it is pulled from one of them at a time. Each
// session used to ask every peer for what it lacked: after a partition
// healed, a node with six peers received each range six times and checked
// every signature six times before its store found the copies duplicates.
//
// A session claims an author's chain when it asks for a range of it and
// holds the claim until that range is stored (or the session ends); the
// others leave that author alone meanwhile and look again on their next
// tick. A claim lapses claimTimeout after its session last asked for,
// received or stored a range of the chain, so a peer that stalls, or a
// connection that died without a word, holds nobody up for long; and a
// session whose peer holds more of the chain takes the claim over: a node
// must not follow a peer that is itself still catching up when another
// has it all. A claim does not lapse while ranges its session received
// are being checked and stored: that wait is this node's own, and on a
// slow one another session took the claim and pulled the same ranges
// again.
type Claims struct {
	mu    gosync.Mutex
	owner map[common.Address]claim
	// twice counts events received that the store already held: what the
	// claims are meant to keep near zero.
	twice atomic.Int64
	// blobs names the session asking its peer for each blob, so that a
	// missing blob is fetched from one peer at a time: every session's
	// scan found it missing while the first copy was on its way, and a
	// rejoining node with three peers fetched each 4 MiB blob twice or
	// more. A blob claim has no clock: the session's own blobTimeout gives
	// a stalled ask up, and its end releases everything.
	blobs map[string]*Session
	// freed counts blob claims given up without the blob stored (the peer
	// lacked it, the ask timed out, the session ended): the other sessions
	// look again for what their peers may hold.
	freed atomic.Int64
	// blobsTwice counts blobs received that the store already held.
	blobsTwice atomic.Int64
}

type claim struct {
	s    *Session
	at   time.Time
	upTo uint64 // the chain's head at the claimant's peer
	// storing counts the claimant's rounds holding ranges of the chain
	// that are not stored yet.
	storing int
}

// claimTimeout bounds how long a claim holds without its session asking
// for or receiving a range of the chain. A range of 1 MiB arrives well
// within it on a loaded two-core machine; a soak run with 10 s saw a
// killed peer's silent connection hold a chain up for that long.
var claimTimeout = 3 * time.Second

// take claims author's chain for s, whose peer holds it up to seq upTo:
// false while another session holds it with as much to pull.
func (c *Claims) take(a common.Address, s *Session, upTo uint64) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.owner[a]
	if ok && cl.s != s && (cl.storing > 0 || time.Since(cl.at) < claimTimeout) && upTo <= cl.upTo {
		return false
	}
	if c.owner == nil {
		c.owner = map[common.Address]claim{}
	}
	next := claim{s: s, at: time.Now(), upTo: upTo}
	if ok && cl.s == s {
		next.storing = cl.storing
	}
	c.owner[a] = next
	return true
}

// storing records that s handed a round holding a range of a's chain to
// its storer (delta 1) or that the round is stored (delta -1, which counts
// as progress).
func (c *Claims) storing(a common.Address, s *Session, delta int) {
	c.held(a, s, func(cl claim) {
		// A round handed over before a takeover and stored after this
		// session took the claim back was not counted in it.
		cl.storing = max(cl.storing+delta, 0)
		if delta < 0 {
			cl.at = time.Now()
		}
		c.owner[a] = cl
	})
}

// touch records progress on s's claim: a range of the chain arrived.
func (c *Claims) touch(a common.Address, s *Session) {
	c.held(a, s, func(cl claim) {
		cl.at = time.Now()
		c.owner[a] = cl
	})
}

// release gives up s's claim on author's chain, if it holds it.
func (c *Claims) release(a common.Address, s *Session) {
	c.held(a, s, func(claim) { delete(c.owner, a) })
}

// held runs f, under the lock, on the claim on a if s holds it.
func (c *Claims) held(a common.Address, s *Session, f func(claim)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.owner[a]; ok && cl.s == s {
		f(cl)
	}
}

// releaseAll gives up every claim of s: its session ended.
func (c *Claims) releaseAll(s *Session) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for a, cl := range c.owner {
		if cl.s == s {
			delete(c.owner, a)
		}
	}
	for h, owner := range c.blobs {
		if owner == s {
			delete(c.blobs, h)
			c.freed.Add(1)
		}
	}
}

// takeBlob claims the blob for s: false while another session asks its
// peer for it.
func (c *Claims) takeBlob(hash string, s *Session) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if owner, ok := c.blobs[hash]; ok && owner != s {
		return false
	}
	if c.blobs == nil {
		c.blobs = map[string]*Session{}
	}
	c.blobs[hash] = s
	return true
}

// dropBlob ends s's claim on the blob; unless it was stored, the other
// sessions are told to look for it again.
func (c *Claims) dropBlob(hash string, s *Session, stored bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blobs[hash] != s {
		return
	}
	delete(c.blobs, hash)
	if !stored {
		c.freed.Add(1)
	}
}
