package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTimerDue(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   time.Duration
		at   string
		want time.Time
		err  string
	}{
		{"in", 15 * time.Minute, "", now.Add(15 * time.Minute), ""},
		{"at ahead", 0, "2026-12-06T13:00:00Z", now.Add(time.Hour), ""},
		{"at now", 0, "2026-12-06T12:00:00Z", now, ""},
		{"at in the past", 0, "2020-01-01T00:00:00Z", time.Time{}, "--at 2020-01-01T00:00:00Z is in the past"},
		{"at a second ago", 0, "2026-12-06T11:59:59Z", time.Time{}, "is in the past"},
		{"in negative", -5 * time.Minute, "", time.Time{}, "--in -5m0s is in the past"},
		{"neither", 0, "", time.Time{}, "exactly one"},
		{"both", time.Minute, "2030-01-01T00:00:00Z", time.Time{}, "exactly one"},
		{"at malformed", 0, "tomorrow", time.Time{}, "--at: parsing time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := timerDue(tc.in, tc.at, now)
			if tc.err != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &ue) {
					t.Fatalf("got %v, %v; want the usage error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestTimerEvery(t *testing.T) {
	for _, tc := range []struct {
		every time.Duration
		err   string
	}{
		{0, ""},
		{time.Second, ""},
		{30 * time.Minute, ""},
		{time.Millisecond, "--every 1ms: at least 1s (0, the default, never re-arms)"},
		{999 * time.Millisecond, "at least 1s"},
		{-time.Minute, "--every -1m0s is negative"},
	} {
		err := timerEvery(tc.every)
		if (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("timerEvery(%s) = %v, want %q", tc.every, err, tc.err)
		}
	}
}

// timer set refuses a deadline in the past as task add refuses one due in
// the past, storing nothing; --every 0s is a timer that never re-arms.
func TestTimerSetRefusesThePast(t *testing.T) {
	home, inc := newWorkspace(t)
	fails(t, home, "--at 2020-01-01T00:00:00Z is in the past", "timer", "set", inc[:8], "--label", "x", "--at", "2020-01-01T00:00:00Z")
	fails(t, home, "--due -5m0s is in the past", "task", "add", inc[:8], "--title", "x", "--due", "-5m")
	fails(t, home, "--every 1ms: at least 1s", "timer", "set", inc[:8], "--label", "x", "--in", "5m", "--every", "1ms")
	if _, _, code := tminus(t, home, "timer", "set", inc[:8], "--label", "x", "--at", "2020-01-01T00:00:00Z"); code != 2 {
		t.Errorf("past --at: exit %d, want 2", code)
	}
	must(t, home, "timer", "set", inc[:8], "--label", "once", "--in", "5m", "--every", "0s")
	var d incidentDetail
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Timers) != 1 || d.Timers[0].Every != "" {
		t.Errorf("timers = %+v, want one that never re-arms", d.Timers)
	}
}
