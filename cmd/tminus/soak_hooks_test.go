package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TMINUS_CLOCK_SKEW moves the signed time of this process's events (the
// soak runs a node 10 minutes ahead with it); a value that is not a
// duration is wrong usage and writes nothing.
func TestClockSkewEnv(t *testing.T) {
	home, inc := newWorkspace(t)
	for _, tc := range []struct {
		skew       string
		wantOffset time.Duration
	}{
		{"", 0},
		{"10m", 10 * time.Minute},
		{"-10m", -10 * time.Minute},
	} {
		t.Run("skew="+tc.skew, func(t *testing.T) {
			t.Setenv("TMINUS_CLOCK_SKEW", tc.skew)
			before := time.Now()
			id := must(t, home, "note", inc, "clock "+tc.skew)
			after := time.Now()
			got := eventTime(t, home, id)
			lo, hi := before.Add(tc.wantOffset).Add(-time.Second), after.Add(tc.wantOffset).Add(time.Second)
			if got.Before(lo) || got.After(hi) {
				t.Fatalf("note signed at %s, want between %s and %s", got, lo, hi)
			}
		})
	}
	t.Run("bad", func(t *testing.T) {
		n := len(strings.Split(must(t, home, "log"), "\n"))
		t.Setenv("TMINUS_CLOCK_SKEW", "ten minutes")
		_, errs, code := tminus(t, home, "note", inc, "never")
		if code != 2 || !strings.Contains(errs, "TMINUS_CLOCK_SKEW") {
			t.Fatalf("exit %d, stderr %q; want 2 naming TMINUS_CLOCK_SKEW", code, errs)
		}
		t.Setenv("TMINUS_CLOCK_SKEW", "")
		if m := len(strings.Split(must(t, home, "log"), "\n")); m != n {
			t.Fatalf("log grew from %d to %d lines after a refused command", n, m)
		}
	})
}

// eventTime is the signed time of event id, from log --json.
func eventTime(t *testing.T, home, id string) time.Time {
	t.Helper()
	for _, line := range strings.Split(must(t, home, "log", "--json"), "\n") {
		var e struct {
			ID   string `json:"id"`
			Time int64  `json:"time"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.ID == id {
			return time.UnixMilli(e.Time)
		}
	}
	t.Fatalf("event %s not in the log", id)
	return time.Time{}
}

// alert raise --json names the observation's event besides the alert: the
// alert id is the fingerprint's, so without it a caller could not tell
// which event to look for on a peer (the soak checks every write arrived).
func TestAlertRaiseJSONNamesItsEvent(t *testing.T) {
	home, _ := newWorkspace(t)
	var out struct{ ID, Fingerprint, Event string }
	if err := json.Unmarshal([]byte(must(t, home, "alert", "raise", "--title", "Oracle deviation", "--json")), &out); err != nil {
		t.Fatal(err)
	}
	if out.ID == "" || out.Event == "" || out.ID == out.Event {
		t.Fatalf("alert raise --json = %+v; want the alert id and a distinct event id", out)
	}
	if eventTime(t, home, out.Event).IsZero() {
		t.Fatalf("event %s has no time", out.Event)
	}
}
