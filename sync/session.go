package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// Store is what replication needs from the local store.
type Store interface {
	Workspace() domain.ID
	Heads(ctx context.Context) ([]store.Head, error)
	Range(ctx context.Context, author common.Address, from uint64, max, maxBytes int) ([][]byte, error)
	Ingest(ctx context.Context, raws [][]byte) (store.Report, error)
	Check(ctx context.Context, evs []*domain.Event) *store.Checking
	IngestChecked(ctx context.Context, c *store.Checking) (store.Report, error)
	Arrived(ctx context.Context) (int64, error)
	ForkProofs(ctx context.Context) ([]store.ForkProof, error)
	HasBlob(ctx context.Context, hash string) (bool, error)
	Blob(ctx context.Context, hash string) ([]byte, error)
	PutBlob(ctx context.Context, data []byte) (string, error)
	MissingBlobs(ctx context.Context, after string, limit int) ([]string, error)
}

// Tuning. A range request asks for up to rangeMax events; replies are cut
// at MaxEventsBytes. Announces are polled for every announceEvery, so an
// append by any process on this store reaches peers well within a second.
const (
	rangeMax      = 4096
	announceEvery = 25 * time.Millisecond
	maxAnnouncePS = 50 // a peer announcing more often than this per second is flooding
	// This side's announces: a burst of announceBurst at once, then
	// announceRate a second, so that any one-second window holds at most
	// 45, under a receiver's maxAnnouncePS.
	announceBurst = 10
	announceRate  = 35
	// maxPendingBytes bounds a round held before storing: a workspace of
	// many authors stores its round in parts.
	maxPendingBytes = 16 << 20
	// Blobs the store lacks are asked for at most blobFlight at a time: a
	// catch-up naming thousands must not have the peer queue gigabytes.
	// The store's list of them is walked once the session is up, again
	// when the store gains events (at most every blobScanGap), and every
	// blobScanEvery, for blobs that reached a peer since.
	blobFlight  = 8
	blobScanGap = time.Second
)

// requestTimeout is how long a peer may take to answer a GetEvents; a
// variable so that tests can shorten it.
var requestTimeout = 20 * time.Second

// Stats counts what one session moved.
type Stats struct {
	Pulled   int `json:"pulled"`   // events stored from the peer
	Pushed   int `json:"pushed"`   // events sent to the peer
	Rejected int `json:"rejected"` // batches refused
	Blobs    int `json:"blobs"`
	// Unanswered counts blobs asked for that the peer did not answer
	// within blobTimeout (blobwait.go); the store still lists them missing.
	Unanswered int `json:"blobs_unanswered,omitempty"`
}

// Session runs tminus/1 with one peer over any MsgReadWriter: the devp2p
// connection, or a framed SSH channel.
type Session struct {
	St      Store
	RW      p2p.MsgReadWriter
	OneShot bool          // return once both sides are idle
	Idle    time.Duration // how long "idle" is, for OneShot
	// Admit, when set, is asked now and then whether the peer may stay
	// (a removed member is disconnected).
	Admit func() error

	// Want lists blobs to ask for at the start (evidence a command needs
	// now); asks lists more while the session runs (Ask).
	Want []string
	asks chan []string

	// Claims, when set, is shared with the node's other sessions: a chain
	// is pulled from one peer at a time (claims.go).
	Claims *Claims

	Stats  Stats
	remote map[common.Address]HeadMsg
	asked  map[common.Address]uint64 // highest seq requested or received
	flight map[common.Address]time.Time
	queue  []common.Address // outstanding GetEvents, oldest first
	// pending: events of this round's ranges, stored when the round is in
	pending      []*domain.Event
	pendingBytes int
	// rounds handed to the storer goroutine (toStore), and its answers
	toStore chan round
	stored  chan storedRound
	storing int             // handed over, answer not yet taken
	blobs   map[string]bool // requested
	// blobOrder holds the requested blobs oldest first: a peer answers
	// GetBlobs in order, so an empty entry ("not here") is for the oldest.
	blobOrder []string
	// notHere: when the peer said it lacks a blob; the scan does not ask
	// it again for notHereFor (a command's Ask still does).
	notHere map[string]time.Time
	// The scan walks the store's missing blobs in hash order: scanning
	// while a pass runs, scanAfter the last hash it reached, scanDue when
	// another pass should follow, lastScan when the last began.
	scanning  bool
	scanDue   bool
	scanAfter string
	lastScan  time.Time
	freedSeen int64 // Claims.freed when last looked at
	wsSeen    bool
	forks     int // fork proofs sent so far
	Behind    func(n int64)
	// deferred: request left a chain to another session's claim, and
	// looks again on the next tick.
	deferred bool
	// holding counts, by author, the rounds handed to the storer that
	// hold the author's events: its claim lasts until they are stored.
	holding map[common.Address]int

	// Serving the peer's GetBlobs (blobserve.go): asks queued for the
	// serving goroutine, how many are not yet written, when the last was,
	// its error, and the byte budget it draws on (nil: the process's).
	serveQ   chan string
	serving  atomic.Int64
	servedAt atomic.Int64
	serveErr chan error
	budget   *blobBudget
	// Blob asks given up (blobwait.go), still in blobOrder; the oldest
	// ask's clock, and the link's large-frame progress at the last tick.
	gaveUp   map[string]bool
	blobWait time.Time
	progress int64
}

