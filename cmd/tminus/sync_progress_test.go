package main

import (
	"strings"
	"testing"
	"time"

	tsync "github.com/tminus-ir/tminus/sync"
)

// A running sync says how many events are still to pull when that number
// is above zero and has moved; a sync that has nothing left says nothing.
func TestSyncProgress(t *testing.T) {
	// Only syncProgress's goroutine calls behind, once a tick, so the
	// values are read in order.
	values := []int64{0, 56013, 56013, 21129, 0, 0}
	n := 0
	behind := func() int64 { n++; return values[n-1] }
	var out lockedBuffer
	tick := make(chan time.Time)
	stop := syncProgress(&out, "bob", behind, tick)
	for range values {
		tick <- time.Time{}
	}
	stop() // waits for the last tick's line
	want := "sync: 56013 events still to pull from bob\nsync: 21129 events still to pull from bob\n"
	if got := out.String(); got != want {
		t.Errorf("progress:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(out.String(), " 0 events") {
		t.Error("a sync with nothing to pull spoke")
	}
}

// A sync that ended well but lacks blobs the peer never answered says so
// on stderr, and nothing when every blob came.
func TestUnansweredNote(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, ""}, {2, "sync: 2 blob(s) asked for were not answered in time and stay missing here"}} {
		var b strings.Builder
		unansweredNote(&b, tsync.Stats{Pulled: 3, Unanswered: tc.n})
		if got := b.String(); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%d unanswered: %q, want %q", tc.n, got, tc.want)
		}
	}
}
