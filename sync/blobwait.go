package sync

// How long a blob ask is waited for. A range request unanswered within
// requestTimeout ends the session, but blob asks had no bound at all: a far
// end of sync --ssh that never answered one (its disk hung, or an older
// tminus stuck serving) held the sync until the command's --timeout, and the
// events it had pulled were reported as a failed sync. Now an ask not
// answered within blobTimeout is given up: the sync ends as it would have,
// the blob counted in Stats.Unanswered, and the store's list of missing
// blobs keeps it for a later sync, another peer or evidence get.
//
// The peer answers in order, so the clock runs for the oldest ask and
// restarts with every sign that answers are moving: a Blobs message, any
// message of largeFrame or more (a blob or a large range ahead of it), and
// on Framed every part of a large frame read, so that a 15 MiB blob
// crossing a slow SSH link is not given up while its bytes arrive. A peer
// that goes on announcing while it never answers does not hold it off.
//
// A given-up ask keeps its place in blobOrder: if its answer comes after
// all, it is the answer to that ask, stored and counted; forgetting it
// would have made the peer's honest late answer look unasked for.

import (
	"time"

	"github.com/ethereum/go-ethereum/p2p"
)

// blobTimeout is how long the oldest blob ask waits with no sign of its
// answer moving; a variable so that tests can shorten it. devp2p allows
// 30 s to read one frame, so a blob that takes longer never arrives there.
var blobTimeout = 30 * time.Second

// heard notes a message from the peer that shows answers moving.
func (s *Session) heard(msg p2p.Msg) {
	if msg.Code == BlobsMsg || msg.Size >= largeFrame {
		s.blobMoved()
	}
}

// blobMoved restarts the oldest ask's clock.
func (s *Session) blobMoved() {
	if !s.blobWait.IsZero() {
		s.blobWait = time.Now()
	}
}

// checkBlobWait runs on each tick: it starts the clock when asks are out,
// restarts it on progress of a large frame, and gives the asks up once it
// ran out.
func (s *Session) checkBlobWait(now time.Time) {
	if len(s.blobs) == 0 {
		s.blobWait = time.Time{}
		return
	}
	if p, ok := s.RW.(interface{ largeProgress() int64 }); ok {
		if n := p.largeProgress(); n != s.progress {
			s.progress = n
			s.blobWait = now
		}
	}
	if s.blobWait.IsZero() {
		s.blobWait = now
		return
	}
	if now.Sub(s.blobWait) < blobTimeout {
		return
	}
	// Asked later, answered later: none of them will come before the
	// oldest. The scan does not ask this peer for them again for
	// notHereFor; a command's Ask still does.
	for h := range s.blobs {
		delete(s.blobs, h)
		s.Claims.dropBlob(h, s, false)
		s.gaveUp[h] = true
		s.notHere[h] = now
		s.Stats.Unanswered++
	}
	s.blobWait = time.Time{}
}

// lateAnswer takes the answer to an ask that was given up: it is one
// fewer unanswered.
func (s *Session) lateAnswer(hash string) {
	if s.gaveUp[hash] {
		delete(s.gaveUp, hash)
		s.Stats.Unanswered--
	}
}

// askAgain has a given-up ask waited for again (a command wants it now)
// without asking twice: the peer still owes its answer to the first.
func (s *Session) askAgain(hash string) bool {
	if !s.gaveUp[hash] {
		return false
	}
	s.lateAnswer(hash)
	delete(s.notHere, hash)
	s.blobs[hash] = true
	s.blobWait = time.Time{} // the clock starts again at the next tick
	return true
}