type inbound struct {
	msg p2p.Msg
	err error
}

// Run exchanges Status, pulls what the peer has that this store lacks,
// serves the peer's requests and announces local appends until ctx ends,
// the peer goes away, or (OneShot) both sides are idle.
func (s *Session) Run(ctx context.Context) error {
	s.remote = map[common.Address]HeadMsg{}
	s.asked = map[common.Address]uint64{}
	s.flight = map[common.Address]time.Time{}
	s.holding = map[common.Address]int{}
	s.blobs = map[string]bool{}
	s.notHere = map[string]time.Time{}
	s.gaveUp = map[string]bool{}
	if s.Idle == 0 {
		s.Idle = 800 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.toStore, s.stored = make(chan round, 1), make(chan storedRound, maxRounds)
	storerDone := make(chan struct{})
	go func() { defer close(storerDone); s.storer(ctx, s.toStore, s.stored) }()
	// Runs before cancel: a round still being stored when the session
	// ends is rolled back, and no write outlives Run.
	defer func() { cancel(); close(s.toStore); <-storerDone; s.countStoredLate(); s.Claims.releaseAll(s) }()
	s.startServing(ctx)
	msgs := make(chan inbound, 16)
	go func() {
		for {
			msg, err := s.RW.ReadMsg()
			select {
			case msgs <- inbound{msg, err}:
			case <-ctx.Done():
				if err == nil {
					msg.Discard()
				}
				return
			}
			if err != nil {
				return
			}
		}
	}()
	arrived, err := s.St.Arrived(ctx)
	if err != nil {
		return err
	}
	if err := s.sendStatus(ctx); err != nil {
		return err
	}
	if err := s.sendForks(ctx); err != nil {
		return err
	}
	for _, h := range s.Want {
		if err := s.wantHash(ctx, h, true); err != nil {
			return err
		}
	}
	tick := time.NewTicker(announceEvery)
	defer tick.Stop()
	// This process's own commits are announced as they happen; the tick
	// still catches writes by other processes on the same store.
	var commits <-chan struct{}
	pace := pacer{tokens: announceBurst, at: time.Now()}
	if c, ok := s.St.(interface {
		Commits() (<-chan struct{}, func())
	}); ok {
		ch, stop := c.Commits()
		defer stop()
		commits = ch
	}
	var paced <-chan time.Time // armed while a commit waits for the pacer
	announceNew := func() error {
		n, err := s.St.Arrived(ctx)
		if err != nil || n == arrived {
			return err
		}
		arrived = n
		s.scanDue = true // what arrived may name blobs this peer holds
		pace.take()
		if err := s.announce(ctx); err != nil {
			return err
		}
		// An equivocation found after connect (by a local ingest or
		// another peer's proof) is passed on with the heads.
		return s.sendForks(ctx)
	}
	lastMsg := time.Now()
	flood := floodCheck{now: time.Now}
	flood.reset(0)
	admitted := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case in := <-msgs:
			if in.err != nil {
				if s.OneShot && errors.Is(in.err, io.EOF) && s.owedNothing() {
					// The far end of sync --ssh ended its side once idle,
					// perhaps before this side's idle wait: with every
					// request answered and stored, the sync is complete.
					return nil
				}
				return in.err
			}
			if in.msg.Code == AnnounceMsg && !flood.announce() {
				in.msg.Discard()
				return misbehaved("announce flood: more than %d a second", maxAnnouncePS)
			}
			if err := s.handle(ctx, in.msg); err != nil {
				return err
			}
			// Idle counts from when the answer is out: a blob written
			// over a slow link takes longer than Idle, and the peer's
			// next request meanwhile waits in msgs.
			lastMsg = time.Now()
		case r := <-s.stored:
			if err := s.storedRound(ctx, r); err != nil {
				return err
			}
		case err := <-s.serveErr:
			return err
		case hs := <-s.asks:
			for _, h := range hs {
				if err := s.wantHash(ctx, h, true); err != nil {
					return err
				}
			}
		case <-commits:
			// A commit the pacer holds back goes out when it allows, not
			// at a later tick.
			if wait := pace.wait(time.Now()); wait > 0 {
				if paced == nil {
					paced = time.After(wait)
				}
				continue
			}
			if err := announceNew(); err != nil {
				return err
			}
		case <-paced:
			paced = nil
			if err := announceNew(); err != nil {
				return err
			}
		case <-tick.C:
			flood.ticked()
			if pace.wait(time.Now()) == 0 {
				if err := announceNew(); err != nil {
					return err
				}
			}
			if err := s.scanTick(ctx); err != nil {
				return err
			}
			s.checkBlobWait(time.Now())
			if s.deferred && len(s.flight) == 0 {
				if err := s.request(ctx); err != nil {
					return err
				}
			}
			for a, t := range s.flight {
				if time.Since(t) > requestTimeout {
					return fmt.Errorf("peer did not answer a request for %s's events within %s", a.Hex(), requestTimeout)
				}
			}
			// Not while pulling: the roster this store holds mid catch-up
			// may not yet name a peer that joined late, and checking it
			// re-folds what the catch-up just stored out of order.
			if s.Admit != nil && len(s.flight) == 0 && s.storing == 0 && time.Since(admitted) > 2*time.Second {
				if err := s.Admit(); err != nil {
					// The roster changed under the session: removed or
					// rotated out. Best effort; the session ends either way.
					send(s.RW, RefusedMsg, &Refused{Reason: RefusedNotMember})
					return err
				}
				admitted = time.Now()
			}
			// Idle also counts from the last blob written to the peer.
			served, servedAt := s.serveIdle()
			if s.OneShot && s.wsSeen && len(msgs) == 0 && len(s.flight) == 0 && s.storing == 0 && len(s.blobs) == 0 && !s.scanning && served &&
				time.Since(lastMsg) > s.Idle && time.Since(servedAt) > s.Idle {
				return nil
			}
		}
	}
}

