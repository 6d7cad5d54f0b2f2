package sync

// Pulling: what this side asks a peer for, and how the answers are stored.

import (
	"context"
	"errors"
	"runtime"
	"sort"
	gosync "sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// learn records the peer's heads and asks for what this store lacks.
func (s *Session) learn(ctx context.Context, heads []HeadMsg) error {
	for _, h := range heads {
		if cur, ok := s.remote[h.Author]; !ok || h.Seq > cur.Seq {
			s.remote[h.Author] = h
		}
	}
	return s.request(ctx)
}

func (s *Session) request(ctx context.Context) error {
	_, local, err := s.heads(ctx)
	if err != nil {
		return err
	}
	s.deferred = false
	for a, h := range s.remote {
		have := local[a]
		if s.asked[a] > have {
			have = s.asked[a]
		}
		if h.Seq <= local[a] {
			continue
		}
		if _, busy := s.flight[a]; busy || h.Seq <= have {
			continue
		}
		if !s.Claims.take(a, s, h.Seq) {
			s.deferred = true
			continue
		}
		if err := send(s.RW, GetEventsMsg, &GetEvents{Author: a, From: have + 1, Max: rangeMax}); err != nil {
			return err
		}
		s.flight[a] = time.Now()
		s.queue = append(s.queue, a)
	}
	if s.Behind != nil {
		s.Behind(s.behind(local))
	}
	return nil
}

// behind counts the events the peer's heads name beyond local's.
func (s *Session) behind(local map[common.Address]uint64) int64 {
	var n int64
	for a, h := range s.remote {
		if h.Seq > local[a] {
			n += int64(h.Seq - local[a])
		}
	}
	return n
}

// reportBehind tells the node how many events the peer holds that this
// store lacks, once a round is stored: request counts before the round it
// received is stored (it asks for the next one first), so after the last
// round of a pull its count stood at that round's size, often a single
// announced event, until the peer's next announce. peer list showed
// "behind 1" for minutes between converged nodes. Counted at the end of a
// pull only: mid-pull the next answer's request counts, and a heads read
// per round slowed a ten-node mesh under the race detector.
func (s *Session) reportBehind(ctx context.Context) error {
	if s.Behind == nil {
		return nil
	}
	_, local, err := s.heads(ctx)
	if err != nil {
		return err
	}
	s.Behind(s.behind(local))
	return nil
}

// receive takes one range. Ranges asked for together are stored together,
// in lamport order, once the last of them is in: a fresh replica pulls
// every author's chain at once, and each author's events depend on the
// others', so storing each range as it came parked most of them as
// orphans until the next range released them. A batch with one bad event
// is refused whole and the peer is cut off: nothing from it is trusted.
func (s *Session) receive(ctx context.Context, raws [][]byte) error {
	// Peers answer requests in order, one Events message each.
	if len(s.queue) == 0 {
		return misbehaved("sent events that were not asked for")
	}
	a := s.queue[0]
	s.queue = s.queue[1:]
	delete(s.flight, a)
	s.Claims.touch(a, s)
	if len(raws) == 0 {
		s.asked[a] = s.remote[a].Seq // the peer has nothing more from there
		if s.holding[a] == 0 {
			s.Claims.release(a, s)
		}
	}
	evs, err := decodeAll(raws)
	if err != nil {
		s.Stats.Rejected++
		return misbehaved("batch refused: %v", err)
	}
	for _, e := range evs {
		if e.Author != a {
			s.Stats.Rejected++
			return misbehaved("asked for %s's events, got %s's", a.Hex(), e.Author.Hex())
		}
		if e.Seq > s.asked[a] {
			s.asked[a] = e.Seq
		}
		s.pendingBytes += len(e.Raw)
	}
	s.pending = append(s.pending, evs...)
	if len(s.queue) > 0 && s.pendingBytes < maxPendingBytes {
		return nil
	}
	// Ask for the next round first: the peer reads and sends it while
	// this one is verified and stored.
	if err := s.request(ctx); err != nil {
		return err
	}
	return s.flush(ctx)
}

// flush hands the ranges received so far, as one batch, to the storer.
// Their signatures are checked on all cores from now on, while the writer
// may still be storing the round before: a round's commit no longer
// leaves the cores idle. At most two rounds are held (one storing, one
// checked and waiting); a third waits here, reading no messages.
func (s *Session) flush(ctx context.Context) error {
	evs := s.pending
	s.pending, s.pendingBytes = nil, 0
	if len(evs) == 0 {
		return nil
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
	for s.storing >= maxRounds {
		select {
		case r := <-s.stored:
			if err := s.storedRound(ctx, r); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.storing++
	for _, a := range authors(evs) {
		s.holding[a]++
		s.Claims.storing(a, s, 1)
	}
	s.toStore <- round{evs: evs, checking: s.St.Check(ctx, evs)}
	return nil
}

// maxRounds is how many received rounds a session holds before it stops
// reading: one being stored, one being checked.
const maxRounds = 2

// round is ranges received together, in fold order, being checked.
type round struct {
	evs      []*domain.Event
	checking *store.Checking
}

type storedRound struct {
	evs []*domain.Event
	rep store.Report
	err error
}

// storer stores rounds one at a time, in the order received, until in is
// closed. After a refused round it stores nothing more from this peer.
func (s *Session) storer(ctx context.Context, in <-chan round, out chan<- storedRound) {
	refused := false
	for r := range in {
		sr := storedRound{evs: r.evs}
		if refused {
			sr.err = errors.New("an earlier batch from this peer was refused")
		} else {
			sr.rep, sr.err = s.St.IngestChecked(ctx, r.checking)
			refused = sr.err != nil
		}
		out <- sr
	}
}

// countStoredLate counts rounds the storer committed after the session
// stopped taking its answers, so that Stats says what the store kept.
// Only once the storer is done: its answers are all buffered by then.
func (s *Session) countStoredLate() {
	for {
		select {
		case r := <-s.stored:
			if r.err == nil {
				s.Stats.Pulled += len(r.rep.Added)
			}
		default:
			return
		}
	}
}

// storedRound takes the storer's answer for one round.
func (s *Session) storedRound(ctx context.Context, r storedRound) error {
	s.storing--
	if r.err != nil {
		s.Stats.Rejected++
		var be *store.BatchError
		if errors.As(r.err, &be) {
			return misbehaved("batch refused: %v", r.err)
		}
		return r.err
	}
	s.Stats.Pulled += len(r.rep.Added)
	if s.Claims != nil {
		s.Claims.twice.Add(int64(r.rep.Duplicates))
	}
	// What this round held is stored: another session may take a chain up
	// where it ends, unless this one asked for more or holds more of it.
	for _, a := range authors(r.evs) {
		s.Claims.storing(a, s, -1)
		if s.holding[a]--; s.holding[a] <= 0 {
			delete(s.holding, a)
			if _, busy := s.flight[a]; !busy {
				s.Claims.release(a, s)
			}
		}
	}
	for _, e := range r.evs {
		if err := s.wantBlob(ctx, e); err != nil {
			return err
		}
	}
	if len(s.flight) > 0 || s.storing > 0 {
		return nil // the next answer counts again, as request
	}
	return s.reportBehind(ctx)
}

// authors lists the distinct authors of evs.
func authors(evs []*domain.Event) []common.Address {
	var out []common.Address
	seen := map[common.Address]bool{}
	for _, e := range evs {
		if !seen[e.Author] {
			seen[e.Author] = true
			out = append(out, e.Author)
		}
	}
	return out
}

// decodeAll decodes a batch on all cores: a session reads one peer's
// messages in order, and decoding on its goroutine took over a second of
// a 100k-event catch-up.
func decodeAll(raws [][]byte) ([]*domain.Event, error) {
	evs := make([]*domain.Event, len(raws))
	errs := make([]error, len(raws))
	workers := min(runtime.GOMAXPROCS(0), (len(raws)+255)/256)
	var wg gosync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(raws); i += workers {
				evs[i], errs[i] = domain.Decode(raws[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return evs, nil
}
