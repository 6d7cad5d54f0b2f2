package sync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// A node behind three peers that all hold the same long chain pulls it
// from one of them: the others' copies would each be received and have
// every signature checked before the store found them duplicates. When
// the peer first asked holds only part of the chain, a session whose peer
// holds it all takes over (at the cost of the round already asked for).
func TestChainPulledFromOnePeer(t *testing.T) {
	const bulk = 3000
	for _, tc := range []struct {
		name string
		held [4]int // events of the chain each peer holds (member 1 wrote it)
		// twice bounds the events received more than once: a claim passes
		// between sessions only between rounds, so a round may overlap now
		// and then, and a session that takes a claim over may ask again for
		// all the first one was pulling. A copy from every peer would be
		// 2 x 3,000.
		twice int64
	}{
		{"three peers hold it all", [4]int{0, bulk, bulk, bulk}, bulk / 3},
		{"the first peer holds half", [4]int{0, bulk, bulk / 2, bulk}, bulk / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The default claimTimeout: a claim holds while its rounds are
			// checked and stored, which took over 3 s under the race
			// detector on a loaded two-core box; another session used to
			// take it and pull the rounds again.
			w := newWorkspace(t, 61, 4)
			ctx := context.Background()
			src := w.members[1]
			before := len(seedRaws(t, src.st))
			bodies := make([]domain.Body, bulk)
			for k := range bodies {
				bodies[k] = &domain.Note{Incident: w.inc, Text: fmt.Sprintf("archive %d: %0900d", k, k)}
			}
			if _, err := src.st.AppendMany(ctx, src.signer, bodies); err != nil {
				t.Fatal(err)
			}
			raws := seedRaws(t, src.st)
			for i, m := range w.members[2:] {
				if _, err := m.st.Ingest(ctx, raws[:before+tc.held[i+2]]); err != nil {
					t.Fatal(err)
				}
			}
			w.start()
			w.link(0, 2)
			time.Sleep(100 * time.Millisecond) // its session asks first, most runs
			w.link(0, 1)
			w.link(0, 3)
			d := w.converge(5*time.Minute, 0, 1, 2, 3) // generous: under -race on a loaded box it took over a minute
			twice := w.members[0].node.claims.twice.Load()
			t.Logf("%d events: stored in %v, %d received twice", bulk, d, twice)
			if twice > tc.twice {
				t.Fatalf("%d of %d events were received more than once: the chain was pulled from several peers at a time", twice, bulk)
			}
		})
	}
}

func TestClaims(t *testing.T) {
	a, b := common.Address{1}, common.Address{2}
	s1, s2 := &Session{}, &Session{}
	var c Claims
	check := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	check("first claim", c.take(a, s1, 100), true)
	check("renewed by its holder", c.take(a, s1, 100), true)
	check("another session, while held", c.take(a, s2, 100), false)
	check("another session whose peer has less", c.take(a, s2, 50), false)
	check("another chain", c.take(b, s2, 100), true)
	c.release(a, s2) // not its claim: no effect
	check("released by a non-holder", c.take(a, s2, 100), false)
	c.release(a, s1)
	check("after its holder released it", c.take(a, s2, 100), true)
	c.releaseAll(s2)
	check("after its holder's session ended", c.take(a, s1, 100), true)
	check("the other chain too", c.take(b, s1, 100), true)
	check("another session whose peer has more", c.take(a, s2, 101), true)
	check("taken over", c.take(a, s1, 100), false)

	// A range arriving renews the holder's claim, no one else's.
	stale := time.Now().Add(-time.Hour)
	c.owner[a] = claim{s: s2, at: stale, upTo: 101}
	c.touch(a, s1)
	check("touched by a non-holder", c.owner[a].at.Equal(stale), true)
	c.touch(a, s2)
	check("touched by its holder", c.owner[a].at.After(stale), true)

	old := claimTimeout
	claimTimeout = time.Millisecond
	t.Cleanup(func() { claimTimeout = old })
	time.Sleep(5 * time.Millisecond)
	check("a lapsed claim", c.take(a, s1, 1), true)

	// Rounds being stored hold the claim however long they take: the
	// wait is this node's, not the peer's. Stored, it lapses again.
	c.owner[a] = claim{s: s1, at: stale, upTo: 100}
	c.storing(a, s1, 1)
	c.storing(a, s1, 1)
	c.storing(a, s2, 1) // not its claim: no effect
	check("held while its rounds are stored", c.take(a, s2, 100), false)
	check("retaken by its holder, rounds still storing", c.take(a, s1, 100), true)
	check("its count kept", c.owner[a].storing == 2, true)
	c.owner[a] = claim{s: s1, at: stale, upTo: 100, storing: 2}
	c.storing(a, s1, -1)
	check("one round of two stored", c.take(a, s2, 100), false)
	c.storing(a, s1, -1)
	time.Sleep(5 * time.Millisecond)
	check("both stored, then lapsed", c.take(a, s2, 100), true)
	c.storing(a, s1, -1) // stored after a takeover: not s1's claim now
	check("the new holder's count untouched", c.owner[a].storing == 0, true)

	var none *Claims // sessions outside a node pull on their own
	check("no claims", none.take(a, s1, 1), true)
	none.release(a, s1)
	none.touch(a, s1)
	none.releaseAll(s1)
	none.storing(a, s1, 1)
}

func TestBlobClaims(t *testing.T) {
	s1, s2 := &Session{}, &Session{}
	var c Claims
	check := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	check("first claim", c.takeBlob("aa", s1), true)
	check("again by its holder", c.takeBlob("aa", s1), true)
	check("by another session", c.takeBlob("aa", s2), false)
	check("another blob", c.takeBlob("bb", s2), true)
	c.dropBlob("aa", s2, false) // not its claim
	check("dropped by a non-holder", c.takeBlob("aa", s2), false)
	if c.freed.Load() != 0 {
		t.Fatal("a non-holder's drop told the others to look again")
	}
	c.dropBlob("aa", s1, true)
	check("stored", c.takeBlob("aa", s2), true)
	if c.freed.Load() != 0 {
		t.Fatal("a stored blob told the others to look again")
	}
	c.dropBlob("aa", s2, false) // its peer lacked it
	if c.freed.Load() != 1 {
		t.Fatal("a failed ask did not tell the others to look again")
	}
	check("after a failed ask", c.takeBlob("aa", s1), true)
	c.releaseAll(s1)
	check("after its holder's session ended", c.takeBlob("aa", s2), true)
	if c.freed.Load() != 2 {
		t.Fatalf("freed %d after the session ended, want 2", c.freed.Load())
	}

	var none *Claims
	check("no claims", none.takeBlob("aa", s1), true)
	none.dropBlob("aa", s1, false)
}

// A session whose peer may hold a blob another session's peer lacked
// looks again at its next tick, not at its next timed scan.
func TestFreedBlobStartsAScan(t *testing.T) {
	c := &Claims{}
	s := &Session{Claims: c, wsSeen: true, lastScan: time.Now()}
	if err := s.scanTick(context.Background()); err != nil || s.scanDue {
		t.Fatalf("scan due with nothing freed: %v", err)
	}
	c.freed.Add(1)
	if err := s.scanTick(context.Background()); err != nil || !s.scanDue {
		t.Fatalf("a freed blob left no scan due: %v", err)
	}
}