// owedNothing says that the peer owes this side nothing: the session
// learnt its heads, and every range and blob asked for came and is stored.
func (s *Session) owedNothing() bool {
	return s.wsSeen && len(s.flight) == 0 && s.storing == 0 && len(s.blobs) == 0 && !s.deferred
}

func (s *Session) heads(ctx context.Context) ([]HeadMsg, map[common.Address]uint64, error) {
	hs, err := s.St.Heads(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]HeadMsg, 0, len(hs))
	seqs := make(map[common.Address]uint64, len(hs))
	for _, h := range hs {
		out = append(out, HeadMsg{Author: h.Author, Seq: h.Seq, ID: h.ID})
		seqs[h.Author] = h.Seq
	}
	return out, seqs, nil
}

func (s *Session) sendStatus(ctx context.Context) error {
	hs, _, err := s.heads(ctx)
	if err != nil {
		return err
	}
	return send(s.RW, StatusMsg, &Status{WS: s.St.Workspace(), Heads: hs})
}

// floodCheck counts a peer's announces a second. A process that did not
// run for a while (a laptop asleep, SIGSTOP, a VM paused) then reads at once
// every announce its peers sent meanwhile: with a peer writing a few events
// a second, a 12 s stop left over a hundred, the peer was judged flooding
// and backed off, and the woken node caught up 30 s later instead of at
// once. A gap between the session's ticks (every announceEvery) longer
// than stallGap is such a stop: for the next window the count allows what
// an honest peer's pacer lets through in that time.
type floodCheck struct {
	now      func() time.Time
	lastTick time.Time
	start    time.Time     // of the window
	span     time.Duration // of the window
	n, limit int
}

