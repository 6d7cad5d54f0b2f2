package watch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepClock advances by step at every reading, so "how long have scans
// failed" depends on how many failures there were, not on the machine.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(c.step)
	return now
}

// healthLog records OnBlind and OnSight calls.
type healthLog struct {
	mu     sync.Mutex
	blinds []time.Time
	errs   []error
	sights []time.Duration
}

func (h *healthLog) blind(err error, since time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.blinds, h.errs = append(h.blinds, since), append(h.errs, err)
}

func (h *healthLog) sight(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sights = append(h.sights, d)
}

// An endpoint down for longer than BlindAfter: OnBlind hears it once,
// naming when the failures began, and OnSight once when a scan succeeds
// again, with how long the watcher was blind.
func TestChainBlindThenSight(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := &stepClock{t: t0, step: 10 * time.Second}
	f := &fakeChain{chainID: 1, head: 5, failures: 20}
	var h healthLog
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{
		Poll: time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond,
		BlindAfter: time.Minute, Now: clock.Now, OnBlind: h.blind,
		OnSight: func(d time.Duration) { h.sight(d); cancel() },
	})
	if err := w.Run(ctx, &recordingSink{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled (no OnSight?)", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.blinds) != 1 || !h.blinds[0].Equal(t0) || h.errs[0] == nil {
		t.Errorf("OnBlind calls %v (errors %v), want one, since %s", h.blinds, h.errs, t0)
	}
	// 20 failures read the clock at t0 .. t0+190s; the success at t0+200s.
	if len(h.sights) != 1 || h.sights[0] != 200*time.Second {
		t.Errorf("OnSight calls %v, want one after 200s blind", h.sights)
	}
}

// A healthy start says so once (OnSight(0), so a caller clears what an
// earlier run raised); failures shorter than BlindAfter call neither.
func TestChainShortOutageIsNotBlind(t *testing.T) {
	clock := &stepClock{t: time.Unix(1e9, 0), step: 10 * time.Second}
	f := &fakeChain{chainID: 1, head: 5}
	var h healthLog
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sighted := false // under f.mu: the outage is set up, so a scan now is one after it
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{
		Poll: time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond,
		BlindAfter: time.Minute, Now: clock.Now, OnBlind: h.blind,
		OnSight: func(d time.Duration) {
			h.sight(d)
			f.mu.Lock()
			f.failures, f.head, f.queries = 3, 10, nil // three failed scans, then new blocks to scan
			sighted = true
			f.mu.Unlock()
		},
	})
	go func() {
		for ctx.Err() == nil {
			f.mu.Lock()
			scanned := sighted && len(f.queries) > 0
			f.mu.Unlock()
			if scanned {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if err := w.Run(ctx, &recordingSink{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	f.mu.Lock()
	left := f.failures
	f.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if left != 0 || len(f.queries) == 0 {
		t.Fatalf("the outage did not happen or did not end (failures left %d)", left)
	}
	if len(h.blinds) != 0 || len(h.sights) != 1 || h.sights[0] != 0 {
		t.Errorf("OnBlind %v, OnSight %v: want no OnBlind and one OnSight(0)", h.blinds, h.sights)
	}
}

// A rule's address: 0x and 40 hex digits; mixed case only with a valid
// EIP-55 checksum (a wrong one is a typo that would watch nothing).
func TestParseAddress(t *testing.T) {
	const good = "0xD981F978acB667dC848E8dda5f8448e7e023582b" // checksummed
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{good, good},
		{"0xd981f978acb667dc848e8dda5f8448e7e023582b", good},
		{"0xD981F978ACB667DC848E8DDA5F8448E7E023582B", good},
		{"0XD981F978ACB667DC848E8DDA5F8448E7E023582B", good},
		{"0xD981f978acB667dC848E8dda5f8448e7e023582b", ""}, // one letter's case flipped
		{"0xd981f978acb667dc848e8dda5f8448e7e023582", ""},  // 39 digits
		{"d981f978acb667dc848e8dda5f8448e7e023582b", ""},   // no 0x
		{"0xg981f978acb667dc848e8dda5f8448e7e023582b", ""},
		{"", ""},
	} {
		got, err := ParseAddress(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseAddress(%q) = %s, want refused", tc.in, got.Hex())
		case tc.want != "" && (err != nil || got.Hex() != tc.want):
			t.Errorf("ParseAddress(%q) = %s, %v; want %s", tc.in, got.Hex(), err, tc.want)
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"0xD981F978acB667dC848E8dda5f8448e7e023582b", "0xd981f978acb667dc848e8dda5f8448e7e023582b", "0x", "0x0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		// What is taken is what was written, and its checksummed form is taken back.
		if !strings.EqualFold(a.Hex(), s) {
			t.Fatalf("ParseAddress(%q) = %s", s, a.Hex())
		}
		if b, err := ParseAddress(a.Hex()); err != nil || b != a {
			t.Fatalf("checksummed %s refused: %v", a.Hex(), err)
		}
	})
}

// The defaults a config without them gets: blind after a minute of failed
// scans, and back-off never longer than a minute, so a node back after an
// outage is scanned again within a minute.
func TestChainHealthDefaults(t *testing.T) {
	w := newFakeWatcher(t, &fakeChain{chainID: 1}, &memCursor{}, ChainConfig{})
	if w.cfg.BlindAfter != time.Minute || w.cfg.BackoffMax != time.Minute || w.cfg.BackoffMin != time.Second {
		t.Fatalf("BlindAfter %s, BackoffMin %s, BackoffMax %s; want 1m, 1s, 1m", w.cfg.BlindAfter, w.cfg.BackoffMin, w.cfg.BackoffMax)
	}
}
