package store

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain/domaintest"
)

// Skewed returns the flagged events, decoded, and nothing else.
func TestSkewedEvents(t *testing.T) {
	s := newStore(t)
	now := time.UnixMilli(domaintest.Epoch + 3_600_000)
	s.Now = func() time.Time { return now }
	tm, inc := team(t, 28)
	ingest(t, s, tm.Events...)
	if got, err := s.Skewed(bg); err != nil || len(got) != 0 {
		t.Fatalf("nothing flagged yet: %d events, %v", len(got), err)
	}
	tm.Clock = now.UnixMilli()
	onTime := do(t, tm, 1, note(inc, "now"))
	tm.Clock = now.Add(3 * time.Hour).UnixMilli()
	ahead := do(t, tm, 1, note(inc, "three hours ahead"))
	ingest(t, s, onTime, ahead)
	got, err := s.Skewed(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != ahead.ID || got[0].Time != ahead.Time {
		t.Fatalf("skewed %v, want only %s", got, ahead.ID.Short())
	}
	if subj, err := got[0].Subject(); err != nil || subj != inc.ID {
		t.Errorf("skewed event's subject %s (%v), want the incident %s", subj.Short(), err, inc.ID.Short())
	}
}