const stallGap = time.Second

// reset opens a window that allows, besides maxAnnouncePS a second, the
// announces a peer could have sent during a stall of stalled.
func (f *floodCheck) reset(stalled time.Duration) {
	now := f.now()
	f.start, f.lastTick, f.n = now, now, 0
	f.span, f.limit = time.Second, maxAnnouncePS
	if stalled > 0 {
		f.span = 2 * time.Second
		f.limit = 2*maxAnnouncePS + announceBurst + int(stalled.Seconds()+1)*announceRate
	}
}

// stall says whether this process was stopped since the last tick, and
// opens a window for the backlog if so.
func (f *floodCheck) stall() bool {
	if gap := f.now().Sub(f.lastTick); gap > stallGap {
		f.reset(gap)
		return true
	}
	return false
}

func (f *floodCheck) ticked() {
	if !f.stall() {
		f.lastTick = f.now()
	}
}

// announce counts one announce and reports whether it is within limits.
func (f *floodCheck) announce() bool {
	if !f.stall() && f.now().Sub(f.start) > f.span {
		f.reset(0)
	}
	f.n++
	return f.n <= f.limit
}

// pacer is a token bucket for announces (announceBurst, announceRate).
type pacer struct {
	tokens float64
	at     time.Time
}

// wait refills the bucket to now and says how long until a token is free.
func (p *pacer) wait(now time.Time) time.Duration {
	p.tokens = min(announceBurst, p.tokens+now.Sub(p.at).Seconds()*announceRate)
	p.at = now
	if p.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - p.tokens) / announceRate * float64(time.Second))
}

func (p *pacer) take() { p.tokens-- }

func (s *Session) announce(ctx context.Context) error {
	hs, _, err := s.heads(ctx)
	if err != nil {
		return err
	}
	return send(s.RW, AnnounceMsg, &Announce{Heads: hs})
}

func (s *Session) sendForks(ctx context.Context) error {
	proofs, err := s.St.ForkProofs(ctx)
	if err != nil || len(proofs) <= s.forks {
		return err
	}
	s.forks = len(proofs) // all again: receivers skip the ones they have
	f := &Forks{}
	for _, p := range proofs {
		f.Pairs = append(f.Pairs, ForkPair{p.A, p.B})
		if len(f.Pairs) == 4 {
			if err := send(s.RW, ForksMsg, f); err != nil {
				return err
			}
			f = &Forks{}
		}
	}
	if len(f.Pairs) == 0 {
		return nil
	}
	return send(s.RW, ForksMsg, f)
}

func (s *Session) handle(ctx context.Context, msg p2p.Msg) error {
	s.heard(msg)
	switch msg.Code {
	case StatusMsg:
		var m Status
		if err := decode(msg, &m); err != nil {
			return err
		}
		ws := s.St.Workspace()
		// A peer with no workspace yet is a newly joined member pulling it.
		if !ws.IsZero() && !domain.ID(m.WS).IsZero() && domain.ID(m.WS) != ws {
			return fmt.Errorf("%w (%x…; this home holds %s)", ErrOtherWorkspace, m.WS[:5], ws.Short())
		}
		if domain.ID(m.WS).IsZero() && ws.IsZero() {
			return errors.New("neither side has a workspace yet")
		}
		if !s.wsSeen {
			s.wsSeen = true
			if err := s.startScan(ctx); err != nil {
				return err
			}
		}
		return s.learn(ctx, m.Heads)
	case AnnounceMsg:
		var m Announce
		if err := decode(msg, &m); err != nil {
			return err
		}
		return s.learn(ctx, m.Heads)
	case GetEventsMsg:
		var m GetEvents
		if err := decode(msg, &m); err != nil {
			return err
		}
		max := int(m.Max)
		if max <= 0 || max > rangeMax {
			max = rangeMax
		}
		raws, err := s.St.Range(ctx, m.Author, m.From, max, MaxEventsBytes)
		if err != nil {
			return err
		}
		s.Stats.Pushed += len(raws)
		return send(s.RW, EventsMsg, &Events{Raws: raws})
	case EventsMsg:
		var m Events
		if err := decode(msg, &m); err != nil {
			return err
		}
		return s.receive(ctx, m.Raws)
	case GetBlobsMsg:
		var m GetBlobs
		if err := decode(msg, &m); err != nil {
			return err
		}
		// Answered in order by the serving goroutine (blobserve.go): a
		// blob waiting for the budget holds up none of this peer's other
		// messages.
		return s.queueBlobs(ctx, m.Hashes)
	case BlobsMsg:
		data, err := decodeBlobs(msg)
		if err != nil {
			return err
		}
		for _, data := range data {
			if len(data) == 0 {
				// The peer lacks the oldest blob asked for, not any other:
				// its answer to that one may still be on the way.
				if len(s.blobOrder) > 0 {
					s.notHere[s.blobOrder[0]] = time.Now()
					s.lateAnswer(s.blobOrder[0])
					s.Claims.dropBlob(s.blobOrder[0], s, false)
					s.answered(s.blobOrder[0])
				}
				continue
			}
			// Checked before storing: a peer must not fill the store with
			// blobs nobody asked for. One given up on was asked for.
			sum := sha256.Sum256(data)
			h := hex.EncodeToString(sum[:])
			if !s.blobs[h] && !s.gaveUp[h] {
				return misbehaved("sent blob %s that was not asked for", h[:12])
			}
			s.lateAnswer(h)
			if had, err := s.St.HasBlob(ctx, h); err != nil {
				return err
			} else if had {
				if s.Claims != nil {
					s.Claims.blobsTwice.Add(1)
				}
			} else if _, err := s.St.PutBlob(ctx, data); err != nil {
				return err
			}
			s.Claims.dropBlob(h, s, true)
			s.answered(h)
			s.Stats.Blobs++
		}
		return s.topUp(ctx)
	case RefusedMsg:
		var m Refused
		if err := decode(msg, &m); err != nil {
			return err
		}
		return &RefusedError{Reason: m.Reason}
	case ForksMsg:
		var m Forks
		if err := decode(msg, &m); err != nil {
			return err
		}
		var raws [][]byte
		for _, p := range m.Pairs {
			raws = append(raws, p.A, p.B)
		}
		if _, err := s.St.Ingest(ctx, raws); err != nil {
			s.Stats.Rejected++
			return misbehaved("fork proof refused: %v", err)
		}
		return nil
	}
	msg.Discard()
	return misbehaved("unknown message code %d", msg.Code)
}

// wantBlob asks for the evidence, run output or alert payload an event
// names, when the store lacks it.
func (s *Session) wantBlob(ctx context.Context, e *domain.Event) error {
	if hash := domain.BlobOf(e.Kind, e.Body); hash != "" {
		return s.wantHash(ctx, hash, false)
	}
	return nil
}

// Ask has a running session request blobs from its peer; it reports false
// when the session takes no asks or has too many queued.
func (s *Session) Ask(hashes []string) bool {
	select {
	case s.asks <- hashes:
		return true
	default:
		return false
	}
}

// wantHash requests one blob unless it is stored or already asked for.
// Unless now (a command needs it), a blob the peer said it lacks is not
// asked for again, and one over the flight bound is left to the scan,
// which finds it in the store's list of missing blobs.
func (s *Session) wantHash(ctx context.Context, hash string, now bool) error {
	if s.blobs[hash] || (!now && (s.gaveUp[hash] || s.lacks(hash))) || (now && s.askAgain(hash)) {
		return nil
	}
	if !now && len(s.blobOrder) >= blobFlight {
		s.scanDue = true
		return nil
	}
	if ok, err := s.St.HasBlob(ctx, hash); err != nil || ok {
		return err
	}
	if hash == emptyBlob {
		// Zero bytes: an empty Blobs entry would read as "not here".
		_, err := s.St.PutBlob(ctx, nil)
		return err
	}
	// Another session asks its peer for it: this one looks again if that
	// ask fails. A command that needs it now asks regardless.
	if !s.Claims.takeBlob(hash, s) && !now {
		return nil
	}
	s.blobs[hash] = true
	s.blobOrder = append(s.blobOrder, hash)
	return send(s.RW, GetBlobsMsg, &GetBlobs{Hashes: []string{hash}})
}

// answered forgets the ask for hash.
func (s *Session) answered(hash string) {
	delete(s.blobs, hash)
	if i := slices.Index(s.blobOrder, hash); i >= 0 {
		s.blobOrder = slices.Delete(s.blobOrder, i, i+1)
	}
}
